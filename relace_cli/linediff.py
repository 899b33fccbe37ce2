"""Line-list helpers shared by the diff printer and the `untouched` guard."""

from __future__ import annotations

from collections.abc import Sequence


def common_ends(a: Sequence[object], b: Sequence[object]) -> tuple[int, int]:
    """How many leading and trailing items *a* and *b* share (never overlapping), so that a
    small edit in a large file is diffed only over its changed window."""
    top = min(len(a), len(b))
    head = 0
    while head < top and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < top - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, tail
