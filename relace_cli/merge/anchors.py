"""Which lines may anchor, and small alignment rules around anchors (a mixin of `Aligner`).

Generic decorators anchor only with what they decorate; a bare YAML key only where its
neighbour agrees; a line nested in a block the original lacks is no gap anchor; bare keyword
openers, Allman braces and edited clause headers next to an anchor are the original's lines;
context shown between a marker and new lines is matched next to the anchor.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from relace_cli.linediff import common_ends
from relace_cli.merge.attached import is_decorator
from relace_cli.merge.guards import Ambiguous, edited, similar, slot_key
from relace_cli.merge.text import (
    CODE,
    HARD,
    OPENER_WORDS,
    PYTHONIC,
    Doc,
    indent_of,
    is_closer,
    is_trivial,
)

if TYPE_CHECKING:
    from relace_cli.merge.blocks import Blocks

ATTACHED_FIRST = frozenset("@#[")  # first characters of decorators / attributes
_MAX_STACK = 12
DATA = frozenset("yaml yml toml".split())
# key = value files: a name set again in another section is another setting
_SETTINGS = DATA | frozenset("ini cfg conf properties env json".split())


class AnchorRules:
    s: Doc
    o: Doc
    sb: Blocks
    pos: dict[str, list[int]]
    _new_owner: list[bool] | None
    copied: list[tuple[int, int]]
    _parents: list[int] | None

    def add_match(self, s: int, o: int) -> bool:  # (Aligner's)
        raise NotImplementedError

    def decorates_alike(self, s: int, o: int) -> bool:
        """A decorator, annotation or attribute (`@Override`, `#[test]`) means nothing without
        what it decorates: it anchors only when the lines after it agree too (the same line,
        stacked decorators that agree in turn, or the header of a definition of the same
        name). Otherwise a new `@Override` method would take the place of an existing one."""
        lang = self.sb.lang
        skeys, okeys, skinds = self.s.keys, self.o.keys, self.s.kinds
        if not is_decorator(skeys[s], lang):
            return True
        ns, no = len(skeys), len(okeys)
        for _ in range(_MAX_STACK):
            s += 1
            while s < ns and not skeys[s] and skinds[s] == CODE:
                s += 1
            o += 1
            while o < no and not okeys[o]:
                o += 1
            if s >= ns or o >= no or skinds[s] != CODE:
                return False
            a, b = skeys[s], okeys[o]
            if a != b:
                ka = slot_key(a)
                return ka is not None and ka.startswith("def:") and ka == slot_key(b)
            if not is_decorator(a, lang):
                return True
        return False

    def key_in_place(self, s: int, o: int) -> bool:
        """A bare mapping key (`with:`, `env:`) says little by itself: in data files it
        anchors only when the line above it (its parent or sibling) agrees, or is a marker -
        a different line above it means another mapping's key of the same name."""
        if self.sb.lang not in DATA or _BARE_KEY.match(self.s.keys[s]) is None:
            return True
        skeys, okeys, skinds = self.s.keys, self.o.keys, self.s.kinds

        def near(keys: list[str], i: int, step: int) -> int | None:
            i += step
            while 0 <= i < len(keys) and not keys[i]:
                i += step
            return i if 0 <= i < len(keys) else None

        ps, po = near(skeys, s, -1), near(okeys, o, -1)
        return ps is None or skinds[ps] != CODE or (po is not None and skeys[ps] == okeys[po])

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
            keys, kinds, lines = self.s.keys, self.s.kinds, self.s.lines
            for i, k in enumerate(keys):
                if not k or kinds[i] != CODE:
                    continue
                ind = indent_of(lines[i])
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
        out = []
        where = dict(cands)
        for s, o in cands:
            h = self._new_header_above(s)
            if h is None or not self._copies(h, o, where):
                out.append((s, o))
            else:
                self.copied.append((s, o))
        return out

    def _new_header_above(self, s: int) -> int | None:
        """The new line (one the original lacks) that heads the block around line *s*."""
        parents = self._parents
        if parents is None:  # one pass: each line's nearest shallower line, within its chunk
            keys, kinds, lines = self.s.keys, self.s.kinds, self.s.lines
            parents = self._parents = [-1] * len(keys)
            stack: list[tuple[int, int]] = []
            for i, k in enumerate(keys):
                if kinds[i] != CODE:
                    stack.clear()
                elif k:
                    line = lines[i]
                    ind = indent_of(line) if "\t" in line else len(line) - len(line.lstrip(" "))
                    while stack and stack[-1][0] >= ind:
                        stack.pop()
                    if stack:
                        parents[i] = stack[-1][1]
                    stack.append((ind, i))
        j = parents[s]
        if j < 0:
            return None
        k = self.s.keys[j]
        if k in self.pos or is_trivial(k) or is_closer(k):
            return None
        got = self.sb.end(j)
        return j if got is not None and got[0] >= s else None

    def _copies(self, h: int, o: int, where: dict[int, int]) -> bool:
        okeys, olines = self.o.keys, self.o.lines
        at = indent_of(olines[o])
        oh = next((j for j in range(o - 1, max(-1, o - 400), -1)
                   if okeys[j] and indent_of(olines[j]) < at), None)
        if oh is None:
            return False
        got, mine = self.ob.end(oh), self.sb.end(h)
        if got is None or mine is None:
            return False
        theirs = {k for k in okeys[oh + 1:got[0] + 1] if k and not is_trivial(k)}
        if self._shown_above(h) == okeys[oh]:
            return False  # `def notify():` / ... / `if x:` over its lines: a wrap
        at_h = indent_of(self.s.lines[h])
        near = [j for j in (*range(h - 1, max(-1, h - 40), -1),
                            *range(mine[0] + 1, min(len(self.s.keys), mine[0] + 40)))
                if j in where and indent_of(self.s.lines[j]) <= at_h]
        if near and oh < where[near[0]] <= got[0]:
            return False  # a line beside the new header is in that block too: a wrap
        if okeys[oh] in self.counts and not self._elided_body(okeys[oh]):
            return False  # the snippet shows that block too: a line moved out of it?
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
        keys, kinds, lines = self.s.keys, self.s.kinds, self.s.lines
        at = indent_of(lines[h])
        for j in range(h - 1, max(-1, h - 400), -1):
            if keys[j] and kinds[j] == CODE and indent_of(lines[j]) < at:
                return keys[j]
        return None

    def _marker_next(self, s: int) -> bool:
        """Is the next non-blank snippet line after *s* a written marker? (`anchor / --- /
        <!-- ... -->`: the line between is the original's next line, not a new one)"""
        keys, kinds = self.s.keys, self.s.kinds
        j = s + 1
        while j < len(keys) and not keys[j] and kinds[j] == CODE:
            j += 1
        return j < len(keys) and kinds[j] == HARD

    def _elided_inside(self, s: int) -> bool:
        """Does a written marker elide part of the block opened on snippet line *s* (the lines
        below it that are deeper)? Then the snippet shows that block in part: the original's."""
        keys, kinds, lines = self.s.keys, self.s.kinds, self.s.lines
        ind = indent_of(lines[s])
        for j in range(s + 1, len(keys)):
            if kinds[j] == HARD:
                return indent_of(lines[j]) > ind or keys[s] == "{"
            if keys[j] and indent_of(lines[j]) <= ind:
                return False
        return False

    def _clause_edit(self, s: int, o: int) -> bool:
        """`except (A, B):` written where the original has `except A:`, right above the same
        (matched) body: the clause's header was edited, not a second clause added."""
        a, b = self.s.keys[s], self.o.keys[o]
        if not a or not b or s + 1 >= len(self.s.keys) or o + 1 >= len(self.o.keys):
            return False
        word = a.split(None, 1)[0].rstrip(":")
        if word not in _CLAUSES or b.split(None, 1)[0].rstrip(":") != word or a[-1] != b[-1]:
            return False
        # the body below is deeper in both, and the new header keeps the old one's condition
        # (`except A:` -> `except (A, B):`); `elif x:` -> `elif y:` may be a new branch
        sl, ol = self.s.lines, self.o.lines
        if indent_of(sl[s + 1]) <= indent_of(sl[s]) or indent_of(ol[o + 1]) <= indent_of(ol[o]):
            return False
        old = b[len(word):].strip(" :{}()").strip()
        return bool(old) and old in a[len(word):]

    def _similar(self, s: int, o: int) -> bool:
        """`similar`, except that setting a name the original sets more than once
        (`err = s.insert(u)`, `err = s.notify(u)`) says nothing about which line it edits."""
        a, b = self.s.keys[s], self.o.keys[o]
        if not similar(a, b):
            return False
        slot = slot_key(b)
        if slot is None or not slot.startswith("set:") or "=" not in b or self.sb.lang in _SETTINGS:
            return True
        # another assignment to the name in the same block: a sequence of steps
        name, lines, keys = slot[4:], self.o.lines, self.o.keys
        ind = indent_of(lines[o])
        for step in (-1, 1):
            j = o + step
            while 0 <= j < len(keys) and abs(j - o) <= 200:
                if keys[j]:
                    d = indent_of(lines[j])
                    if d < ind:
                        break  # the block's header or end
                    if d == ind and name in keys[j] and slot_key(keys[j]) == slot:
                        return False
                j += step
        return True

    def backfill_labels(self) -> bool:
        """`default:` / `else {` left unmatched (too common to anchor on) right above its
        matched first body line, where the original has the same label right above that
        line: it is the original's label. True when a match was added."""
        keys, okeys, kinds, match = self.s.keys, self.o.keys, self.s.kinds, self.match
        added = False
        for h in [i for i, k in enumerate(keys) if k and k[-1] in ":{[(" and i + 1 in match
                  and i not in match]:
            g = match[h + 1] - 1
            if g < 0 or kinds[h] != CODE:
                continue
            k = keys[h]
            if not k or k != okeys[g] or not is_trivial(k):
                continue
            if not any(c.isalpha() for c in k) and not self._item_opener(h):
                continue  # (`{` alone: an Allman body, unless an item of a list)
            got = self.sb.end(h)
            if got is not None and self.add_match(h, g):
                added = True
        return added

    def _item_opener(self, h: int) -> bool:
        """`{` alone opening an item of a list (after `[`, `},` or a marker), not a body."""
        keys, kinds = self.s.keys, self.s.kinds
        for j in range(h - 1, -1, -1):
            if kinds[j] != CODE:
                return True
            if keys[j]:
                return keys[j][-1] in "[," or keys[j] in ("},", "],")
        return True

    def _header_after_new(self, s: int, s1: int, o: int) -> None:
        """`anchor / NEW / try: / # ...` where the original has `try:` right after the anchor:
        that `try:` (too common to anchor on) is the original's, its body elided, and the new
        lines go above it."""
        keys, kinds, okeys = self.s.keys, self.s.kinds, self.o.keys
        while o < len(okeys) and not okeys[o]:
            o += 1
        if o >= len(okeys):
            return
        h = s
        while h < s1 and kinds[h] == CODE:
            k = keys[h]
            if k == okeys[o]:
                if h > s and is_trivial(k) and k[-1:] in ":{" and k[:1].isalpha() \
                        and self._marker_next(h) and all(keys[j] not in self.pos or not keys[j]
                                                         for j in range(s, h)):
                    self.add_match(h, o)
                return
            h += 1

    def _closer_after(self, s: int, s1: int, o: int, o1: int) -> None:
        """`anchor / NEW / } / # ...`: the first line after the anchor that closes the anchor's
        own block is the original's closer of that block (found the same way: by bracket
        depth), when both read alike at the same offset; the new lines go above it. The block's
        header is elided, or shown and linked to the original's header of that same block."""
        skeys, kinds, okeys = self.s.keys, self.s.kinds, self.o.keys
        a = s - 1
        if not self.sb.brackets or self._linked(a) != o - 1:
            return
        if is_closer(skeys[a]) or is_trivial(skeys[a]):  # (`}`: the end of a linked block)
            h = self._opener(a, closed=True)
            if h is None or h < 0 or self._linked(h) is None:
                return
        h = self._first_dip(self.sb, range(s, s1), kinds)
        if h is None or not skeys[h]:
            return
        c = self._first_dip(self.ob, range(o, o1), None)
        if c is None or any(okeys[o:c]):
            return  # (lines between the anchor and the closer: an edit, not ours to guess)
        # `}, [dispatch]);` for `}, []);`: the same closer with its tail edited
        same = okeys[c] == skeys[h]
        if not same and (okeys[c][:1] != skeys[h][:1] or not is_closer(skeys[h])
                         or (self.sb._info[h] or self.sb.info(h))[:2]
                         != (self.ob._info[c] or self.ob.info(c))[:2]):
            return
        sl, ol = self.s.lines, self.o.lines
        if indent_of(sl[h]) - indent_of(sl[a]) != indent_of(ol[c]) - indent_of(ol[o - 1]):
            return
        head = self._opener(a, closed=False)
        if head is None:
            return
        if head >= 0:  # shown: the original line it stands for must open the same block
            oh = self._linked(head)
            got = self.ob.end(oh) if oh is not None else None
            if got is None or got[0] != c:
                return
        if same:
            self.add_match(h, c)
        elif self.add_cut(h, c):
            self.add_cut(h + 1, c + 1)

    def _linked(self, s: int) -> int | None:
        """The original line snippet line *s* stands for: matched, or an edit between cuts."""
        got = self.match.get(s)
        if got is not None:
            return got
        for a, b in self.cuts:
            if a == s and (s + 1, b + 1) in self.cuts:
                return b
        return None

    def _opener(self, s: int, closed: bool) -> int | None:
        """The snippet line that opens the block around line *s* (closed: the block *s*
        closes), scanning up to a marker: -1 when the opener is elided, None when brackets
        and indentation disagree (a snippet whose brackets do not add up)."""
        infos, info, kinds = self.sb._info, self.sb.info, self.s.kinds
        keys, lines = self.s.keys, self.s.lines
        net, dip, _ = infos[s] or info(s)
        depth = -dip if closed else 0
        at = indent_of(lines[s])
        by_indent = -1
        for i in range(s - 1 if closed else s, -1, -1):
            if kinds[i] != CODE:
                break
            k = keys[i]
            if by_indent < 0 and k and i < s and indent_of(lines[i]) < at \
                    and not is_closer(k):
                by_indent = i
            net, dip, _ = infos[i] or info(i)
            depth -= net - dip  # (what it opens, after what it closes)
            if depth < 0 or (closed and depth == 0 and net - dip > 0):
                return i if by_indent in (-1, i) or closed else None
            depth -= dip
        return -1 if by_indent < 0 else None

    @staticmethod
    def _first_dip(blocks: Blocks, span: range, kinds: list[int] | None) -> int | None:
        """The first line of *span* that closes a block opened before it (None: a marker or
        the span's end comes first)."""
        infos, info = blocks._info, blocks.info
        depth = 0
        for i in span:
            if kinds is not None and kinds[i] != CODE:
                return None
            net, dip, _ = infos[i] or info(i)
            if depth + dip < 0:
                return i if depth == 0 else None
            depth += net
        return None

    def _shown_in_part(self, s: int, s_end: int, o: int, o_end: int, shown: list[int]) -> bool:
        """A block (header *s*, original *o*) whose snippet body ends right before a shallower
        marker, with fewer lines after its last shown line than the original has there: the
        body shown in part (the rest stays) or all of a new body? `def f():` / a line of its
        body / a new line / `# ...`, or (Python) `def f():` / its first line edited / `# ...`."""
        keys, okeys = self.s.keys, self.o.keys
        if shown:
            last = shown[-1]
            if self.match.get(s_end) == o_end or HARD in self.s.kinds[last + 1:s_end + 1]:
                return False
            mine = sum(1 for k in keys[last + 1:s_end + 1] if k)
            theirs = sum(1 for k in okeys[self.match[last] + 1:o_end + 1] if k)
            if theirs > mine:
                return True
            # as many new lines as the original has left: not a rewrite of those lines when
            # the first sets another name than the first (`phone: str` after `email: str`,
            # where the original goes on with `address: str`): new fields, or replaced ones?
            a = next((j for j in range(last + 1, s_end + 1) if keys[j]), None)
            b = next((j for j in range(self.match[last] + 1, o_end + 1) if okeys[j]), None)
            if a is None or b is None:
                return False
            ka, kb = slot_key(keys[a]), slot_key(okeys[b])
            return ka is not None and kb is not None and ka[:4] == kb[:4] == "set:" \
                and ka != kb and not self._similar(a, b)
        if self.sb.lang not in PYTHONIC:
            return False
        first = next((j for j in range(s + 1, s_end + 1) if keys[j]), None)
        ofirst = next((j for j in range(o + 1, o_end + 1) if okeys[j]), None)
        if first is None or ofirst is None:
            return False
        theirs = sum(1 for k in okeys[o + 1:o_end + 1] if k)
        mine = sum(1 for k in keys[s + 1:s_end + 1] if k)
        if (slot_key(keys[s]) or "")[:4] == "def:" and not self._similar(first, ofirst) \
                and mine >= 2 and 2 * mine >= theirs:
            return False  # a function's whole new body, written out (for a loop, unlikely;
            # one line in place of many reads as an edit of its first line just as well)
        return theirs > mine

    def _header_edit(self, s: int, o: int) -> bool:
        """`with raises(E, match="x"):` written where the original has `with raises(E):`,
        above the same first body line: the header was edited, not a block added beside it
        (a copy of the old body under a near-copy of its header)."""
        a, b = self.s.keys[s], self.o.keys[o]
        if not a or not b or a[-1] != b[-1] or a[-1] not in ":{>" \
                or s + 1 >= len(self.s.keys) or o + 1 >= len(self.o.keys):
            return False
        if a[-1] == ">" and (a[:1] != "<" or b[:1] != "<" or a[1:].split(None, 1)[0:1]
                             != b[1:].split(None, 1)[0:1] or a.endswith("/>")):
            return False  # (`<Button x>` for `<Button>`: one element's opening tag edited)
        body = self.s.keys[s + 1]
        if not body or body != self.o.keys[o + 1] or self.s.kinds[s + 1] != CODE:
            return False
        sl, ol = self.s.lines, self.o.lines
        if indent_of(sl[s + 1]) <= indent_of(sl[s]) or indent_of(ol[o + 1]) <= indent_of(ol[o]):
            return False
        if edited(a[:-1].rstrip(), b[:-1].rstrip()):
            return True
        # `if x <= 0 {` over the very block of `if x < 0 {` (same body, same closer, shown in
        # full): a second copy of that block would make no sense
        se, oe = self.sb.end(s), self.ob.end(o)
        if se is None or oe is None or not se[1] or not oe[1] or a.split()[0] != b.split()[0]:
            return False
        if HARD in self.s.kinds[s:se[0] + 1]:
            return False
        return [k for k in self.s.keys[s + 1:se[0] + 1] if k] == \
            [k for k in self.o.keys[o + 1:oe[0] + 1] if k]

    def _new_sibling(self, s: int, o: int, s1: int, o1: int) -> int:
        """Snippet line *s* opens a complete element (`<li>` ... `</li>`, `{` ... `},`) where the
        original's next element opens with the same line but holds other text: a new sibling
        inserted before it, not that element rewritten: the element's last line, else 0.
        Raises Ambiguous when the two bodies are neither alike nor plainly different."""
        k = self.s.keys[s]
        if not (k[:1] == "<" or k[-1:] == "(" or k in OPEN_BRACKETS):
            return 0  # an item of a list: not `if err != nil {` after its statement
        prev = next((x for x in reversed(self.s.keys[:s]) if x), "")
        if k in OPEN_BRACKETS:
            if prev[-1:] != "," and prev[:1] not in ")]}":
                return 0  # Allman: `if (x)` / `{` opens that statement's body
        se, oe = self.sb.end(s), self.ob.end(o)
        if se is None or oe is None:
            return 0
        s_end, o_end = se[0], oe[0]
        after = next((x for x in self.s.keys[s_end + 1:] if x), "")
        if k[:1] == "<" and prev not in (self.s.keys[s_end], after):
            return 0  # (after `<input />`, not after a `</li>` like its own: that element)
        if s_end <= s or s_end >= s1 or o_end >= o1 or HARD in self.s.kinds[s:s_end + 1]:
            return 0
        mine = [k for k in self.s.keys[s + 1:s_end + 1] if k]
        theirs = [k for k in self.o.keys[o + 1:o_end + 1] if k]
        if mine == theirs or any(k in theirs for k in mine if not (is_trivial(k) or is_closer(k))):
            return 0  # the same element, maybe edited in part
        # (closing lines are alike in any two elements: they do not count)
        a = "\n".join(k for k in mine if not is_closer(k))
        b = "\n".join(k for k in theirs if not is_closer(k))
        p, q = common_ends(a, b)
        share = (p + q) / max(len(a), len(b), 1)
        if share >= 0.8:
            return 0  # `/contact` -> `/contact-us`: an edit of that element
        if share <= 0.55:
            return s_end
        raise Ambiguous(f"`{self.s.keys[s][:40]}` may start a new element or rewrite the next one "
                        f"(`{theirs[0][:40]}`); the snippet does not say")

    def _context(self, options: list[tuple[int, range]], chunk: range, front: bool) -> None:
        """Match the context lines of *chunk* - its first (front) or last p lines - to the
        original lines *where*, for the one option (p, where) whose lines agree; the rest of the
        chunk is new. Two agreeing options (`x / x / NEW` above `x / x`): nothing is matched."""
        skeys, okeys = self.s.keys, self.o.keys
        fits = []
        for p, where in options:
            ctx = chunk[:p] if front else chunk[len(chunk) - p:]
            if all(skeys[i] == okeys[j] for i, j in zip(ctx, where, strict=True)) \
                    and any(skeys[i] and extendable(skeys[i]) for i in ctx):
                fits.append((ctx, where))
                if len(fits) > 1:
                    return
        if fits:
            ctx, where = fits[0]
            if any(skeys[i][:1] in ATTACHED_FIRST and not self.decorates_alike(i, j)
                   for i, j in zip(ctx, where, strict=True)):
                return
            # the new lines must read as new: none found in the original (else which copy is
            # context is anyone's guess), brackets balanced (they join no elided block)
            new = [i for i in chunk if i not in ctx]
            depth = 0
            infos, info = self.sb._info, self.sb.info
            for i in new:
                k = skeys[i]
                if k and k in self.pos and not is_trivial(k) and not (
                        self.inside_new_block(i)
                        and (len(self.pos[k]) > 1 or self.pos[k][0] in where)):
                    return  # (a new block may repeat boilerplate, or the context's lines)
                net, low, _ = infos[i] or info(i)
                if depth + low < 0:
                    return
                depth += net
            if depth:
                return
            for i, j in zip(ctx, where, strict=True):
                self.add_match(i, j)


def opener_word(key: str) -> bool:
    """`else:`, `try {`, `begin`, `do`, `then`, an Allman `{`: a bare keyword (or brace) that
    opens a block. Right after an anchor and before a marker (`else:` / `# ...`), it is the
    original's line that follows the anchor, not a second one."""
    return key == "{" or key.strip("{}: ").lower() in OPENER_WORDS


_BARE_KEY = re.compile(r"^[\w.-]+:$")
_CLAUSES = frozenset("except elif rescue when catch".split())


def statement(key: str) -> bool:
    return not is_closer(key) and _BARE_WORD.fullmatch(key) is None \
        and any(c.isalnum() for c in key)


_BARE_WORD = re.compile(r"[\w.-]+:?")
OPEN_BRACKETS = frozenset(("{", "[", "("))


def extendable(key: str) -> bool:
    """Blank or distinctive lines, and Markdown code fences (next to a matched line, a fence
    is that block's own); `}` or `end` could close some other block."""
    return not key or not is_trivial(key) or key.startswith(("```", "~~~"))

