"""The alignment's chain of links: matches (snippet line s is original line o) and cuts
(snippet lines before s correspond to original lines before o), increasing in both
coordinates, kept as a sorted list of points so that a new link is checked in O(log n)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from relace_cli.merge.text import Doc


class Chain:
    s: Doc
    o: Doc
    match: dict[int, int]
    cuts: set[tuple[int, int]]
    _points: list[tuple[int, int]] | None
    _sorted: tuple[list[int], list[int]] | None

    def _insert(self, *pts: tuple[int, int]) -> None:
        if self._points is None:
            return
        for p in pts:
            i = bisect_left(self._points, p)
            if i == len(self._points) or self._points[i] != p:
                self._points.insert(i, p)

    def points(self) -> list[tuple[int, int]]:
        if self._points is None:
            pts = set(self.cuts)
            for s, o in self.match.items():
                pts.add((s, o))
                pts.add((s + 1, o + 1))
            self._points = sorted(pts)
        return self._points

    def _fits(self, s0: int, o0: int, s1: int, o1: int) -> bool:
        """Can the span (s0,o0)..(s1,o1) join the chain without crossing a link?"""
        pts = self.points()
        i = bisect_right(pts, (s0, o0))
        if i > 0:
            a, b = pts[i - 1]
            if not (a <= s0 and b <= o0):
                return False
        j = bisect_left(pts, (s1, o1))
        if j < len(pts):
            a, b = pts[j]
            if not (a >= s1 and b >= o1):
                return False
        # nothing strictly inside: pts[i:j] lies strictly between the two ends
        return j <= i

    def add_match(self, s: int, o: int) -> bool:
        if s in self.match:
            return False
        # self._fits(s, o, s + 1, o + 1) and self._insert((s, o), (s + 1, o + 1)), inlined
        pts = self._points
        if pts is None:
            pts = self.points()
        p, q = (s, o), (s + 1, o + 1)
        i = bisect_right(pts, p)
        if i > 0:
            a, b = pts[i - 1]
            if not (a <= s and b <= o):
                return False
        j = bisect_left(pts, q)
        if j < len(pts):
            a, b = pts[j]
            if not (a > s and b > o):
                return False
        if j > i:
            return False
        self.match[s] = o
        self._sorted = None
        for x in (p, q):
            k = bisect_left(pts, x)
            if k == len(pts) or pts[k] != x:
                pts.insert(k, x)
        return True

    def add_cut(self, s: int, o: int) -> bool:
        if (s, o) in self.cuts:
            return True
        if not self._fits(s, o, s, o):
            return False
        self.cuts.add((s, o))
        self._insert((s, o))
        return True

    def remove_match(self, s: int) -> None:
        if self.match.pop(s, None) is not None:
            self._points = None
            self._sorted = None

    def gaps(self) -> list[tuple[int, int, int, int]]:
        """Gaps between chain links: (s0, s1, o0, o1) half-open, non-empty on some side."""
        match = self.match
        out = []
        a = b = 0
        for c, d in [*self.points(), (len(self.s.keys), len(self.o.keys))]:
            if c >= a and d >= b and (c != a or d != b) and not (
                    c - a == 1 and d - b == 1 and match.get(a) == b):
                out.append((a, c, b, d))
            a, b = c, d
        return out
