"""Sequence helpers for the alignment: longest increasing chain, longest common subsequence,
heaviest increasing chain."""

from __future__ import annotations

from bisect import bisect_left


def lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest chain of *pairs* (sorted by first) strictly increasing in the second."""
    if not pairs:
        return []
    last = -1
    for _, o in pairs:
        if o <= last:
            break
        last = o
    else:
        return pairs[:]  # (the common case: already increasing, the whole list is the chain)
    tails: list[int] = []
    tail_idx: list[int] = []
    prev = [-1] * len(pairs)
    for i, (_, o) in enumerate(pairs):
        k = bisect_left(tails, o)
        if k == len(tails):
            tails.append(o)
            tail_idx.append(i)
        else:
            tails[k] = o
            tail_idx[k] = i
        prev[i] = tail_idx[k - 1] if k > 0 else -1
    out = []
    i = tail_idx[-1]
    while i >= 0:
        out.append(pairs[i])
        i = prev[i]
    out.reverse()
    return out


def lcs(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Longest common subsequence of two short key lists, as index pairs."""
    n, m = len(a), len(b)
    if not n or not m:
        return []
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, nxt = table[i], table[i + 1]
        ai = a[i]
        for j in range(m - 1, -1, -1):
            if ai == b[j]:
                row[j] = nxt[j + 1] + 1
            else:
                x, y = nxt[j], row[j + 1]
                row[j] = x if x >= y else y
    out = []
    i = j = 0
    while i < n and j < m:
        if a[i] == b[j]:
            out.append((i, j))
            i += 1
            j += 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def heaviest(cands: list[tuple[int, int]], weights: list[float]) -> list[tuple[int, int]]:
    """Chain of *cands* (sorted by first, each second distinct) strictly increasing in the
    second, of greatest total weight."""
    # best[i]: the heaviest chain ending at cands[i]; its predecessor is the heaviest
    # earlier entry with a smaller o (the first such one on ties), found with a Fenwick
    # tree of prefix maxima over the ranks of o (each o occurs once)
    n = len(cands)
    rank = {o: r for r, o in enumerate(sorted(oi for _, oi in cands), 1)}
    tree: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)  # (weight, -index)
    best: list[float] = []
    prev: list[int] = []
    for i, (_, oi) in enumerate(cands):
        top = (0.0, 0)
        r = rank[oi] - 1
        while r > 0:
            if tree[r] > top:
                top = tree[r]
            r -= r & -r
        bi = weights[i] + top[0] if top[0] else weights[i]
        best.append(bi)
        prev.append(-top[1] if top[0] else -1)
        r = rank[oi]
        entry = (bi, -i)
        while r <= n:
            if entry > tree[r]:
                tree[r] = entry
            r += r & -r
    i = max(range(n), key=lambda x: (best[x], -x))
    out = []
    while i >= 0:
        out.append(cands[i])
        i = prev[i]
    out.reverse()
    return out
