"""Python statement shape, by indentation only: problems a merge may introduce.

- a compound statement's header (`if x:`, `try:`, `def f():`) with no deeper line below it;
- a `try:` whose block is followed by no `except` or `finally`;
- an `except`, `finally`, `elif` or `else` with no fitting header before it at its depth;
- a function or class with two docstrings in a row.

Counted on the original and on the merge: only a problem the merge adds refuses it (a file
that already has odd shapes, e.g. continuation lines, is judged against itself). Comment
lines and lines inside triple-quoted strings are skipped; nothing is parsed.
"""

from __future__ import annotations

from collections import Counter

from relace_cli.markers import in_strings

SUITE_WORDS = frozenset(  # Python compound statements: a header that needs a body
    "if elif else for while with try except finally def class async match case".split())
_CLAUSE_AFTER = {  # a clause: the headers it may follow at its own depth
    "except": ("try", "except"),
    "finally": ("try", "except", "else"),
    "elif": ("if", "elif"),
    "else": ("if", "elif", "for", "while", "try", "except", "async"),
}


def _word(key: str) -> str:
    return key.split(None, 1)[0].rstrip(":(") if key else ""


def _lines(lines: list[str]) -> list[tuple[int, str]]:
    """(indentation, stripped text) of the lines that carry statements."""
    keys = [line.strip() for line in lines]
    inside = in_strings(keys)
    return [(len(line) - len(line.lstrip()), key)
            for line, key, text in zip(lines, keys, inside, strict=True)
            if key and key[0] != "#" and not text]


def problems(lines: list[str]) -> Counter[str]:
    """Problems found, by their description (the first words name the statement)."""
    got: Counter[str] = Counter()
    st = _lines(lines)
    n = len(st)
    for i, (ind, key) in enumerate(st):
        word = _word(key)
        if key[-1] == ":" and word in SUITE_WORDS:
            if i + 1 == n or st[i + 1][0] <= ind:
                got[f"`{key[:50]}` would have no body"] += 1
                continue
            if word == "try":
                j = i + 1
                while j < n and st[j][0] > ind:
                    j += 1
                if j == n or st[j][0] < ind or _word(st[j][1]) not in ("except", "finally"):
                    got[f"`{key[:50]}` would have no `except` or `finally`"] += 1
            if word in ("def", "class", "async") and _docstring(st[i + 1][1]) \
                    and i + 2 < n and st[i + 2][0] == st[i + 1][0] and _docstring(st[i + 2][1]):
                got[f"`{key[:50]}` would have two docstrings"] += 1
        if word in _CLAUSE_AFTER and key[-1] == ":":
            j = i - 1
            while j >= 0 and st[j][0] > ind:
                j -= 1
            if j < 0 or st[j][0] < ind or _word(st[j][1]) not in _CLAUSE_AFTER[word]:
                got[f"`{key[:50]}` would follow no fitting statement"] += 1
    return got


def _docstring(key: str) -> bool:
    return key.lstrip("rRbBuU").startswith(('"""', "'''"))


_MARGIN = 40  # lines of context checked around each change


def new_problem(out: list[str], source: list[int], orig: list[str]) -> str | None:
    """The first problem the merge adds, or None. Only windows around the changed lines
    are checked (a large file stays fast), each against the same span of the original:
    a window starts and ends on kept lines, so what it cuts off it cuts off on both sides."""
    n = len(out)
    touched = [i for i in range(n) if source[i] < 0
               or (i and source[i - 1] >= 0 and source[i] != source[i - 1] + 1)]
    if not touched and n == len(orig):
        return None
    if not touched:
        touched = [n - 1] if n else []
    windows: list[list[int]] = []
    for i in touched:
        a, b = max(0, i - _MARGIN), min(n, i + _MARGIN + 1)
        if windows and a <= windows[-1][1]:
            windows[-1][1] = b
        else:
            windows.append([a, b])
    for a, b in windows:
        while a > 0 and source[a] < 0:
            a -= 1
        while b < n and source[b - 1] < 0:
            b += 1
        kept = [source[i] for i in range(a, b) if source[i] >= 0]
        lo = kept[0] if kept and a > 0 else 0
        hi = kept[-1] + 1 if kept and b < n else len(orig)
        mine = problems(out[a:b])
        if not mine:
            continue
        theirs = problems(orig[lo:hi])
        for what, count in mine.items():
            if count > theirs.get(what, 0):
                return what
    return None
