"""Turn an alignment into the merged lines, resolving each gap between chain links.

A gap holds snippet lines and original lines between two aligned points:
- no marker: the snippet lines replace the original lines (edits, deletions by context);
- one written marker: `A + G + B` - snippet lines before the marker, the original lines
  (kept), snippet lines after the marker (insertions next to the anchors they touch);
- two written markers with code between them: that code has no anchor -> abstain;
- implied markers only (bare fragments): as one marker, placed at the first implied marker
  at the head of the file and at the last one elsewhere (new code joins its neighbour).

Each snippet chunk (lines between markers) is re-indented by the offset its outermost match
shows; matched lines keep the original's bytes whenever their indentation agrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import accumulate

from relace_cli.merge.align import Aligner
from relace_cli.merge.attached import (
    DECORATOR_ONLY,
    attached_end,
    check_continuation,
    decorator_join,
    is_decorator,
)
from relace_cli.merge.between import closer_between
from relace_cli.merge.gapchecks import (  # noqa: F401 (Refuse: re-exported)
    END_LANGS,
    GapChecks,
    Refuse,
    _end_depth,
    _short,
)
from relace_cli.merge.guards import facing_edit, slot_clash
from relace_cli.merge.indent import uses_tabs
from relace_cli.merge.text import (
    CODE,
    HARD,
    INDENT,
    MARKDOWN,
    PYTHONIC,
    SOFT,
    Doc,
    indent_of,
    is_closer,
    is_comment,
    is_trivial,
    reindent,
)
from relace_cli.merge.wraps import find_wraps


@dataclass
class Output:
    lines: list[str] = field(default_factory=list)
    source: list[int] = field(default_factory=list)  # original index, or -1 for snippet lines
    deleted: list[tuple[int, int, int]] = field(default_factory=list)  # (o0, o1, added lines)
    head_tail: list[tuple[int, int]] = field(default_factory=list)  # pure deletions at ends
    # replacements at the ends: (o0, o1, added lines, the snippet's lines s0, s1)
    ends: list[tuple[int, int, int, int, int]] = field(default_factory=list)


class Assembler(GapChecks):
    def __init__(self, al: Aligner, lang: str, fragment: bool, tabs: bool | None = None,
                 keep_head: bool = False) -> None:
        self.al = al
        self.keep_head = keep_head  # a marker is implied above the snippet's first line
        self.s: Doc = al.s
        self.o: Doc = al.o
        self.lang = lang
        self.fragment = fragment
        self._tabs = tabs
        self.out = Output()
        self.wraps, wrap_ends = find_wraps(al)
        self._wrapping = wrap_ends.union(self.wraps)  # (inserted, yet balanced together)
        self._deltas()

    # --- indentation ----------------------------------------------------------------------

    def _deltas(self) -> None:
        s, o = self.s, self.o
        chunk = 0
        if HARD not in s.kinds and SOFT not in s.kinds:
            chunks = [0] * len(s.kinds)
        else:  # the number of markers up to each line (CODE is 0)
            chunks = list(accumulate(map(bool, s.kinds), initial=0))
            chunk = chunks[-1]
            del chunks[0]
        best: dict[int, tuple[int, int]] = {}
        tabs = self._file_tabs()
        skeys, sinds, oinds = s.keys, s.indents(), o.indents()
        match = self.al.match
        for si in sorted(match):
            key = skeys[si]
            if not key:
                continue
            c = chunks[si]
            ind = sinds[si]
            cur = best.get(c)
            if cur is not None and cur[0] <= ind:
                continue  # its rank is at least ind: it cannot win
            rank = ind + (10_000 if is_trivial(key) else 0)  # `}` decides last
            if cur is None or rank < cur[0]:
                best[c] = (rank, oinds[match[si]] - ind)
        for si, oi in [*self.al.def_anchors.items(), *self.wraps.items()]:
            # a rewritten definition, or a new block wrapping lines: its header decides
            best[chunks[si]] = (-1, oinds[oi] - sinds[si])
        # a Python file indenting some blocks with tabs, others with spaces: a chunk takes
        # the style of the lines it is found at (mixing them in one block is an error)
        styles: dict[int, set[bool]] = {}
        if self.lang in PYTHONIC and tabs is not None:
            olines = o.lines
            for si, oi in match.items():
                if skeys[si] and olines[oi][:1] in " \t":
                    styles.setdefault(chunks[si], set()).add(olines[oi][0] == "\t")
        # a chunk without a match takes the nearest decided chunk before it, else after it
        resolved: list[tuple[int, bool | None]] = []
        cur = best[min(best)][1] if best else 0
        get = best.get
        for c in range(chunk + 1):
            got = get(c)
            if got is not None:
                cur = got[1]
            style = styles.get(c)
            if style and len(style) == 2 and any(
                    chunks[i] == c and skeys[i] and i not in match and sinds[i]
                    for i in range(len(skeys))):
                raise Refuse("the snippet's new lines sit in a chunk that spans blocks "
                             "indented with tabs and with spaces; unclear which they take")
            resolved.append((cur, next(iter(style)) if style and len(style) == 1 else tabs))
        self.chunk_of = chunks
        self.chunk_delta = resolved
        self.flat = self._flat_chunks(chunks)

    def _flat_chunks(self, chunks: list[int]) -> set[int]:
        """Chunks written without any indentation (every line at column 0, three or more
        lines) where some matched line is indented in the original: their columns say
        nothing. Matched lines keep the original's; new lines take the line above them.
        Where indentation is syntax (Python, YAML, Markdown lists) that is a guess: refused."""
        skeys, slines, olines, match = self.s.keys, self.s.lines, self.o.lines, self.al.match
        kinds = self.s.kinds
        if sum(1 for x, kind in zip(slines, kinds, strict=True)
               if kind == CODE and x and x[0] not in " \t") < 3:
            return set()  # (the common case: an indented snippet)
        count: dict[int, int] = {}  # chunk -> its lines at column 0 (-1: it indents one)
        for i, line in enumerate(slines):
            if not skeys[i] or kinds[i] != CODE:
                continue
            c = chunks[i]
            if line[:1] in " \t":
                count[c] = -1
            else:
                n = count.get(c, 0)
                if n >= 0:
                    count[c] = n + 1
        if not any(n >= 3 for n in count.values()):
            return set()
        flat = set()
        for si, oi in match.items():
            c = chunks[si]
            if count.get(c, 0) >= 3 and skeys[si] and olines[oi][:1] in " \t":
                flat.add(c)
        if flat and (self.lang in INDENT or self.lang in MARKDOWN):
            raise Refuse("the snippet is written without indentation where the original "
                         "indents; in this language that decides nesting, so it is not guessed")
        return flat

    def _file_tabs(self) -> bool | None:
        """Does the original indent with tabs? None when it has no indented line."""
        return self._tabs if self._tabs is not None else uses_tabs(self.o.lines, self.lang)

    def snippet_line(self, si: int) -> str:
        delta, tabs = self.chunk_delta[self.chunk_of[si]]
        line = self.s.lines[si]
        if not line.strip():
            return ""
        if self.flat and self.chunk_of[si] in self.flat:  # (the line above's indentation,
            # skipping continuation lines; one deeper after an opener, one less on a closer)
            last = next((x.strip() for x in reversed(self.out.lines) if x.strip()), "")
            key = line.strip()
            if key[:1] in "?:.&|+" or last[:1] in "?:.&|+" or last[-1:] in ",&|+\\":
                raise Refuse(f"`{_short(key)}` is written without indentation next to a "
                             "statement spread over lines; unclear how deep it goes")
            above = next((x for x in reversed(self.out.lines) if x.strip()), "")
            lead = above[:len(above) - len(above.lstrip())]
            prev = above.strip()
            opens = prev[-1:] in "{[(:" or (prev[:1] == "<" and prev[1:2] not in "/!"
                                            and not prev.endswith("/>") and "</" not in prev)
            if opens and not is_closer(key):
                lead += self._unit()
            elif is_closer(key) and not opens:
                lead = lead[:-len(self._unit())] if lead.endswith(self._unit()) else lead
            return lead + key
        lead = line[:1]
        if tabs is None:
            tabs = lead == "\t"
        if delta == 0 and (lead not in " \t" or (lead == "\t") == tabs):
            return line
        return reindent(line, delta, tabs)

    def _unit(self) -> str:
        """The original's indentation step: a tab, or its narrowest space indentation."""
        widths = [len(x) - len(x.lstrip(" ")) for x in self.o.lines[:400]
                  if x[:1] == " " and x.strip()]
        if any(x[:1] == "\t" for x in self.o.lines[:400]) and not widths:
            return "\t"
        return " " * (min(widths) if widths else 4)

    def matched_line(self, si: int, oi: int) -> str:
        delta = self.chunk_delta[self.chunk_of[si]][0]
        oline, sline = self.o.lines[oi], self.s.lines[si]
        if self.flat and self.chunk_of[si] in self.flat:
            return oline
        if (delta == 0 and oline == sline) or indent_of(oline) == indent_of(sline) + delta:
            return oline
        return self.snippet_line(si)

    # --- emission -------------------------------------------------------------------------

    def _emit_join(self, lines: list[str], srcs: range | None = None) -> None:
        """Append *lines* (from the original lines *srcs*, else from the snippet), not
        lengthening a blank run at the join."""
        if not lines:
            return
        out_lines, out_source = self.out.lines, self.out.source
        lead = 0
        for line in lines:
            if line.strip():
                break
            lead += 1
        drop = 0
        if lead:
            trailing = 0
            for line in reversed(out_lines):
                if line.strip():
                    break
                trailing += 1
            drop = min(trailing, lead)
            if drop and srcs is not None and out_source and out_source[-1] >= 0 \
                    and srcs[0] == out_source[-1] + 1:
                drop = 0  # the original continues where it left off
        if drop:
            lines = lines[drop:]
        out_lines.extend(lines)
        if srcs is None:
            out_source.extend([-1] * len(lines))
        else:
            out_source.extend(srcs[drop:] if drop else srcs)

    def run(self) -> Output:
        al = self.al
        match = al.match
        out_lines, out_source = self.out.lines, self.out.source
        slines, olines = self.s.lines, self.o.lines
        chunk_of, chunk_delta = self.chunk_of, self.chunk_delta
        pts = al.points()
        a, b = 0, 0
        if self.keep_head:  # the lines above the first one shown stay, as if under a marker
            a = next(i for i, k in enumerate(self.s.keys) if k)
            b = match[a]
            self._emit_join(olines[:b], range(b))
            pts = [p for p in pts if p >= (a, b)]
        for c, d in [*pts, (len(self.s.lines), len(self.o.lines))]:
            if c == a and d == b:
                continue
            if c - a == 1 and d - b == 1 and match.get(a) == b:
                line = olines[b]
                if line != slines[a] or chunk_delta[chunk_of[a]][0] != 0:
                    line = self.matched_line(a, b)  # (same text, no shift: the original's)
                out_lines.append(line)
                out_source.append(b)
            else:
                self.gap(a, c, b, d)
            a, b = c, d
        return self.out

    def gap(self, s0: int, s1: int, o0: int, o1: int) -> None:
        kinds = self.s.kinds
        if kinds[s0:s1].count(CODE) == s1 - s0:  # no marker
            self._replace(s0, s1, o0, o1)
            return
        if s1 - s0 == 1:  # (the common case: a lone marker)
            marks = [s0]
            hard = marks if kinds[s0] == HARD else []
        else:
            marks = [i for i in range(s0, s1) if kinds[i] != CODE]
            hard = [i for i in marks if kinds[i] == HARD]
        if hard:
            first, last = hard[0], hard[-1]
            between = [i for i in range(first + 1, last) if kinds[i] == CODE and self.s.keys[i]]
            if between:
                got = closer_between(self, between, s0, s1, o0, o1)
                if got is None:
                    self._floating(between)
                else:  # the closers split the gap: each side is resolved as a gap of its own
                    (si, oi), n = got
                    self.gap(s0, si, o0, oi)
                    self._emit_join(self.o.lines[oi:oi + n], range(oi, oi + n))
                    self.gap(si + n, s1, oi + n, o1)
                    return
        else:
            first = last = marks[0] if (s0 == 0 and o0 == 0 and self.fragment) else marks[-1]
        a_idx = [i for i in range(s0, first) if kinds[i] == CODE] if first > s0 else []
        b_idx = [i for i in range(last + 1, s1) if kinds[i] == CODE] if last + 1 < s1 else []
        if not a_idx and not b_idx:  # only a marker: the original lines are kept (no check
            self._emit_join(self.o.lines[o0:o1], range(o0, o1))  # applies to no lines)
            return
        line = self._line
        a_lines = [line(i) for i in a_idx]
        b_lines = [line(i) for i in b_idx]
        kept = self.o.lines[o0:o1]
        # closers next to a written marker shown as context: the kept ones stay, in place
        # (next to an implied one they may as well say the lines between them go)
        if hard and a_idx and kept:
            n = self.shown_closers(a_idx, o0, o1, at_start=True)
            if n:
                a_idx, a_lines = a_idx[:-n], a_lines[:-n]
        if hard and b_idx and kept:
            n = self.shown_closers(b_idx, o0, o1, at_start=False)
            b_idx, b_lines = b_idx[n:], b_lines[n:]
        inserts: dict[int, list[str]] = {}
        head = len(a_lines)
        if a_idx and is_decorator(self.s.keys[a_idx[-1]], self.lang) \
                and DECORATOR_ONLY.match(self.s.keys[a_idx[-1]]):
            # `@Disabled` / `// ...`: a decorator of the definition the marker elides, on
            # top of its own stack, replacing one, or among it? Said only in a few shapes.
            got = decorator_join(self, a_idx, a_lines, o0, o1)
            if isinstance(got, str):
                raise Refuse(got)
            head, inserts = got
        self._check_headers(a_idx + b_idx)
        self._check_balance(a_idx)
        self._check_balance(b_idx)
        clash = slot_clash(a_lines, kept, at_start=True)
        clash = clash or slot_clash(b_lines, kept, at_start=False)
        clash = clash or facing_edit(a_lines, kept, at_start=True)
        clash = clash or facing_edit(b_lines, kept, at_start=False)
        if clash:
            raise Refuse(clash)
        if hard and s1 == len(self.s.lines) and o1 == len(self.o.lines) \
                and any(self.s.keys[i] for i in b_idx):
            self._check_tail_scope(last, o0, o1)
            self._check_tail_owner(b_lines, o0, o1)
        if not hard and self.fragment and s0 == 0 and o0 == 0:
            self._check_head_insert(b_idx, kept)
        if not hard and self.fragment and kept:
            check_continuation(self, a_idx, b_idx, s0, s1, o0, o1)
        g1 = o1
        if b_idx and kept and s1 < len(self.s.lines):
            g1 = attached_end(self, b_idx, o0, o1)
            if g1 < o1:
                kept = kept[:g1 - o0]
        if inserts and max(inserts) > g1:
            raise Refuse(f"`{_short(self.s.keys[a_idx[-1]])}` decorates a definition whose "
                         "decorators the lines after the marker replace")
        self._emit_join(a_lines[:head])
        pos = o0
        for at in sorted(inserts):  # (new decorators among the kept definition's own)
            self._emit_join(self.o.lines[pos:at], range(pos, at))
            self._emit_join(inserts[at])
            pos = at
        self._emit_join(self.o.lines[pos:g1], range(pos, g1))
        self._emit_join(b_lines)

    def _line(self, si: int) -> str:
        oi = self.al.match.get(si)
        return self.matched_line(si, oi) if oi is not None else self.snippet_line(si)

    def _replace(self, s0: int, s1: int, o0: int, o1: int) -> None:
        added = 0
        kinds, keys, line = self.s.kinds, self.s.keys, self._line
        out_lines, out_source = self.out.lines, self.out.source
        for i in range(s0, s1):
            if kinds[i] == CODE:
                out_lines.append(line(i))
                out_source.append(-1)
                if keys[i]:
                    added += 1
        if o1 > o0:
            if added and not self.fragment:
                self._check_stand_in(s0, s1, o0, o1)
            self._check_jump(s1, o0, o1)
            self.out.deleted.append((o0, o1, added))
            at_head = s0 == 0 and o0 == 0
            at_tail = s1 == len(self.s.lines) and o1 == len(self.o.lines)
            if at_head or at_tail:
                if added == 0:
                    self.out.head_tail.append((o0, o1))
                else:
                    self.out.ends.append((o0, o1, added, s0, s1))

    def attached_comments(self, b_idx: list[int], o0: int, o1: int) -> int:
        """A doc comment in B directly above the anchor replaces the original's one: the end
        of the original lines [o0, o1) kept before B."""
        keys = self.s.keys
        k = len(b_idx)
        while k > 0 and keys[b_idx[k - 1]] and is_comment(keys[b_idx[k - 1]], self.lang):
            k -= 1
        if k == len(b_idx):
            return o1
        if b_idx[-1] + 1 >= len(self.s.lines) or b_idx[-1] + 1 not in self.al.match:
            return o1
        olines = self.o.lines
        g = o1
        while g > o0 and olines[g - 1].strip() and is_comment(olines[g - 1].strip(), self.lang):
            g -= 1
        if g == o1:
            return o1
        self.out.deleted.append((g, o1, len(b_idx) - k))
        return g
