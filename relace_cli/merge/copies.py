"""New code that repeats lines of the original (a mixin of `Aligner`, via `AnchorRules`).

A line nested under a header the original lacks is new code, not an anchor, when it copies
another block (`c.mu.Lock()` in a new `func Len()`, found once inside `Get`); a rename keeps
most of the old body, a wrap sits inside the block its lines come from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relace_cli.merge.blocks import HEADER_WORDS
from relace_cli.merge.text import CODE, HARD, Doc, is_closer, is_trivial

if TYPE_CHECKING:
    from relace_cli.merge.blocks import Blocks


class CopyRules:
    s: Doc
    o: Doc
    sb: Blocks
    ob: Blocks
    pos: dict[str, list[int]]
    counts: dict[str, int]
    _new_owner: list[bool] | None
    copied: list[tuple[int, int]]
    _above: dict[int, str | None]
    _verdicts: dict[tuple[int, int], bool]
    _around: dict[int, int | None]
    keep_copies: bool

    def inside_new_block(self, s: int) -> bool:
        """Is snippet line *s* nested (by indentation) under a header the original does not
        have anywhere (`router.patch(...)` around a copied `if (!order) {`)?"""
        if self._new_owner is None:
            from relace_cli.merge.defs import definition  # (defs imports this module)

            lang = self.sb.lang
            names: set[str] | None = None  # the original's defined names, on first need

            def new(k: str) -> bool:  # a line the original lacks, and no edited definition
                nonlocal names
                if k in self.pos or is_trivial(k):
                    return False
                got = definition(k, lang)
                if got is None:
                    return True
                if names is None:
                    names = {d[1] for x in self.o.keys if x and (d := definition(x, lang))}
                return got[1] not in names

            owner = [False] * len(self.s.keys)
            stack: list[tuple[int, bool]] = []  # (indentation, the header is new)
            keys, kinds, inds = self.s.keys, self.s.kinds, self.s.indents()
            for i, k in enumerate(keys):
                if not k or kinds[i] != CODE:
                    continue
                ind = inds[i]
                while stack and stack[-1][0] >= ind:
                    stack.pop()
                owner[i] = any(n for _, n in stack)
                stack.append((ind, new(k)))
            self._new_owner = owner
        return self._new_owner[s]

    def drop_copies(self, cands: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Leave out candidates (s, o) that a new block copies from another one: `c.mu.Lock()`
        inside a new `func (c *Cache) Len()`, found once in the original inside `Get`. A
        rename keeps most of the old body; a new block that repeats less than half of the
        block its line comes from copies, it is no rewrite (unless the snippet shows that
        block too: then the line may have moved, as when a helper is extracted)."""
        if not cands or self.keep_copies:
            return cands
        out = []
        where = dict(cands)
        for s, o in cands:
            h = self._new_header_around(s)
            if h is None or not self._copies(h, s, o, where):
                out.append((s, o))
            else:
                self.copied.append((s, o))
        return out

    def _new_header_around(self, s: int) -> int | None:
        """The innermost line the original lacks that heads a block around line *s* (lines
        above it, each shallower than the last, up to a marker), or None."""
        keys, kinds, inds, pos = self.s.keys, self.s.kinds, self.s.indents(), self.pos
        at = inds[s]
        if not at:
            return None  # (nothing is shallower than column 0)
        for j in range(s - 1, max(-1, s - 300), -1):
            if kinds[j] != CODE:
                return None
            k = keys[j]
            if not k:
                continue
            ind = inds[j]
            if ind >= at:
                continue
            at = ind
            if k in pos or is_trivial(k) or is_closer(k) or not (
                    k[-1] in ":{([>" or k[0] == "<" or k.endswith((" do", "then", "->", "=>"))
                    or k.split(None, 1)[0].rstrip(":(").lower() in HEADER_WORDS):
                # an existing header, or no header: what heads it heads line s too
                cache = self._around
                if j not in cache:
                    cache[j] = self._new_header_around(j) if at else None
                return cache[j]
            got = self.sb.end(j)
            if got is not None and got[0] >= s:
                return j
            if at == 0:
                return None
        return None

    def _copies(self, h: int, s: int, o: int, where: dict[int, int]) -> bool:
        okeys, oinds, sinds = self.o.keys, self.o.indents(), self.s.indents()
        # the original's block at the new header's level: as many columns up from line o as
        # header h sits above line s
        at = oinds[o] - (sinds[s] - sinds[h])
        oh = next((j for j in range(o - 1, max(-1, o - 400), -1)
                   if okeys[j] and oinds[j] <= at), None)
        if oh is None:
            return False
        verdict = self._verdicts.get((h, oh))
        if verdict is None:
            verdict = self._verdicts[h, oh] = self._block_copies(h, oh, where)
        return verdict

    def _block_copies(self, h: int, oh: int, where: dict[int, int]) -> bool:
        """Does the new block at snippet line *h* copy lines of the original block *oh*?"""
        okeys = self.o.keys
        got, mine = self.ob.end(oh), self.sb.end(h)
        if got is None or mine is None:
            return False
        theirs = {k for k in okeys[oh + 1:got[0] + 1] if k and not is_trivial(k)}
        if self._shown_above(h) == okeys[oh]:
            return False  # `def notify():` / ... / `if x:` over its lines: a wrap
        sinds = self.s.indents()
        at_h = sinds[h]
        near = next((j for j in (*range(h - 1, max(-1, h - 40), -1),
                                 *range(mine[0] + 1, min(len(self.s.keys), mine[0] + 40)))
                     if j in where and sinds[j] <= at_h), None)
        if near is not None and oh < where[near] <= got[0]:
            return False  # a line beside the new header is in that block too: a wrap
        if okeys[oh] in self.counts:
            # the snippet shows that block too: with its body elided, it keeps its lines (a
            # copy; no rename either, the block stays); else a line may have moved out of it
            return self._elided_body(okeys[oh])
        shared = sum(1 for k in self.s.keys[h + 1:mine[0] + 1] if k in theirs)
        return 2 * shared < len(theirs)

    def _elided_body(self, key: str) -> bool:
        """Does the snippet show the header *key* (once) with only a marker for its body
        (`app.get(...) {` / `// ...` / `});`: the body unchanged, so a line of it copied
        elsewhere is a copy, not a move)?"""
        if self.counts.get(key) != 1:
            return False
        keys, kinds = self.s.keys, self.s.kinds
        h = keys.index(key)
        j = h + 1
        while j < len(keys) and not keys[j] and kinds[j] == CODE:
            j += 1
        if j >= len(keys) or kinds[j] != HARD:
            return False
        j += 1
        while j < len(keys) and not keys[j] and kinds[j] == CODE:
            j += 1
        return j >= len(keys) or kinds[j] != CODE or is_closer(keys[j])

    def _shown_above(self, h: int) -> str | None:
        """The snippet's nearest shallower line above *h*, across markers."""
        cache = self._above
        if h in cache:
            return cache[h]
        cache[h] = got = self._find_above(h)
        return got

    def _find_above(self, h: int) -> str | None:
        keys, kinds, inds = self.s.keys, self.s.kinds, self.s.indents()
        at = inds[h]
        for j in range(h - 1, max(-1, h - 400), -1):
            if keys[j] and kinds[j] == CODE and inds[j] < at:
                return keys[j]
        return None
