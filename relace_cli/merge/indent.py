"""Indentation style: whether a text indents with tabs or spaces and by how much, and the
snippet's lines converted to the original's style before they are aligned (tab levels to a
2-space step, 2-space levels to tabs, a 2-space snippet rescaled for a 4-space file)."""

from __future__ import annotations

import re

from relace_cli.merge.text import MARKDOWN, is_trivial

_TAB_ONLY = frozenset("go mk make makefile".split())  # gofmt; make recipes need a tab


_SPACE_LED = re.compile(r"^  +[^ \t\n*]", re.M).findall  # (not ` * ` doc-comment lines)


def _indented(lines: list[str]) -> tuple[int, int]:
    """(tab-led, space-led) lines among the first 1000, not counting ` * ` doc-comment
    lines or a lone leading space (alignment, not indentation)."""
    head = "\n" + "\n".join(lines[:1000])
    return head.count("\n\t"), len(_SPACE_LED(head)) if "\n  " in head else 0


def uses_tabs(lines: list[str], lang: str) -> bool | None:
    """Does a text indent with tabs? None when it has no indented line."""
    tabs, spaces = _indented(lines)
    if not tabs and not spaces:
        return None
    return tabs > spaces or (tabs > 0 and lang in _TAB_ONLY)


def _space_unit(lines: list[str]) -> int:
    """The indentation step of the space-indented original: 2 when a tenth of its indented
    lines sit at 2 mod 4 columns, else 4 (odd widths - ` * ` doc comment lines - do not
    count)."""
    widths = [len(x) - len(x.lstrip(" ")) for x in lines[:2000] if x[:1] == " " and x.strip()]
    even = [w for w in widths if w % 2 == 0]
    twos = sum(1 for w in even if w % 4 == 2)
    return 2 if even and twos * 10 >= len(even) else 4


def _anchors_scale(slines: list[str], olines: list[str], keyed: bool = False) -> float:
    """How the depths of lines found once in both texts relate: 2.0 when each step deeper in
    the snippet is two steps in the original, 0.5 for the reverse, else 0 (or no evidence).
    *keyed* (JSON, YAML): a line's key (`"dev":`) identifies it too, whatever its value."""
    def once(lines: list[str]) -> dict[str, int]:  # (a line repeated at one depth counts)
        seen: dict[str, int] = {}
        for x in lines:
            k = x.strip()
            if k:
                w = len(x) - len(x.lstrip(" "))
                seen[k] = -1 if seen.get(k, w) != w else w
                if keyed and ":" in k:
                    k = "\0" + k.split(":", 1)[0]
                    seen[k] = -1 if seen.get(k, w) != w else w
        return seen

    mine, theirs = once(slines), once(olines[:20000])
    pairs = sorted({(w, theirs[k]) for k, w in mine.items()
                    if w >= 0 and theirs.get(k, -1) >= 0 and not is_trivial(k)})
    ratios = {(b[1] - a[1]) / (b[0] - a[0])
              for a, b in zip(pairs, pairs[1:], strict=False) if b[0] != a[0]}
    return ratios.pop() if len(ratios) == 1 else 0.0


_TWO_MOD_FOUR = re.compile(r"^(?:    )*  [^ \t\n*]", re.M).search  # a width of 2 mod 4
_LEAD = re.compile(r"^( *)[^ \t\n*]", re.M).findall


def _step_mode(head: str) -> int:
    """The original's indentation step: the amount by which a line most often goes deeper
    than the line before it, when three quarters of the steps agree (else 0)."""
    widths = list(map(len, _LEAD(head)))
    steps = [b - a for a, b in zip(widths, widths[1:], strict=False) if b > a]
    if len(steps) < 3:
        return 0  # too few nested lines to tell
    step = max(set(steps), key=steps.count)
    return step if steps.count(step) * 4 >= len(steps) * 3 else 0


def _snippet_step(lines: list[str], least: int = 1) -> int:
    """The snippet's own indentation step: the one amount by which a line is ever indented
    deeper than the line before it, at least *least* times (else 0)."""
    steps = set()
    seen = 0
    prev = None
    for x in lines:
        body = x.lstrip(" ")
        if not body or body[:1] == "*" or (("..." in body or "…" in body)
                                           and body[:1] in "#/<-{"):
            continue  # (a marker's depth says nothing about the code's step)
        w = len(x) - len(body)
        if prev is not None and w > prev:
            steps.add(w - prev)
            seen += 1
        prev = w
    return steps.pop() if len(steps) == 1 and seen >= least else 0


def match_indent_style(slines: list[str], olines: list[str], lang: str,
                       tabs: bool | None) -> list[str]:
    """The snippet's lines indented like the original: tab levels become the file's space
    step (`\treturn` -> two spaces in a 2-space file), or 2-space levels become tabs in a
    tab-indented file. Mixed or unindented texts are left alone (4-space levels and tabs
    already agree: a tab counts 4 columns)."""
    s_tab = s_sp = 0
    for x in slines:
        if x[:1] == "\t":
            s_tab += 1
            if x.lstrip("\t")[:1] in (" ", "\t"):
                return slines  # tabs then spaces: leave the columns as they are
        elif x[:1] == " " and x.strip():
            s_sp += 1
    if not s_tab and not s_sp:
        return slines
    head = "\n".join(olines[:600])
    mine = 0
    if s_sp and not s_tab and tabs is False and lang not in MARKDOWN \
            and (_TWO_MOD_FOUR("\n".join(slines)) is None) != (_TWO_MOD_FOUR(head) is None):
        mine = _snippet_step(slines)  # (only one text has widths of 2 mod 4)
    if mine in (2, 4):
        theirs = _step_mode(head)
        keyed = lang in ("json", "yaml")
        if {mine, theirs} == {2, 4} and _anchors_scale(slines, olines, keyed) == theirs / mine:
            # a 2-space snippet for a 4-space file, or the reverse, as its anchors confirm
            out = []
            for x in slines:
                body = x.lstrip(" ")
                w = len(x) - len(body)
                out.append(" " * (w // mine * theirs + w % mine) + body if w and body else x)
            return out
    if s_tab and not s_sp and tabs is False:
        unit = _space_unit(olines)
        if unit == 4:
            return slines
        out = []
        for x in slines:
            body = x.lstrip("\t")
            out.append(" " * (unit * (len(x) - len(body))) + body if body != x else x)
        return out
    if s_sp and not s_tab and tabs and _snippet_step(slines) == 2:
        out = []
        for x in slines:
            body = x.lstrip(" ")
            w = len(x) - len(body)
            out.append("\t" * (w // 2) + " " * (w % 2) + body if w and body else x)
        return out
    return slines
