"""Existing lines wrapped in a new block: `if users.enabled:` written above lines of the
original, which move one level deeper.

    def notify(users):          def notify(users):
        # ... existing code ...     ...
        send(users.admins)   ->     if users.enabled:        <- new, where the lines were
                                        send(users.admins)   <- the original's, deeper

A new header whose body the original has reads as a rename (the header edited) or a new
block copying lines (see `assemble._check_headers`): either way its body keeps its depth. A
wrap is told apart by depth alone: the header sits where the first wrapped line sat (at the
offset of the snippet's anchors around it) and every line of its body is the original's, in
order and without a gap, one level deeper. Only its closing line (`}`) may be new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relace_cli.merge.text import CODE, indent_of, is_closer

if TYPE_CHECKING:
    from relace_cli.merge.align import Aligner


def find_wraps(al: Aligner) -> tuple[dict[int, int], set[int]]:
    """{snippet header: the original line it is written in place of} for each wrap, and the
    wraps' own closing lines."""
    s, o, match = al.s, al.o, al.match
    keys, kinds, slines, olines = s.keys, s.kinds, s.lines, o.lines
    wraps: dict[int, int] = {}
    closers: set[int] = set()
    for i in [i for i, k in enumerate(keys) if k and k[-1] in ":{(" and i not in match]:
        k = keys[i]
        if k in al.pos or kinds[i] != CODE:
            continue
        j = i + 1  # (cheap first: the line below must be the original's)
        while j < len(keys) and not keys[j]:
            j += 1
        if j not in match:
            continue
        got = al.sb.end(i)
        if got is None or got[0] <= i:
            continue
        end = got[0]
        body = [j for j in range(i + 1, end + 1) if keys[j]]
        closer = None
        if body and is_closer(keys[body[-1]]) and body[-1] not in match:
            closer = body.pop()  # (`}`: the new block's own closer)
        if not body or any(j not in match or kinds[j] != CODE for j in body):
            continue
        where = [match[j] for j in body]
        if any(b <= a or any(o.keys[a + 1:b]) for a, b in zip(where, where[1:], strict=False)):
            continue  # not the original's lines in a row
        deeper = {indent_of(slines[j]) - indent_of(olines[match[j]]) for j in body}
        ref = _reference(al, i, end)
        if ref is None or len(deeper) != 1:
            continue
        if indent_of(slines[i]) - indent_of(olines[where[0]]) != ref or deeper.pop() <= ref:
            continue
        wraps[i] = where[0]
        if closer is not None:
            closers.add(closer)
    return wraps, closers


def _reference(al: Aligner, i: int, end: int) -> int | None:
    """The indentation offset (snippet minus original) of the nearest matched code line
    outside lines i..end: before them, else after."""
    keys, match = al.s.keys, al.match
    for j in [*range(i - 1, -1, -1), *range(end + 1, len(keys))]:
        if keys[j] and j in match:
            return indent_of(al.s.lines[j]) - indent_of(al.o.lines[match[j]])
    return None
