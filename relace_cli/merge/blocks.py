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

from relace_cli.merge.text import (
    CODE,
    HASH_COMMENTS,
    MARKDOWN,
    PYTHONIC,
    Doc,
    family,
    is_closer,
)

# quoted strings with backslash escapes (written unrolled: one quote, runs, escapes)
# (never across a newline: the pattern runs over whole texts but means line by line)
_DQ = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
_SQ = r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
_BQ = r"`[^`\\\n]*(?:\\.[^`\\\n]*)*`"
_OPEN = "([{"
_CLOSE = ")]}"
_QUOTE_CHARS = frozenset("\"'`/#")
FLAT = (0, 0, True)
HEADING = re.compile(r"^(#{1,6})\s")
_FENCE = re.compile(r"^(`{3,}|~{3,})")


# bytes deleted to keep only brackets and newlines of UTF-8 text (multi-byte sequences are
# all >= 0x80, so they go too): a bytes.translate is far cheaper than a regex or str.translate
_NOT_BRACKET_BYTES = bytes(c for c in range(256) if chr(c) not in "()[]{}\n")


def bracket_chars(text: str) -> str:
    """*text* with everything but brackets (and newlines) removed."""
    return text.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKET_BYTES).decode()


_EAGER_LINES = 4000  # up to this many lines, every line's info is computed in one pass
# (net, low, only round/square) for a string of brackets: a pure function, memoised
_SHAPES: dict[str, tuple[int, int, bool]] = {}


def _shape_info(shape: str) -> tuple[int, int, bool]:
    depth = low = 0
    for c in shape:
        if c in _OPEN:
            depth += 1
        else:
            depth -= 1
            if depth < low:
                low = depth
    return depth, low, "{" not in shape


def _shape(shape: str) -> tuple[int, int, bool]:
    got = _shape_info(shape)
    if len(shape) <= 16 and len(_SHAPES) < 4096:
        _SHAPES[shape] = got
    return got


_STRIP: dict[tuple[bool, bool, bool], re.Pattern[str]] = {}


def _strip_re(rust: bool, pythonic: bool, hashes: bool) -> re.Pattern[str]:
    """The pattern for strings and comments, whose brackets do not count."""
    key = (rust, pythonic, hashes)
    got = _STRIP.get(key)
    if got is None:
        parts = [_DQ, _BQ] if rust else [_DQ, _SQ, _BQ]
        comments = [r"/\*.*?\*/"]
        if not pythonic:
            comments.append(r"/(?<![:\\]/)/.*")  # (not after `:` or `\`, as in URLs)
        if hashes:
            comments.append(r"#.*")
        # every branch opens with a literal character: the regex engine then skips ahead to
        # the next such character instead of trying each position
        got = _STRIP[key] = re.compile("|".join(parts + comments))
    return got


# per language: (brackets count, markdown headings, the strings-and-comments pattern)
_LANGS: dict[str, tuple[bool, bool, re.Pattern[str]]] = {}


class Blocks:
    def __init__(self, doc: Doc, lang: str) -> None:
        self.doc = doc
        self.lang = lang
        got = _LANGS.get(lang)
        if got is None:
            fam = family(lang)
            got = (fam in ("brace", "generic") or lang in PYTHONIC or lang == "yaml",
                   lang in MARKDOWN,
                   _strip_re(lang == "rs", lang in PYTHONIC, lang in HASH_COMMENTS))
            if len(_LANGS) < 256:
                _LANGS[lang] = got
        self.brackets, self.markdown, self._strip = got
        self._info: list[tuple[int, int, bool] | None] = [None] * len(doc.lines)
        self._filled = False
        self._fences: list[bool] | None = None
        self._ends: dict[int, tuple[int, bool] | None] = {}

    # --- brackets ---------------------------------------------------------------------

    def info(self, i: int) -> tuple[int, int, bool]:
        """(net bracket change, lowest running depth, header opens only round/square)."""
        got = self._info[i]
        if got is None:
            if not self._filled and len(self._info) <= _EAGER_LINES:
                self._fill()
                return self._info[i]  # type: ignore[return-value]
            got = self._info[i] = self._line_info(i)
        return got

    def _fill(self) -> None:
        """Every line's info at once: strings and comments dropped by one regex pass over the
        whole text (its patterns never cross a newline), then one bytes.translate."""
        self._filled = True
        doc = self.doc
        text = "\n".join(doc.lines)
        if not _QUOTE_CHARS.isdisjoint(text):
            text = self._strip.sub("", text)
        get = _SHAPES.get
        info = [get(shape) or _shape(shape) if shape else FLAT
                for shape in bracket_chars(text).split("\n")]
        kinds = doc.kinds
        if kinds.count(CODE) != len(kinds):  # marker lines have no brackets of their own
            for i, kind in enumerate(kinds):
                if kind != CODE:
                    info[i] = FLAT
        self._info = info

    def share(self, info: list[tuple[int, int, bool] | None]) -> None:
        """Take every line's info, computed elsewhere."""
        self._info = info
        self._filled = True

    def _line_info(self, i: int) -> tuple[int, int, bool]:
        if self.doc.kinds[i] != CODE:
            return FLAT
        text = self.doc.lines[i]
        shape = bracket_chars(text)
        if shape and not _QUOTE_CHARS.isdisjoint(text):
            shape = bracket_chars(self._strip.sub("", text))
        if not shape:
            return FLAT
        return _SHAPES.get(shape) or _shape(shape)

    def _bracket_end(self, h: int, net: int, only_round: bool) -> tuple[int, bool] | None:
        """The end of a block opened by brackets (line *h* leaves *net* > 0 open)."""
        cache = self._info
        line_info = self._line_info
        depth = net
        for j in range(h + 1, len(cache)):
            got = cache[j]
            if got is None:
                got = cache[j] = line_info(j)
            dlow = got[1]
            if depth + dlow <= 0:
                after = depth + got[0]
                if after > 0 and only_round:
                    # `f(a,\n b) {`: the signature closed and the body opens on this line.
                    depth = after
                    continue
                if self.lang in PYTHONIC and self.doc.keys[j].endswith(":"):
                    return self._indent_end(h)
                return j, True
            depth += got[0]
        return None

    # --- indentation --------------------------------------------------------------------

    def _indent_end(self, h: int) -> tuple[int, bool] | None:
        doc = self.doc
        keys, inds = doc.keys, doc.indents()
        base = inds[h]
        last = h
        n = len(keys)
        j = h + 1
        while j < n:
            key = keys[j]
            if not key:
                j += 1
                continue
            ind = inds[j]
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
        m = HEADING.match(self.doc.keys[h])
        if m is None or self._in_fence(h):
            return None
        level = len(m.group(1))
        doc = self.doc
        last = h
        for j in range(h + 1, len(doc.lines)):
            key = doc.keys[j]
            hm = HEADING.match(key)
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
        ends = self._ends
        if h in ends:
            return ends[h]
        doc = self.doc
        key = doc.keys[h]
        if not key or doc.kinds[h] != CODE:
            got = None
        elif self.markdown:
            got = self._heading_end(h)
        else:
            got = None
            if self.brackets:
                net, low, only_round = self._info[h] or self.info(h)
                if net > 0 and low >= 0:  # the line leaves brackets open
                    got = self._bracket_end(h, net, only_round)
            # a line that may own an indented block (Python `def f():`, Ruby `def f`, `<div>`)
            c = key[0]
            if got is None and (
                    key[-1] in ":{([" or key.endswith((" do", "then", "->", "=>"))
                    or (c == "<" and not key.startswith(("</", "<!")) and not key.endswith("/>"))
                    or (c.isalpha()  # (else the first word is no header word)
                        and key.split(None, 1)[0].rstrip(":(").lower() in HEADER_WORDS)):
                got = self._indent_end(h)
                if got is not None:
                    # (Python closes no block with a line: a body's last `)` ends a call)
                    got = got[0], self.lang not in PYTHONIC and is_closer(doc.keys[got[0]])
        ends[h] = got
        return got


HEADER_WORDS = frozenset(
    "def class module function local if elif else elsif unless case when while until for "
    "foreach do begin try catch except finally with struct impl fn pub sub proc switch "
    "namespace interface enum trait async export describe it test context".split()
)
