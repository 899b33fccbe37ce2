"""Closing lines next to an anchor (a mixin of `Aligner`, via `AnchorRules`): `anchor / new
lines / } / # ...` - the first line that closes the anchor's own block is the original's closer
of that block, found by bracket depth on both sides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relace_cli.merge.text import CODE, Doc, indent_of, is_closer, is_trivial

if TYPE_CHECKING:
    from relace_cli.merge.blocks import Blocks

TAG_ENDS = frozenset(("/>", ">"))  # the end of a tag spread over lines
_CLAUSE_WORDS = frozenset("else elif catch finally except".split())


class CloserRules:
    s: Doc
    o: Doc
    sb: Blocks
    ob: Blocks
    match: dict[int, int]
    cuts: set[tuple[int, int]]

    def add_match(self, s: int, o: int) -> bool:  # (Aligner's)
        raise NotImplementedError

    def add_cut(self, s: int, o: int) -> bool:  # (Aligner's)
        raise NotImplementedError

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
            if h is None or (self._linked(h) is None if h >= 0 else not self._pinned(a)):
                return  # (an elided opener: the closer must follow a distinctive anchor)
        h = self._first_dip(self.sb, range(s, s1), kinds)
        if h is None or not skeys[h]:
            return
        c = self._first_dip(self.ob, range(o, o1), None)
        if c is None:
            return
        sl, ol = self.s.lines, self.o.lines
        # lines between the anchor and the closer: an edit, not ours to guess - unless the
        # snippet's last lines above its closer are those very lines (`return` / `}`)
        ctx = self._shown_before(range(s, h), range(o, c), a, o - 1)
        if ctx is None:
            return
        # `} else {` / `} catch (e) {` where the original closes the block with `}`: a new
        # clause of that block; the `}` that ends the clause is the original's closer
        clause = okeys[c] == "}" and self._clause_end(h, s1)
        if clause:
            nxt = next((k for k in okeys[c + 1:o1] if k), "")
            if nxt and nxt.split(None, 1)[0].strip("{(:") in _CLAUSE_WORDS:
                return  # (`}` / `else {` in the original: which clause comes first?)
        # `}, [dispatch]);` for `}, []);`: the same closer with its tail edited
        same = okeys[c] == skeys[h]
        if not same and not clause and (
                okeys[c][:1] != skeys[h][:1] or not is_closer(skeys[h])
                or (self.sb._info[h] or self.sb.info(h))[:2]
                != (self.ob._info[c] or self.ob.info(c))[:2]):
            return
        if indent_of(sl[h]) - indent_of(sl[a]) != indent_of(ol[c]) - indent_of(ol[o - 1]):
            return
        head = self._opener(a, closed=False)
        if head is None:
            return
        if head >= 0:  # shown: the original line it stands for must open the same block
            oh = self._linked(head)
            if oh is None:
                oh = self._swapped(head)
            got = self.ob.end(oh) if oh is not None else None
            if got is None or got[0] != c:
                return
        for i, j in ctx:
            self.add_match(i, j)
        if clause:
            self.add_match(clause, c)
        elif same:
            self.add_match(h, c)
        elif self.add_cut(h, c):
            self.add_cut(h + 1, c + 1)

    def _shown_before(self, span: range, where: range, a: int, oa: int) -> list[
            tuple[int, int]] | None:
        """The snippet lines of *span* (between an anchor *a* and a closer) that are the
        original's lines *where* (between the anchor's line *oa* and that closer): the same
        lines, as many, in order and at the same depth from the anchor, last in *span*.
        Pairs to match ([] when *where* has no code); None when they are not all shown."""
        skeys, okeys = self.s.keys, self.o.keys
        theirs = [j for j in where if okeys[j]]
        if not theirs:
            return []
        mine = [i for i in span if skeys[i]][-len(theirs):]
        if len(mine) < len(theirs):
            return None
        sl, ol = self.s.lines, self.o.lines
        for i, j in zip(mine, theirs, strict=True):
            if skeys[i] != okeys[j] or is_closer(skeys[i]) \
                    or indent_of(sl[i]) - indent_of(sl[a]) != indent_of(ol[j]) - indent_of(ol[oa]):
                return None
        return list(zip(mine, theirs, strict=True))

    def _clause_end(self, h: int, s1: int) -> int:
        """`} else {` / `} catch (e) {` at snippet line *h*: the `}` (at its indentation)
        that ends the clause's block before a marker or *s1*, else 0."""
        key = self.s.keys[h]
        if key[0] != "}" or key[-1] != "{" or (self.sb._info[h] or self.sb.info(h))[:2] != (0, -1):
            return 0
        e = self._first_dip(self.sb, range(h + 1, s1), self.s.kinds)
        if e is None or self.s.keys[e] != "}" \
                or indent_of(self.s.lines[e]) != indent_of(self.s.lines[h]):
            return 0
        return e

    def _tag_end_after(self, s: int, s1: int, o: int, o1: int) -> None:
        """`onChange={f}` / `disabled` / `/>` / `// ...`: inside a multi-line tag, the first
        line that ends the tag (`/>`, `>`) after an anchored attribute is the original's line
        that ends that tag; the attribute lines between are the snippet's."""
        skeys, kinds, okeys = self.s.keys, self.s.kinds, self.o.keys
        if self.match.get(s - 1) != o - 1 or skeys[s - 1][:1] in "<{/" or is_closer(skeys[s - 1]):
            return
        h = next((j for j in range(s, s1) if kinds[j] != CODE or skeys[j] in TAG_ENDS
                  or skeys[j][:1] == "<"), None)
        if h is None or kinds[h] != CODE or skeys[h] not in TAG_ENDS:
            return
        c = next((j for j in range(o, o1) if okeys[j] in TAG_ENDS or okeys[j][:1] == "<"), None)
        if c is None or okeys[c] != skeys[h] \
                or indent_of(self.s.lines[h]) - indent_of(self.s.lines[s - 1]) \
                != indent_of(self.o.lines[c]) - indent_of(self.o.lines[o - 1]):
            return
        self.add_match(h, c)

    def _linked(self, s: int) -> int | None:
        """The original line snippet line *s* stands for: matched, or an edit between cuts."""
        got = self.match.get(s)
        if got is not None:
            return got
        for a, b in self.cuts:
            if a == s and (s + 1, b + 1) in self.cuts:
                return b
        return None

    def _pinned(self, s: int) -> bool:
        """Matched snippet line *s* follows a distinctive line matched to the line right
        above *s*'s original line: found in place, not by its text alone."""
        got, above = self.match.get(s), self.match.get(s - 1)
        return got is not None and above == got - 1 and not is_trivial(self.s.keys[s - 1])

    def _swapped(self, s: int) -> int | None:
        """The original line that snippet line *s* replaces one for one, with matched lines
        right above and below it in both texts (`Foo(A a, B b) {` for `Foo(A a) {`), or None."""
        above, below = self.match.get(s - 1), self.match.get(s + 1)
        return above + 1 if above is not None and below == above + 2 else None

    def _opener(self, s: int, closed: bool) -> int | None:
        """The snippet line that opens the block around line *s* (closed: the block *s*
        closes), scanning up to a marker: -1 when the opener is elided, None when brackets
        and indentation disagree (a snippet whose brackets do not add up)."""
        infos, info, kinds = self.sb._info, self.sb.info, self.s.kinds
        keys, inds = self.s.keys, self.s.indents()
        net, dip, _ = infos[s] or info(s)
        depth = -dip if closed else 0
        at = inds[s]
        by_indent = -1
        for i in range(s - 1 if closed else s, -1, -1):
            if kinds[i] != CODE:
                break
            k = keys[i]
            if by_indent < 0 and k and i < s and inds[i] < at \
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
