"""Align the snippet's lines with the original's: a monotone chain of matches and cuts.

A *match* (s, o) says snippet line s is original line o (same stripped text). A *cut*
(sp, op) says snippet lines before sp correspond to original lines before op (used for block
ends whose last lines differ, e.g. a Python body). Matches and cuts form one chain, increasing
in both coordinates; whatever lies between two links is a *gap* for `assemble` to resolve.

Steps (patience-diff style, never quadratic over the whole file):
1. lines unique in both texts, non-trivial (not `}` or blank), longest increasing chain;
2. structure: a matched header's block must map inside the original's block (stray matches
   are dropped) and its end maps to the original block's end;
3. each gap is refined: lines unique inside the gap, then a small LCS (gaps without markers)
   or contiguous extension from both sides (gaps with markers); repeat 2-3 until stable.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from relace_cli.merge.anchors import (
    ATTACHED_FIRST,
    DATA,
    OPEN_BRACKETS,
    AnchorRules,
    extendable,
    opener_word,
    statement,
)
from relace_cli.merge.blocks import HEADING, Blocks
from relace_cli.merge.chain import Chain
from relace_cli.merge.closers import TAG_ENDS
from relace_cli.merge.guards import Ambiguous, edited
from relace_cli.merge.lcs import heaviest, lis
from relace_cli.merge.lcs import lcs as _lcs
from relace_cli.merge.replace import replaces_at
from relace_cli.merge.runs import run_anchors
from relace_cli.merge.text import (
    CODE,
    HARD,
    PYTHONIC,
    Doc,
    family,
    is_closer,
    is_trivial,
)

_LCS_CELLS = 60_000


class StructureConflict(Exception):
    """A unique anchor sits inside a block on one side and outside it on the other."""

    def __init__(self, line: str, header: str) -> None:
        super().__init__(f"`{line[:50]}` is inside `{header[:40]}` in one text but not the other")


class Aligner(Chain, AnchorRules):
    def __init__(self, snip: Doc, orig: Doc, sb: Blocks, ob: Blocks) -> None:
        self.s = snip
        self.o = orig
        self.sb = sb
        self.ob = ob
        self.match: dict[int, int] = {}
        self.cuts: set[tuple[int, int]] = set()
        self._points: list[tuple[int, int]] | None = None
        self._sorted: tuple[list[int], list[int]] | None = None  # matched s, their o
        self.done_headers: set[int] = set()
        # how often each code key occurs in the snippet; original positions of those keys
        counts: dict[str, int] = {}
        for k, kind in zip(snip.keys, snip.kinds, strict=True):
            if kind == CODE:
                counts[k] = counts.get(k, 0) + 1
        self.counts = counts
        pos: dict[str, list[int]] = {}
        for i, k in enumerate(orig.keys):
            if k in counts:
                got = pos.get(k)
                if got is None:
                    pos[k] = [i]
                else:
                    got.append(i)
        self.pos = pos
        self.dropped: list[tuple[int, int]] = []  # unique anchors left out of order
        self.copied: list[tuple[int, int]] = []  # unique lines a new block copies
        self.keep_copies = False  # (a last resort: read those copies as a wrap; see engine)
        self._above: dict[int, str | None] = {}  # see _shown_above
        self._verdicts: dict[tuple[int, int], bool] = {}  # see _copies
        self._around: dict[int, int | None] = {}  # see _new_header_around
        self.unique: set[int] = set()  # snippet lines matched as globally unique anchors
        self.def_anchors: dict[int, int] = {}  # rewritten definition headers (see defs.py)
        # a complete new file: a line that moved into another block is dropped as an anchor
        # (a refactor), not a conflict - every snippet line is emitted anyway
        self.lenient = False
        self._new_owner: list[bool] | None = None  # see inside_new_block
        self._deferred: set[int] = set()  # headers whose block end waits for a later pass
        self._generic = family(sb.lang) == "generic"  # (R, Perl, PowerShell: braces, roughly)
        # a line the original repeats, once in the block of the shown header it sits under,
        # anchors there (see _once_in_owner) in a second reading, where the first abstains;
        # the first only notes those lines in this list (None: the second reading)
        self.scoped: list[int] | None = []

    # --- steps ----------------------------------------------------------------------------

    def unique_anchors(self) -> None:
        counts = self.counts
        # keys once in each text (only code keys are in pos)
        once = {k: where[0] for k, where in self.pos.items() if len(where) == 1 and counts[k] == 1}
        kinds = self.s.kinds
        cands = []
        if once:
            get = once.get
            for i, k in enumerate(self.s.keys):
                o = get(k)
                if o is not None and kinds[i] == CODE and not is_trivial(k) and (
                        k[0] not in ATTACHED_FIRST or self.decorates_alike(i, o)) and (
                        k[-1] != ":" or self.key_in_place(i, o)):
                    cands.append((i, o))
            cands = self.drop_copies(cands)
        chain = lis(cands)
        if len(chain) < len(cands) <= 1500:
            chain = self._heaviest(cands)
        if len(chain) < len(cands):
            kept = set(chain)
            self.dropped = [p for p in cands if p not in kept]
        if not self.match and not self.cuts:
            # an increasing chain on an empty alignment: every link fits
            self.match.update(chain)
            self._sorted = None
            self.unique.update(self.match)  # (the chain's snippet lines: match was empty)
            self._points = None
            return
        for si, oi in chain:
            if self.add_match(si, oi):
                self.unique.add(si)

    def _heaviest(self, cands: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Increasing chain of greatest weight; a header weighs by the block it brings along."""
        weights = []
        keys = self.s.keys
        for si, oi in cands:
            w = 1.0
            if keys[si][-1] not in "{:([>" and keys[si][0] not in "<#":
                weights.append(w)
                continue
            se, oe = self.sb.end(si), self.ob.end(oi)
            if se is not None and oe is not None:
                w += 0.5 * min(se[0] - si, oe[0] - oi)
            weights.append(w)
        return heaviest(cands, weights)

    def structure(self) -> bool:
        """Block consistency and block ends for matched headers; True when it changed."""
        changed = False
        match, done, s_end_of, o_end_of = self.match, self.done_headers, self.sb.end, self.ob.end
        for s in sorted(match):
            if s in done or s not in match:
                continue
            o = match[s]
            done.add(s)
            se = s_end_of(s)
            if se is None:
                continue
            oe = o_end_of(o)
            if oe is None:
                continue
            s_end, s_explicit = se
            o_end, o_explicit = oe
            if self.s.keys[s][:1] == "<":  # `<input` / attributes / `/>`: the tag's own end
                ns, no = s_end + 1, o_end + 1
                if ns < len(self.s.keys) and no < len(self.o.keys) \
                        and self.s.keys[ns] in TAG_ENDS and self.s.keys[ns] == self.o.keys[no] \
                        and self.add_match(ns, no):
                    changed = True
                elif no < len(self.o.keys) and self.o.keys[no] in TAG_ENDS \
                        and self.s.keys[s_end].endswith(">") and s_end > s \
                        and self.s.keys[s_end] not in TAG_ENDS and self.add_cut(ns, no + 1):
                    changed = True  # `height={180} />` closes the tag the original closes below
            if self.ob.markdown:
                o_end = self._own_text_end(s, s_end, o, o_end)
            # drop matches that leave the block on one side only
            if self._drop_strays(s, s_end, o, o_end):
                changed = True
            if self.s.kinds[s_end] != CODE:
                continue  # the block is cut short by a marker: its end is elided
            if s_explicit != o_explicit:
                continue  # one side shows a closer the other does not: no sure end
            if self._own_closer(self.o, o, o_end) \
                    and not self._own_closer(self.s, s, s_end) and self._marker_follows(s_end):
                continue  # `for ...; do` / body / `# ...`: its `done` elided, not dropped
            if s_explicit and self.sb.brackets and s_end > s and is_closer(self.s.keys[s_end]) \
                    and self.s.indents()[s_end] < self.s.indents()[s] \
                    and HARD in self.s.kinds[s:s_end]:
                raise Ambiguous(f"`{self.s.keys[s_end][:20]}` closes `{self.s.keys[s][:40]}` by "
                                "its brackets but sits at an outer block's depth; unclear which "
                                "block it ends")
            if s_explicit and self.sb.brackets and (
                    self.s.keys[s_end] != self.o.keys[o_end]
                    or (self._generic and self.s.indents()[s_end] > self.s.indents()[s])) \
                    and self._open_at(s, s_end):
                # `});` closes a call inside the block, not the block; a deeper `}` closes a
                # new inner block: the block's own end is elided
                continue
            if not s_explicit:
                if not self._innermost(s, s_end):
                    continue
                if self._marker_follows(s_end):
                    if self.sb.lang in DATA or (s_end in self.match
                                                and self.match[s_end] != o_end):
                        # `...` after an existing line mid-block, or after a few keys of a
                        # mapping (data formats show a mapping in part): the rest may stay
                        continue
                    shown = [j for j in range(s + 1, s_end + 1) if j in self.match]
                    if not shown and s not in self._deferred and self.sb.lang in PYTHONIC:
                        self._deferred.add(s)  # decide once the body had its chance to match
                        done.discard(s)
                        changed = True
                        continue
                    if self._shown_in_part(s, s_end, o, o_end, shown):
                        if self._rest_stays(s, s_end, o, o_end, shown):
                            continue  # the rest of the body stays: its end is elided
                        raise Ambiguous(f"`{self.s.keys[s][:50]}` is shown in part before a "
                                        "marker: unclear whether the rest of its body stays")
            if self.s.keys[s_end] == self.o.keys[o_end]:
                if self.match.get(s_end) == o_end or self.add_match(s_end, o_end):
                    changed = True
                    continue
            if self.add_cut(s_end + 1, o_end + 1):
                changed = True
        return changed

    def _drop_strays(self, s: int, s_end: int, o: int, o_end: int) -> bool:
        if self._sorted is None:
            keys = sorted(self.match)
            self._sorted = (keys, [self.match[x] for x in keys])
        ss, os_ = self._sorted
        inside_s = ss[bisect_right(ss, s):bisect_right(ss, s_end)]
        inside_o = ss[bisect_right(os_, o):bisect_right(os_, o_end)]
        if inside_s == inside_o:
            return False  # (the common case: the same matches inside on both sides)
        stray = (set(inside_s) ^ set(inside_o)) - {s}
        for x in sorted(stray):
            if x in self.unique and len(self.s.keys[x]) > 3 and not self.lenient:
                raise StructureConflict(self.s.keys[x], self.s.keys[s])
            self.remove_match(x)
        return bool(stray)

    def _own_text_end(self, s: int, s_end: int, o: int, o_end: int) -> int:
        """A Markdown section shown without subsections ends, in the original, before its
        first subsection: `## Deploy` / new text stands for the section's own text only."""
        heading, in_s, in_o = HEADING.match, self.sb._in_fence, self.ob._in_fence
        mine = [self.s.keys[j] for j in range(s + 1, s_end + 1)
                if heading(self.s.keys[j]) and not in_s(j)]
        theirs = [j for j in range(o + 1, o_end + 1) if heading(self.o.keys[j]) and not in_o(j)]
        if not theirs:
            return o_end
        if not mine:
            return theirs[0] - 1
        if not any(self.o.keys[j] in mine for j in theirs):
            raise Ambiguous(f"`{mine[0][:40]}` may replace `{self.o.keys[theirs[0]][:40]}` or "
                            "be added beside it; the snippet does not say")
        return o_end

    @staticmethod
    def _own_closer(doc: Doc, h: int, end: int) -> bool:
        """Is line *end* a closing word (`done`, `fi`, `end`) at header *h*'s indentation?"""
        key = doc.keys[end]
        return is_closer(key) and key[0].isalpha() and doc.indents()[end] == doc.indents()[h]

    def _open_at(self, h: int, end: int) -> bool:
        """Are brackets opened from line *h* to *end* of the snippet still open after it?"""
        infos, info = self.sb._info, self.sb.info
        net, low, _ = infos[h] or info(h)
        depth = net - low  # (`} else {` closes one block, then opens its own)
        for j in range(h + 1, end + 1):
            depth += (infos[j] or info(j))[0]
        return depth > 0

    def _marker_follows(self, end: int) -> bool:
        """A written marker right after an implicit block end: the end is not certain."""
        for j in range(end + 1, len(self.s.lines)):
            if self.s.keys[j] or self.s.kinds[j] == HARD:
                return self.s.kinds[j] == HARD
        return False

    def _innermost(self, h: int, end: int) -> bool:
        """True when the block's last line sits at the block's own body depth."""
        inds = self.s.indents()
        body = None
        for j in range(h + 1, end + 1):
            if self.s.keys[j]:
                body = inds[j]
                break
        return body is not None and inds[end] <= body

    def refine(self, s0: int, s1: int, o0: int, o1: int, depth: int = 0) -> None:
        if s0 >= s1 or o0 >= o1 or depth > 40:
            return
        skeys, skinds, okeys = self.s.keys, self.s.kinds, self.o.keys
        n_code = skinds[s0:s1].count(CODE)
        if not n_code:
            return
        marked = n_code != s1 - s0
        code = [i for i in range(s0, s1) if skinds[i] == CODE] if marked else range(s0, s1)
        counts: dict[str, int] = {}
        for i in code:
            k = skeys[i]
            counts[k] = counts.get(k, 0) + 1
        cands = []
        pos = self.pos
        fresh = -1  # the end of a new element found in the gap: its lines anchor nothing
        for i in code:
            k = skeys[i]
            if not k or counts[k] != 1 or i <= fresh:
                continue
            where = pos.get(k)
            if not where:
                continue
            if len(where) == 1:
                if not o0 <= where[0] < o1:
                    continue
                a = 0
            else:
                a = bisect_left(where, o0)
                if bisect_left(where, o1, a) - a != 1:
                    # (once inside the block of the shown header it sits under: that one)
                    a = self._once_in_owner(i, where)
                    if a is None or not o0 <= where[a] < o1:
                        continue
            if marked and is_trivial(k) and not (k[-1] in ":{([" and k[0].isalpha()
                                                 and self._marker_next(i)):
                continue  # (`try:` / `# ...`: the one `try:` of the gap, its body elided)
            if k[0] in ATTACHED_FIRST and not self.decorates_alike(i, where[a]):
                continue
            if k[-1] == ":" and not self.key_in_place(i, where[a]):
                continue
            if marked and self.inside_new_block(i):
                continue  # new code that repeats a line found in the gap: no anchor
            if marked:
                end = self._new_sibling(i, where[a], s1, o1)
                if end:
                    fresh = end
                    continue  # `<li>` of a new item, facing the next item's `<li>`
            cands.append((i, where[a]))
        chain = [p for p in lis(cands) if self.add_match(*p)] if cands else cands
        if chain:
            prev_s, prev_o = s0, o0
            for s, o in chain:
                if prev_s < s and prev_o < o:  # else there is nothing between to refine
                    self.refine(prev_s, s, prev_o, o, depth + 1)
                prev_s, prev_o = s + 1, o + 1
            self.refine(prev_s, s1, prev_o, o1, depth + 1)
            return
        if not marked and (s1 - s0) * (o1 - o0) <= _LCS_CELLS:
            for s, o in _lcs(skeys[s0:s1], okeys[o0:o1]):
                self.add_match(s0 + s, o0 + o)
            return
        # contiguous extension from both ends, stopping at markers; a line that is plainly
        # an edit of the line facing it (`version: 2` / `version: 1`) replaces it
        s, o = s0, o0
        at_start = s0 == 0 and o0 == 0  # both texts start here: `{` is the same `{`
        while s < s1 and o < o1 and skinds[s] == CODE and (
                extendable(skeys[s]) or (skeys[s] == okeys[o] and (
                    (opener_word(skeys[s]) and (skeys[s] == "{" or self._elided_inside(s)))
                    or (self._marker_next(s) and not is_closer(skeys[s]))
                    or (at_start and skeys[s] in OPEN_BRACKETS)
                    or (skeys[s] in TAG_ENDS and self.match.get(s - 1) == o - 1)))):
            if skeys[s] == okeys[o]:
                if skeys[s][:1] in ATTACHED_FIRST and not self.decorates_alike(s, o):
                    break
                if self._new_sibling(s, o, s1, o1):
                    break
                self.add_match(s, o)
            elif (self._similar(s, o) or self._replaces(s, o)
                  or edited(skeys[s], okeys[o]) or self._header_edit(s, o)) \
                    and self.add_cut(s, o):
                # `payload = build(x)` for `payload = {` / ... / `}`: the whole statement
                o = self._statement_end(s, o, o1)
                self.add_cut(s + 1, o + 1)
            else:
                break
            s += 1
            o += 1
        lo_s, lo_o = s, o
        if lo_s < s1 and lo_o < o1:
            if skeys[lo_s] != okeys[lo_o]:
                self._header_after_new(lo_s, s1, lo_o)
            self._closer_after(lo_s, s1, lo_o, o1)
            self._tag_end_after(lo_s, s1, lo_o, o1)
        s, o = s1 - 1, o1 - 1
        # both texts end here: a common last statement such as `return {}` is the same line
        # (not a closer, a bare word or punctuation: `}`, `EOF`, `...` may end other blocks)
        at_end = s1 == len(skeys) and o1 == len(okeys)
        while s >= lo_s and o >= lo_o and skinds[s] == CODE and (
                extendable(skeys[s])
                or (at_end and skeys[s] == okeys[o] and statement(skeys[s]))):
            if skeys[s] == okeys[o]:
                if skeys[s][:1] in ATTACHED_FIRST and not self.decorates_alike(s, o):
                    break
                self.add_match(s, o)
            elif (self._similar(s, o) or self._replaces(s, o)
                  or edited(skeys[s], okeys[o])
                  or self._clause_edit(s, o) or self._header_edit(s, o)) \
                    and self.add_cut(s + 1, o + 1):
                self.add_cut(s, o)
            else:
                # `DEFAULTS = {"timeout": 60}` for `DEFAULTS = {` / ... / `}` above the anchor
                st = self._statement_start(s, o, lo_o)
                if st is None or not self.add_cut(s + 1, o + 1):
                    break
                self.add_cut(s, st)
                o = st
            s -= 1
            o -= 1
        if lo_s <= s and lo_o <= o and skinds[s] == CODE:
            # `... c.mu.Lock() / defer c.mu.Unlock() / NEW / anchor`: the lines between the
            # marker and the new ones are the original's lines right above the anchor
            m = s
            while m >= lo_s and skinds[m] == CODE:
                m -= 1
            n = s - m
            if m >= lo_s and skinds[m] == HARD and s1 < len(skeys) and o - n + 1 >= lo_o \
                    and skeys[m + 1:s + 1] == okeys[o - n + 1:o + 1] and any(skeys[m + 1:s + 1]):
                # `// ... / return; / }` where the original ends the elided part with them:
                # all context (common lines, too common to anchor), nothing new
                for i in range(n):
                    self.add_match(m + 1 + i, o - n + 1 + i)
            elif m >= lo_s and skinds[m] == HARD and okeys[o] in skeys[m + 1:s]:
                chunk = range(m + 1, s + 1)
                self._context([(p, range(o - p + 1, o + 1)) for p in range(1, len(chunk))
                               if o - p + 1 >= lo_o], chunk, front=True)
        if lo_s < s1 and lo_o < o1 and lo_s <= s and skinds[lo_s] == CODE \
                and (skeys[lo_s] != okeys[lo_o] or skeys[lo_s][:1] in ATTACHED_FIRST):
            # (`@Bean` of a new method facing the next method's `@Bean`: new all the same)
            # mirrored: `anchor / NEW / context lines / ...`
            m = lo_s
            while m <= s and skinds[m] == CODE:
                m += 1
            if m <= s and skinds[m] == HARD and okeys[lo_o] in skeys[lo_s + 1:m]:
                chunk = range(lo_s, m)
                n = len(chunk)
                self._context([(n - q, range(lo_o, lo_o + n - q)) for q in range(1, n)
                               if lo_o + n - q - 1 <= o], chunk, front=False)

    def _once_in_owner(self, i: int, where: list[int]) -> int | None:
        """Snippet line *i*, repeated in the original (at *where*), under a header found once
        in both texts (the nearest code line above it that is shallower): the index in *where*
        of its one copy inside that header's block in the original, when the snippet, too,
        shows it once in that block (`createProject(...) {` / `// ...` / `} catch (err) {`)."""
        if self.sb.lang in DATA:
            return None  # (YAML: `depends_on:` may change its value's form below it)
        keys, kinds, inds = self.s.keys, self.s.kinds, self.s.indents()
        ind = inds[i]
        h = i - 1
        while h >= 0 and (not keys[h] or kinds[h] != CODE or inds[h] >= ind):
            h -= 1
        o = self.match.get(h) if h >= 0 else None
        if o is None or len(self.pos[keys[h]]) != 1 or self.counts[keys[h]] != 1:
            return None
        for j in range(h + 1, i + 1):  # its brackets agree: no block opened below the header
            end = self.sb.end(j)  # holds it, or ends at an outer depth (a brace missing?)
            if end is not None and end[1] and (end[0] >= i > j or inds[end[0]] < inds[j]):
                return None
        got = self.ob.end(o)
        if got is None:
            return None
        lo, hi = bisect_right(where, o), bisect_right(where, got[0])
        if hi - lo != 1:
            return None
        # (and in the original, too, it sits right under that header: not nested deeper)
        okeys, oinds, at = self.o.keys, self.o.indents(), where[lo]
        up = at - 1
        while up > o and (not okeys[up] or oinds[up] >= oinds[at]):
            up -= 1
        if up != o:
            return None
        n = 0
        for j in range(h + 1, len(keys)):
            if keys[j] and kinds[j] == CODE:
                if inds[j] <= inds[h]:
                    break
                n += keys[j] == keys[i]
        if n != 1:
            return None
        if self.scoped is not None:
            self.scoped.append(i)  # (the first reading: noted only)
            return None
        return lo

    def _replaces(self, s: int, o: int) -> bool:
        return replaces_at(self.s, self.o, s, o, self.sb.lang in DATA)

    def run(self, runs: bool = False) -> None:
        """Align; *runs*: also anchor on runs of lines found once (see runs.py)."""
        self.unique_anchors()
        if runs:
            for si, oi in lis(run_anchors(self.s, self.o)):
                if self.add_match(si, oi):
                    self.unique.add(si)
        idle: set[tuple[int, int, int, int]] = set()  # gaps whose refinement added nothing
        match, cuts, refine = self.match, self.cuts, self.refine
        for _ in range(6):
            changed = self.structure()
            n = before = len(match) + len(cuts)  # n: the links so far (only refine adds)
            for g in self.gaps():
                if g in idle:
                    continue  # same bounds, same neighbours: it would add nothing again
                if g[0] >= g[1] or g[2] >= g[3]:
                    idle.add(g)  # one side is empty: nothing to refine
                    continue
                refine(*g)
                m = len(match) + len(cuts)
                if m == n:
                    idle.add(g)
                n = m
            if not changed and n == before:
                break  # stable: a further structure pass would find nothing new
        else:
            self.structure()
        if self.backfill_labels():
            self.structure()
