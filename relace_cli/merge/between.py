"""A closer alone between two markers (`"staticfiles",` / new line / `# ...` / `]` /
`# ...`): which block of the original it ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from relace_cli.linediff import common_ends
from relace_cli.merge.text import CODE, is_closer, is_trivial

if TYPE_CHECKING:
    from relace_cli.merge.assemble import Assembler


def _alike(a: str, b: str) -> bool:
    """Most of *a* and *b* is shared at their ends: one may be an edit of the other."""
    p, q = common_ends(a, b)
    return p + q >= 6 and p + q >= 0.6 * max(len(a), len(b))


def closer_between(asm: Assembler, between: list[int], s0: int, s1: int, o0: int,
                   o1: int) -> tuple[tuple[int, int], int] | None:
    """`anchor` / `# ...` / `]` / `# ...`: a closer alone between two markers ends a block
    that holds the anchor just above the gap (its header elided or shown above). Found
    when the block opened by the nearest line above the gap at the closer's depth (relative
    to the anchor) ends inside the gap, on a line with the closer's text and depth.
    A new line of the gap that looks like an edit of an elided one (`max_retries=3,` by
    `retries=3,`) may replace it or join it: then None (the snippet does not say).
    Closers right below it (`}` / `}`) end the blocks around that one, line for line.
    Returns ((the closer's snippet index, its original index), how many lines) or None."""
    keys, okeys = asm.s.keys, asm.o.keys
    if not all(is_closer(keys[i]) for i in between):
        return None
    si = between[0]
    sinds, oinds = asm.s.indents(), asm.o.indents()
    if asm.al.match.get(s0 - 1) != o0 - 1 or is_trivial(keys[s0 - 1]) \
            or asm.chunk_delta[asm.chunk_of[s0 - 1]][0] != oinds[o0 - 1] - sinds[s0 - 1]:
        return None  # (the depth is taken from the line above the gap: a found line, not
        # a `}`, at the depth its chunk has in the original)
    depth = oinds[o0 - 1] + sinds[si] - sinds[s0 - 1]
    if depth > oinds[o0 - 1]:
        return None  # (a closer deeper than the anchor ends no block around it)
    # the block's header: the nearest line above the gap at most that deep
    h = next((j for j in range(o0 - 1, -1, -1) if okeys[j] and oinds[j] <= depth), None)
    got = asm.al.ob.end(h) if h is not None else None
    if got is None or not o0 <= got[0] < o1 or okeys[got[0]] != keys[si] \
            or oinds[got[0]] != depth:
        return None
    kept = [k for k in okeys[o0:o1] if k and not is_trivial(k)]
    for i in range(s0, s1):
        if keys[i] and asm.s.kinds[i] == CODE and i not in asm.al.match \
                and not is_closer(keys[i]) and any(_alike(keys[i], k) for k in kept):
            return None
    c, n = got[0], 1
    while si + n < s1 and c + n < o1 and keys[si + n] == okeys[c + n] \
            and asm.s.kinds[si + n] == CODE and is_closer(keys[si + n]) \
            and sinds[si + n] - sinds[si] == oinds[c + n] - oinds[c]:
        n += 1
    return (si, c), n
