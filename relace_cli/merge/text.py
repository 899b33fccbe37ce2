"""Lines, keys, indentation and language families: the vocabulary of the merge engine."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CODE, HARD, SOFT = 0, 1, 2  # kinds of snippet lines: code, written marker, implied marker

BRACE = frozenset(
    "c h cc cpp cxx hpp hh hxx cs java js jsx mjs cjs ts tsx mts cts go rs kt kts swift php "
    "scala sc dart m mm css scss less json jsonc json5 groovy gradle proto zig v sol hcl tf "
    "nix svelte vue astro".split()
)
INDENT = frozenset("py pyi pyw yaml yml coffee nim sass pug haml slim gd toml".split())
MARKUP = frozenset("html htm xhtml xml svg xsl xslt plist xaml".split())
MARKDOWN = frozenset("md markdown mdx rst".split())
HASH_COMMENTS = frozenset(
    "py pyi pyw rb sh bash zsh fish yaml yml toml pl pm r jl ex exs cmake mk make nim coffee "
    "ps1 conf ini tf hcl dockerfile gd cr".split()
)
PYTHONIC = frozenset("py pyi pyw".split())

_TRIVIAL_WORDS = frozenset(
    "end else elif fi done esac then do begin endif endfor endwhile try finally except pass "
    "break continue return default otherwise in eof eot".split()  # (heredoc terminators)
)
_TRIM = ";:,{}() "
_ALNUM_SEARCH = re.compile(r"[^\W_]").search  # a letter or digit, as str.isalnum
_WS = (" ", "\t")
_CLOSER_WORDS = frozenset("end fi done esac endif endfor endwhile endfunction next wend".split())


@dataclass
class Doc:
    """A text split on "\\n" with per-line keys (stripped) and indentation columns."""

    lines: list[str]
    final_newline: bool
    keys: list[str] = field(init=False)
    kinds: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = [line.strip() for line in self.lines]
        self.kinds = [CODE] * len(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    @classmethod
    def derived(cls, lines: list[str], final_newline: bool, keys: list[str],
                kinds: list[int]) -> Doc:
        """A Doc whose keys (each line stripped) and kinds are already known."""
        doc = cls.__new__(cls)
        doc.lines, doc.final_newline, doc.keys, doc.kinds = lines, final_newline, keys, kinds
        return doc


def split(text: str) -> tuple[list[str], bool]:
    """Lines of *text* (split on "\\n" only) and whether it ended with a newline."""
    if not text:
        return [], False
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
        return parts, True
    return parts, False


def indent_of(line: str) -> int:
    """Leading whitespace width in columns (tabs count 4)."""
    if line[:1] not in _WS:
        return 0
    n = len(line) - len(line.lstrip(" \t"))
    head = line[:n]
    return len(head.expandtabs(4)) if "\t" in head else n


def reindent(line: str, delta: int, use_tabs: bool) -> str:
    """*line* with its indentation shifted by *delta* columns (never below zero)."""
    if not line.strip():
        return ""
    body = line.lstrip(" \t")
    cols = max(0, indent_of(line) + delta)
    if use_tabs:
        return "\t" * (cols // 4) + " " * (cols % 4) + body
    return " " * cols + body


def is_trivial(key: str) -> bool:
    """Keys too common to anchor on by themselves: `}`, `});`, `end`, blank, `else:`."""
    if len(key) < 3 or _ALNUM_SEARCH(key) is None:
        return True
    if len(key) > 9 and key[0] not in _TRIM and key[-1] not in _TRIM:
        return False  # longer than any trivial word (lower() never shortens)
    return key.lower().strip(_TRIM) in _TRIVIAL_WORDS


def is_closer(key: str) -> bool:
    """A line that closes a block at its header's indentation."""
    if not key:
        return False
    if key[0] in "}])" or key.startswith("</"):
        return True
    word = key.split()[0].rstrip(";,)").lower() if key.split() else ""
    return word in _CLOSER_WORDS


_COMMENT_START = ("//", "#", "/*", "*", "--", "<!--", ";;", "%")


def is_comment(key: str, lang: str) -> bool:
    """A whole-line comment (used for doc comments attached to a definition)."""
    if not key:
        return False
    if lang in MARKDOWN:
        return key.startswith("<!--")
    if key.startswith("#") and lang not in HASH_COMMENTS and lang != "":
        return False  # C preprocessor, CSS ids
    return key.startswith(_COMMENT_START) or key.startswith('"""') or key.startswith("'''")


_ALIASES = {"jsonl": "json", "yml": "yaml", "htm": "html", "markdown": "md"}


def guess_language(language: str | None, original: str, snippet: str) -> str:
    """Normalised extension; guessed from content when unknown ("" when no guess)."""
    if language:
        lang = language.lower().lstrip(".")
        return _ALIASES.get(lang, lang)
    sample = (original[:20000] + "\n" + snippet[:5000])
    if re.search(r"^\s*(def|class)\s+\w+.*:\s*$", sample, re.M) and "{" not in sample[:2000]:
        return "py"
    if re.search(r"^\s*(def|class)\s+\w+[^{]*:\s*(#.*)?$", sample, re.M) and re.search(
        r"^\s*(import|from)\s+\w+", sample, re.M
    ):
        return "py"
    if re.search(r"^\s*<(!DOCTYPE|html|div|body|head)\b", sample, re.M | re.I):
        return "html"
    text = original[:20000]
    codeish = re.search(r"^\s*(import|def|class|function|const|let|var|return|if|for)\b|"
                        r"^\s*[\w.]+\s*=[^=]", text, re.M)
    if not codeish and text.count("{") < 3 and (
        re.search(r"^#{2,6} \S", text, re.M)
        or (re.search(r"^# \S", text, re.M) and re.search(r"^[-*] \S", text, re.M))
    ):
        return "md"
    if sample.count("{") >= 1:
        return "js"
    return ""


def family(lang: str) -> str:
    """One of brace, indent, markup, markdown, generic."""
    if lang in BRACE:
        return "brace"
    if lang in INDENT:
        return "indent"
    if lang in MARKUP:
        return "markup"
    if lang in MARKDOWN:
        return "markdown"
    return "generic"


def leading_ws_uses_tabs(line: str) -> bool:
    return line[:1] == "\t"



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


def _anchors_scale(slines: list[str], olines: list[str]) -> float:
    """How the depths of lines found once in both texts relate: 2.0 when each step deeper in
    the snippet is two steps in the original, 0.5 for the reverse, else 0 (or no evidence)."""
    def once(lines: list[str]) -> dict[str, int]:
        seen: dict[str, int] = {}
        for x in lines:
            k = x.strip()
            if k:
                seen[k] = -1 if k in seen else len(x) - len(x.lstrip(" "))
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
        if not body or body[:1] == "*" or ("..." in body and body[:1] in "#/<-{"):
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
            if x.lstrip("\t")[:1] in _WS:
                return slines  # tabs then spaces: leave the columns as they are
        elif x[:1] == " " and x.strip():
            s_sp += 1
    if not s_tab and not s_sp:
        return slines
    head = "\n".join(olines[:600])
    mine = 0
    if s_sp and not s_tab and tabs is False and lang not in MARKDOWN \
            and (_TWO_MOD_FOUR("\n".join(slines)) is None) != (_TWO_MOD_FOUR(head) is None):
        mine = _snippet_step(slines, least=2)  # (only one text has widths of 2 mod 4)
    if mine in (2, 4):
        theirs = _step_mode(head)
        if {mine, theirs} == {2, 4} and _anchors_scale(slines, olines) == theirs / mine:
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
