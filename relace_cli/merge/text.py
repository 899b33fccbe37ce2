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
STYLES = frozenset("css scss less".split())  # a rule `sel {` starts a unit
# bare keywords that open a block: `else:`, `try {`, `begin`, `do`, `then`
OPENER_WORDS = frozenset("else try finally except begin do then".split())

_TRIVIAL_WORDS = frozenset(
    "end else elif fi done esac then do begin endif endfor endwhile try finally except pass "
    "break continue return default otherwise in eof eot".split()  # (heredoc terminators)
)
_TRIM = ";:,{}() "
_ALNUM_SEARCH = re.compile(r"[^\W_]").search  # a letter or digit, as str.isalnum
_WS = (" ", "\t")
_CLOSER_WORDS = frozenset("end fi done esac endif endfor endwhile endfunction next wend".split())
_CLOSER_FIRST = frozenset("efdnwEFDNW")  # the first letters of _CLOSER_WORDS, either case


@dataclass
class Doc:
    """A text split on "\\n" with per-line keys (stripped) and indentation columns."""

    lines: list[str]
    final_newline: bool
    keys: list[str] = field(init=False)
    kinds: list[int] = field(init=False)
    _indents: list[int] | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.keys = [line.strip() for line in self.lines]
        self.kinds = [CODE] * len(self.lines)

    def indents(self) -> list[int]:
        """Every line's indent_of, computed once (the lines of a Doc never change)."""
        got = self._indents
        if got is None:  # (indent_of, inlined: without tabs, the count of spaces)
            got = self._indents = [indent_of(x) if "\t" in x else len(x) - len(x.lstrip(" "))
                                   for x in self.lines]
        return got

    def __len__(self) -> int:
        return len(self.lines)

    @classmethod
    def derived(cls, lines: list[str], final_newline: bool, keys: list[str],
                kinds: list[int], indents: list[int] | None = None) -> Doc:
        """A Doc whose keys (each line stripped) and kinds (and maybe indents) are known."""
        doc = cls.__new__(cls)
        doc.lines, doc.final_newline, doc.keys, doc.kinds = lines, final_newline, keys, kinds
        doc._indents = indents
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
    if len(key) < 3 or (not key[0].isalnum() and _ALNUM_SEARCH(key) is None):
        return True  # (str.isalnum on one character is the pattern's class exactly)
    if len(key) > 9 and key[0] not in _TRIM and key[-1] not in _TRIM:
        return False  # longer than any trivial word (lower() never shortens)
    return key.lower().strip(_TRIM) in _TRIVIAL_WORDS


def is_closer(key: str) -> bool:
    """A line that closes a block at its header's indentation."""
    if not key:
        return False
    if key[0] in "}])" or key.startswith("</"):
        return True
    if key[0] not in _CLOSER_FIRST:
        return False  # (no other character lowercases to a closing word's first letter)
    parts = key.split(None, 1)
    word = parts[0].rstrip(";,)").lower() if parts else ""
    return word in _CLOSER_WORDS


_COMMENT_START = ("//", "#", "/*", "*", "--", "<!--", ";;", "%", "{/*")


def is_comment(key: str, lang: str) -> bool:
    """A whole-line comment (used for doc comments attached to a definition)."""
    if not key:
        return False
    if lang in MARKDOWN:
        return key.startswith("<!--")
    if key.startswith("#") and lang not in HASH_COMMENTS and lang != "":
        return False  # C preprocessor, CSS ids
    if key.startswith("--") and lang in STYLES:
        return False  # a CSS custom property (`--accent: #f59e0b;`)
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
    if re.search(r"^\s*(import|export)\b[^\n]*$", sample, re.M) and "{" in sample:
        return "jsx" if re.search(r"^\s*</?[A-Za-z][\w.]*[\s>/]", sample, re.M) else "js"
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
    if not codeish and "{" not in text and "\n\t" not in text \
            and re.search(r"^[\w.-]+:[ \t]*$", text, re.M) \
            and len(re.findall(r"^[ \t]*(?:- )?[\w.\"'-]+:(?:[ \t]|$)", text, re.M)) >= 3:
        return "yaml"  # (`services:` / `  web:` / `    ports:`: keys, no code, no braces)
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
