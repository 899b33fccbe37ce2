"""Where a block that starts on a line ends: bracket balance, indentation, or headings.

`Blocks(doc, lang)` answers `end(h)`: the last line of the block opened by line *h*, whether
that end is *closed* (the text shows where the block stops) and whether the end line is an
explicit closer (`}`, `end`, `</div>`), or None when line *h* opens no block.

- Brace languages (and unknown ones): a line whose brackets do not balance opens a block that
  ends on the line where the balance drops back. Strings and comments are skipped (roughly,
  line by line). A signature spread over lines (`f(a,\\n b) {`) continues into its body.
- Otherwise (and for lines without open brackets): indentation. The block holds the deeper
  lines after the header, plus a closer at the header's own indentation (`end`, `}`, `</p>`).
- Markdown: a heading's block runs to the next heading of the same or a higher level.
"""

from __future__ import annotations

import re

from relace_cli.merge.text import CODE, HASH_COMMENTS, MARKDOWN, PYTHONIC, Doc, family, is_closer

_DQ = r'"(?:[^"\\]|\\.)*"'
_SQ = r"'(?:[^'\\]|\\.)*'"
_BQ = r"`(?:[^`\\]|\\.)*`"
_OPEN = "([{"
_CLOSE = ")]}"
_BRACKET_CHARS = frozenset("()[]{}")
_QUOTE_CHARS = frozenset("\"'`/#")
_BRACKET_RE = re.compile(r"[()\[\]{}]")
_HEADING = re.compile(r"^(#{1,6})\s")
_FENCE = re.compile(r"^(`{3,}|~{3,})")


class Blocks:
    def __init__(self, doc: Doc, lang: str) -> None:
        self.doc = doc
        self.lang = lang
        fam = family(lang)
        self.brackets = fam in ("brace", "generic") or lang in PYTHONIC or lang == "yaml"
        self.markdown = lang in MARKDOWN
        parts = [_DQ, _BQ] if lang == "rs" else [_DQ, _SQ, _BQ]
        comments = [r"/\*.*?\*/"]
        if lang not in PYTHONIC:
            comments.append(r"(?<![:\\])//.*")
        if lang in HASH_COMMENTS:
            comments.append(r"#.*")
        self._strip = re.compile("|".join(parts + comments))
        self._info: dict[int, tuple[int, int, bool]] = {}
        self._fences: list[bool] | None = None
        self._ends: dict[int, tuple[int, bool] | None] = {}

    # --- brackets ---------------------------------------------------------------------

    def info(self, i: int) -> tuple[int, int, bool]:
        """(net bracket change, lowest running depth, header opens only round/square)."""
        got = self._info.get(i)
        if got is not None:
            return got
        line = self.doc.lines[i]
        if self.doc.kinds[i] != CODE or _BRACKET_CHARS.isdisjoint(line):
            got = (0, 0, True)
        else:
            text = self._strip.sub("", line) if not _QUOTE_CHARS.isdisjoint(line) else line
            depth = low = 0
            curly = False
            for c in _BRACKET_RE.findall(text):
                if c in _OPEN:
                    depth += 1
                    curly = curly or c == "{"
                else:
                    depth -= 1
                    if depth < low:
                        low = depth
            got = (depth, low, not curly)
        self._info[i] = got
        return got

    def _bracket_end(self, h: int) -> tuple[int, bool] | None:
        net, low, _ = self.info(h)
        if net <= 0 or low < 0:
            return None
        n = len(self.doc)
        depth = net
        j = h + 1
        while j < n:
            dnet, dlow, _ = self.info(j)
            if depth + dlow <= 0:
                after = depth + dnet
                if after > 0 and self.info(h)[2]:
                    # `f(a,\n b) {`: the signature closed and the body opens on this line.
                    depth = after
                    j += 1
                    continue
                if self.lang in PYTHONIC and self.doc.keys[j].endswith(":"):
                    return self._indent_end(h)
                return j, True
            depth += dnet
            j += 1
        return None

    # --- indentation --------------------------------------------------------------------

    def _indent_end(self, h: int) -> tuple[int, bool] | None:
        doc = self.doc
        base = _indent(doc.lines[h])
        last = h
        n = len(doc)
        j = h + 1
        while j < n:
            key = doc.keys[j]
            if not key:
                j += 1
                continue
            ind = _indent(doc.lines[j])
            if ind > base:
                last = j
                j += 1
                continue
            if doc.kinds[j] == CODE and ind == base and is_closer(key) and last > h:
                return j, True
            break
        if last == h:
            return None
        return last, True

    # --- markdown -----------------------------------------------------------------------

    def _heading_end(self, h: int) -> tuple[int, bool] | None:
        m = _HEADING.match(self.doc.keys[h])
        if m is None or self._in_fence(h):
            return None
        level = len(m.group(1))
        doc = self.doc
        last = h
        for j in range(h + 1, len(doc)):
            key = doc.keys[j]
            hm = _HEADING.match(key)
            if hm and len(hm.group(1)) <= level and not self._in_fence(j):
                break
            if key:
                last = j
        return (last, True) if last > h else None

    def _in_fence(self, i: int) -> bool:
        if self._fences is None:
            inside = False
            flags = []
            for key in self.doc.keys:
                if _FENCE.match(key):
                    flags.append(True)
                    inside = not inside
                else:
                    flags.append(inside)
            self._fences = flags
        return self._fences[i]

    # --- public -------------------------------------------------------------------------

    def end(self, h: int) -> tuple[int, bool] | None:
        """(last line of the block opened by line h, explicit closer?) or None."""
        if h in self._ends:
            return self._ends[h]
        got = self._end(h)
        self._ends[h] = got
        return got

    def _end(self, h: int) -> tuple[int, bool] | None:
        if self.doc.kinds[h] != CODE or not self.doc.keys[h]:
            return None
        if self.markdown:
            return self._heading_end(h)
        if self.brackets:
            got = self._bracket_end(h)
            if got is not None:
                return got
        if not _header_like(self.doc.keys[h]):
            return None
        got = self._indent_end(h)
        if got is None:
            return None
        end, _ = got
        return end, is_closer(self.doc.keys[end])


def _indent(line: str) -> int:
    n = len(line) - len(line.lstrip(" \t"))
    if n == 0:
        return 0
    head = line[:n]
    return len(head.expandtabs(4)) if "\t" in head else n


_HEADER_WORDS = frozenset(
    "def class module function local if elif else elsif unless case when while until for "
    "foreach do begin try catch except finally with struct impl fn pub sub proc switch "
    "namespace interface enum trait async export describe it test context".split()
)


def _header_like(key: str) -> bool:
    """A line that may own an indented block (Python `def f():`, Ruby `def f`, `<div>`)."""
    if not key:
        return False
    if key[-1] in ":{([" or key.endswith((" do", "then", "->", "=>")):
        return True
    if key[0] == "<" and not key.startswith(("</", "<!")) and not key.endswith("/>"):
        return True
    first = key.split(None, 1)[0].rstrip(":(").lower()
    return first in _HEADER_WORDS
