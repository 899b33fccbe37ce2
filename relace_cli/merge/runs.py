"""Anchors from runs of lines, for a snippet none of whose lines is unique.

`} catch (err) {` occurs seven times in a file, `await client.query('ROLLBACK');` five
times, but the two in a row (blank lines aside) may occur once: that pair pins both lines.
Runs of 2 to 4 non-blank code lines of one chunk (no marker inside), with at least one
distinctive line, are looked up among the original's runs of non-blank lines; a run found
exactly once in each text maps its lines. A line mapped two different ways maps nowhere.
The result is a candidate list for the aligner's increasing chain, like unique lines.
"""

from __future__ import annotations

from relace_cli.merge.text import CODE, Doc, is_trivial

_LONGEST = 4


def run_anchors(snip: Doc, orig: Doc) -> list[tuple[int, int]]:
    """(snippet line, original line) pairs, increasing in the snippet line."""
    okeys = orig.keys
    onz = [i for i, k in enumerate(okeys) if k]
    chunks: list[list[int]] = [[]]
    for i, (k, kind) in enumerate(zip(snip.keys, snip.kinds, strict=True)):
        if kind != CODE:
            if chunks[-1]:
                chunks.append([])
        elif k:
            chunks[-1].append(i)
    got: dict[int, int | None] = {}
    for n in range(2, _LONGEST + 1):
        mine: dict[tuple[str, ...], tuple[int, int] | None] = {}  # run -> (chunk, start)
        for c, chunk in enumerate(chunks):
            for a in range(len(chunk) - n + 1):
                key = tuple(snip.keys[i] for i in chunk[a:a + n])
                if not all(is_trivial(k) for k in key):
                    mine[key] = None if key in mine else (c, a)
        if not any(mine.values()):
            continue
        theirs: dict[tuple[str, ...], int] = {}  # run -> start in onz, -1 when repeated
        for b in range(len(onz) - n + 1):
            key = tuple(okeys[j] for j in onz[b:b + n])
            if mine.get(key) is not None:
                theirs[key] = -1 if key in theirs else b
        for key, b in theirs.items():
            where = mine[key]
            if b < 0 or where is None:
                continue
            c, a = where
            for i, j in zip(chunks[c][a:a + n], onz[b:b + n], strict=True):
                if got.get(i, j) != j:
                    got[i] = None  # mapped two ways
                elif i not in got:
                    got[i] = j
    return sorted((i, j) for i, j in got.items() if j is not None)
