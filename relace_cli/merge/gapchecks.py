"""Refusals while the assembler resolves a gap (a mixin of `Assembler`): lines inserted next
to elided code that close or open blocks the snippet does not show, a new header over
existing lines (a rename or re-wrap), a Python header without a body, a new comment in the
place of original lines, new code at the top of a fragment, a line floating between markers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from relace_cli.markers import comment_body
from relace_cli.merge.blocks import Blocks
from relace_cli.merge.guards import distinctive, import_like
from relace_cli.merge.pyshape import SUITE_WORDS
from relace_cli.merge.text import (
    CODE,
    MARKDOWN,
    PYTHONIC,
    Doc,
    indent_of,
    is_closer,
    is_comment,
    is_trivial,
)

if TYPE_CHECKING:
    from relace_cli.merge.align import Aligner

END_LANGS = frozenset("rb rake gemspec lua ex exs jl cr".split())
_END_OPENER = re.compile(
    r"^(?:(?:def|class|module|if|unless|while|until|case|begin|for|function|local\s+function|"
    r"defmodule|defp?|quote|fn)\b(?!.*\bend$)(?!.*,\s*do:)|.*\b(?:do|then)(?:\s*\|[^|]*\|)?$|.*\(fn$)"
)  # (not Elixir's one-line `def f(x), do: x`: it opens no block)


def end_net(keys: list[str]) -> int:
    """Keyword blocks (`def`, `do`, `then`, ...) opened minus those closed by `end`."""
    net = 0
    for k in keys:
        if not k:
            continue
        word = k.split(None, 1)[0]
        if word in ("end", "end)", "end,"):
            net -= 1
        elif _END_OPENER.match(k) and not k.endswith(" end"):
            net += 1
    return net


def _end_depth(keys: list[str]) -> int:
    """Keyword blocks opened minus those closed by `end` across *keys*, never counting back
    above zero: negative when some `end` closes a block opened outside them."""
    depth = low = 0
    for k in keys:
        word = k.split(None, 1)[0] if k else ""
        if word in ("end", "end)", "end,") or k == "end":
            depth -= 1
            low = min(low, depth)
        elif _END_OPENER.match(k) and not k.endswith(" end"):
            depth += 1
    return low


_PLAIN_EXITS = frozenset(("return", "break", "continue", "pass"))


def _opener(blocks: Blocks, closer: int) -> int | None:
    """The line whose block the line *closer* ends (the nearest one above it), or None."""
    for h in range(closer - 1, max(-1, closer - 400), -1):
        got = blocks.end(h)
        if got is not None and got[0] == closer:
            return h
    return None


def _depths(blocks: Blocks, keys: list[str], a: int, b: int, ends: bool) -> tuple[int, int]:
    """The lowest depth over lines a..b-1 and the depth after line b (from 0), counting
    brackets, and with *ends* keyword blocks (`do` ... `end`) too."""
    depth = low = 0
    for x in range(a, b + 1):
        net, dip, _ = blocks._info[x] or blocks.info(x)
        if ends and keys[x]:
            word = keys[x].split(None, 1)[0]
            if word in ("end", "end)", "end,"):
                net, dip = net - 1, min(dip, net - 1)
            elif _END_OPENER.match(keys[x]) and not keys[x].endswith(" end"):
                net += 1
        if x == b:
            return low, depth + net
        low = min(low, depth + dip)
        depth += net
    return low, depth


class Refuse(Exception):
    """Raised inside the engine to abstain with a one-line reason."""


def _short(text: str, width: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 1] + "…"


class GapChecks:
    al: Aligner
    s: Doc
    o: Doc
    lang: str
    fragment: bool
    chunk_of: list[int]
    wraps: dict[int, int]
    _wrapping: set[int]

    def _line(self, si: int) -> str:  # (Assembler's)
        raise NotImplementedError

    def _check_stand_in(self, s0: int, s1: int, o0: int, o1: int) -> None:
        """A new comment put where original lines go (`// other routes unchanged` between
        two chunks): an elision in words the marker grammar does not know, or a note beside
        a real deletion? Not merged when it replaces two lines or more."""
        keys, okeys = self.s.keys, self.o.keys
        notes = [keys[i] for i in range(s0, s1) if keys[i] and self.s.kinds[i] == CODE
                 and is_comment(keys[i], self.lang) and comment_body(keys[i]) is not None
                 and keys[i] not in self.al.pos]
        if not notes:
            return
        lost = [k for k in okeys[o0:o1] if k and not is_trivial(k) and k not in self.al.counts]
        if len(lost) >= 2:
            raise Refuse(f"the comment `{_short(notes[0])}` would take the place of "
                         f"{len(lost)} lines (`{_short(lost[0], 40)}`...): does it stand for "
                         "them? Use a `... existing code ...` marker to keep them")

    def _check_jump(self, s1: int, o0: int, o1: int) -> None:
        """Lines [o0, o1) deleted by context: not when the snippet line after the next one
        is a copy of the first deleted line. Read as new, the next line leaves nothing deleted
        (`WORKDIR /app` / a new `ENV X` equal to a later stage's / `COPY ...` that follows
        `WORKDIR` in the original, too): the chunk jumped over a copy of its own next line."""
        s, okeys = self.s, self.o.keys
        first = next((k for k in okeys[o0:o1] if k), None)
        if first is None or s1 >= len(s.keys) or s.kinds[s1] != CODE or not s.keys[s1]:
            return
        after = next((i for i in range(s1 + 1, len(s.keys)) if s.keys[i] or s.kinds[i] != CODE),
                     None)
        if after is None or s.kinds[after] != CODE or s.keys[after] != first:
            return
        if distinctive(first) and self.al.match.get(after, -1) >= o1:
            raise Refuse(f"`{_short(s.keys[s1])}` is found past {o1 - o0} lines the merge would "
                         f"delete, though the line after it, `{_short(first)}`, comes first: "
                         "a new line, or a deletion?")

    def _check_tail_owner(self, b_lines: list[str], o0: int, o1: int) -> None:
        """New lines ending the snippet after a marker that keeps the rest of the file go at
        its end: not when, at their depth, they would belong to another block there than
        right after the lines shown above the marker (a method after `}` or `end` closing
        its class, a step in the last job, a Python method inside the file's last function)."""
        depth = min((indent_of(x) for x in b_lines if x.strip()), default=0)
        if not depth:
            return
        okeys, oind = self.o.keys, self.o.indents()

        def owner(end: int) -> int:
            return next((j for j in range(end - 1, -1, -1) if okeys[j] and oind[j] < depth), -1)

        here, there = owner(o0), owner(o1)
        if here != there:
            raise Refuse(f"the lines after the last marker would end the file inside "
                         f"`{_short(okeys[there])}`, not `{_short(okeys[here])}` as shown"
                         if here >= 0 and there >= 0 else
                         "the lines after the last marker would land in another block at the "
                         "end of the file than where the snippet shows them")

    def _check_tail_scope(self, mark: int, o0: int, o1: int) -> None:
        """New lines after the last marker end the snippet, and the marker keeps the rest of
        the file [o0, o1). When a block the snippet opened above the marker (`class Cache:`,
        `def health():`, `lint:`, `## Usage`) ends inside those kept lines and more follow, the
        new lines may belong inside that block, right after it, or at the end of the file
        (`# ...` / a new route after `def health():` / `# ...`, with `app.run()` last)."""
        match, ob, okeys = self.al.match, self.al.ob, self.o.keys
        for j in range(mark - 1, -1, -1):
            h = match.get(j)
            if h is None:
                continue
            got = ob.end(h)
            if got is not None and o0 <= got[0] < o1 - 1 and any(okeys[got[0] + 1:o1]):
                raise Refuse(f"the lines after the last marker may belong inside "
                             f"`{_short(okeys[h])}`, right after it or at the end of the file")

    def _floating(self, between: list[int]) -> None:
        keys = self.s.keys
        for i in between:
            k = keys[i]
            where = self.al.pos.get(k, [])
            if len(where) > 1 and len(k) > 2 and any(c.isalnum() for c in k):
                raise Refuse(f"anchor `{_short(k)}` appears {len(where)} times in the original")
        raise Refuse(
            f"`{_short(keys[between[0]])}` sits between two markers with no anchor in the "
            "original"
        )

    def shown_closers(self, idx: list[int], o0: int, o1: int, at_start: bool) -> int:
        """Closers written next to a marker that are the kept lines they face, shown as
        context (`return` / `}` / `// ...` where the original goes on with that `return`
        and `}`): how many of the lines *idx* (at their end when *at_start*, else at their
        start) to drop for the kept ones, 0 when not all of it is clear. Every such closer
        must close the block of a header the snippet shows on the original line whose block
        the kept closer ends: else it may close a new block, or one the snippet rewrote."""
        keys, okeys = self.s.keys, self.o.keys
        run: list[int] = []  # the closers (and plain `return`s) next to the kept lines
        for i in (idx[::-1] if at_start else idx):
            k = keys[i]
            if not k:
                continue
            if not (is_closer(k) or k.rstrip(";") in _PLAIN_EXITS) or i in self._wrapping:
                break
            run.append(i)
        kept = [j for j in (range(o0, o1) if at_start else range(o1 - 1, o0 - 1, -1))
                if okeys[j]][:len(run)]
        if not run or len(kept) < len(run):
            return 0
        if at_start:  # (both in the text's order: the run ends where the kept lines begin)
            run.reverse()
        else:
            kept.reverse()
        for i, j in zip(run, kept, strict=False):
            if keys[i] != okeys[j] or indent_of(self._line(i)) != indent_of(self.o.lines[j]):
                return 0
            if is_closer(keys[i]):
                hs, ho = _opener(self.al.sb, i), _opener(self.al.ob, j)
                if hs is None and at_start:  # (its header above the snippet's first line)
                    if not self._closes_alike(i, j):
                        return 0
                elif hs is None or ho is None or self.al.match.get(hs) != ho:
                    return 0
        # (from the first of them to the marker, or from the marker to the last of them)
        return len(idx) - idx.index(run[0]) if at_start else idx.index(run[-1]) + 1

    def _closes_alike(self, i: int, j: int) -> bool:
        """Snippet closer *i*, whose header the snippet does not show (or not as a block: a
        marker inside elides an opener), and kept closer *j*, whose header is above all the
        snippet shows, or elided by the marker above *i*'s chunk, or the anchor right above
        that marker: from the first line of *i*'s chunk (an anchor) to them, both texts open
        and close the same brackets (and `do` ... `end`), and each closer takes the depth to
        a new low (it closes a block opened above that chunk, the same one in both)."""
        kinds, keys, match = self.s.kinds, self.s.keys, self.al.match
        f = i
        while f > 0 and kinds[f - 1] == CODE:
            f -= 1
        f = next(x for x in range(f, i + 1) if keys[x])
        of = match.get(f)
        if of is None or of > j:
            return False
        ho = _opener(self.al.ob, j)
        above = max((x for x in match if x < f), default=None)
        if ho is None:
            return False
        if ho >= min(match.values()) and (above is None or not match[above] <= ho < of):
            return False  # (its header amid what the snippet shows, yet not shown: misplaced)
        ends = self.lang in END_LANGS
        mine = _depths(self.al.sb, keys, f, i, ends)
        theirs = _depths(self.al.ob, self.o.keys, of, j, ends)
        return mine == theirs and mine[1] < mine[0]

    def _check_headers(self, idx: list[int]) -> None:
        """An inserted header whose body matches existing lines: a rename or re-wrap."""
        for i in idx:
            if i in self.al.match or not self.s.keys[i] or i in self.wraps:
                continue
            got = self.al.sb.end(i)
            if got is None:
                if self.lang in PYTHONIC and self._bodiless(i):
                    raise Refuse(f"new `{_short(self.s.keys[i])}` has no body in the snippet "
                                 "(the lines below it not indented?)")
                continue
            end = got[0]
            chunk = self.chunk_of[i]
            body = [j for j in range(i + 1, end + 1) if j in self.al.match
                    and self.chunk_of[j] == chunk
                    and len(self.s.keys[j]) > 3 and any(c.isalnum() for c in self.s.keys[j])]
            if body:
                raise Refuse(
                    f"`{_short(self.s.keys[i])}` is not in the original but its body is "
                    "(renamed or re-wrapped?)"
                )

    def _bodiless(self, i: int) -> bool:
        """A Python compound statement's header followed by code no deeper than itself."""
        key = self.s.keys[i]
        if key[-1] != ":" or key.split(None, 1)[0].rstrip(":") not in SUITE_WORDS:
            return False
        keys, kinds, lines = self.s.keys, self.s.kinds, self.s.lines
        for j in range(i + 1, len(keys)):
            if kinds[j] != CODE:
                return False  # (its body elided)
            if keys[j]:
                return indent_of(lines[j]) <= indent_of(lines[i])
        return True

    def _check_balance(self, idx: list[int]) -> None:
        """Lines inserted next to elided code must not close (or open) what they do not show."""
        if not idx or self.lang in MARKDOWN:
            return
        keys = self.s.keys
        if self._wrapping:
            idx = [i for i in idx if i not in self._wrapping]
            if not idx:
                return
        code = [i for i in idx if keys[i]]
        closes = only_closing = False  # some line closes a block; each closes or is trivial
        for i in code:
            if is_closer(keys[i]):
                closes = only_closing = True
            elif not is_trivial(keys[i]):
                only_closing = False
                break
        if closes and only_closing:
            raise Refuse(f"`{_short(keys[code[0]])}` next to elided code closes a block the "
                         "snippet does not show")
        depth = low = 0
        sb = self.al.sb
        infos, info = sb._info, sb.info
        for i in idx:
            net, dip, _ = infos[i] or info(i)
            if depth + dip < low:
                low = depth + dip
            depth += net
        if depth != 0 or low < 0:
            raise Refuse(f"inserted lines from `{_short(keys[code[0]])}` do not balance their "
                         "brackets next to elided code")
        if self.lang in END_LANGS and _end_depth([keys[i] for i in code]) < 0:
            raise Refuse(f"inserted lines from `{_short(keys[code[0]])}` close with `end` a "
                         "block the snippet does not show")

    def _check_head_insert(self, b_idx: list[int], kept: list[str]) -> None:
        if not any(line.strip() for line in kept):
            return
        keys = self.s.keys
        # a run of lines directly above the anchor (no blank, no marker between) is attached
        k = len(b_idx)
        nxt = b_idx[-1] + 1 if b_idx else 0
        if b_idx and nxt < len(self.s.lines) and nxt in self.al.match and keys[nxt]:
            while k > 0 and keys[b_idx[k - 1]] and (
                k == len(b_idx) or b_idx[k] == b_idx[k - 1] + 1
            ):
                k -= 1
        loose = [keys[i] for i in b_idx[:k] if keys[i]]
        if loose and any(import_like(x) for x in loose):
            raise Refuse(
                f"new code `{_short(loose[0])}` at the top of a fragment: unclear whether it "
                "replaces or joins the existing header"
            )
        # an import written above the fragment's first anchor belongs to the file's header,
        # not above that anchor deep in the file
        attached = [keys[i] for i in b_idx[k:] if import_like(keys[i])]
        if attached and any(
                x.strip() and indent_of(x) == 0 and not import_like(x.strip())
                and not is_comment(x.strip(), self.lang) and not is_closer(x.strip())
                for x in kept):
            raise Refuse(f"new import `{_short(attached[0])}` at the top of a fragment would "
                         "land below existing code")
