"""The elision-marker grammar, shared by the merge engine, the guards and `relace check`.

A *marker* is a line that is only a comment saying that code was left out. The rule:

1. The line, stripped, must open with a comment token and hold nothing but the comment:
   `//`, `#`, `--` (Lua, SQL, Haskell), `/*` ... `*/`, `<!--` ... `-->`, `{/*` ... `*/}` (JSX),
   `;` (Lisp, INI, asm), `%` (TeX, Erlang), `(*` ... `*)`. Code with a trailing comment
   (`x = 1  # ...`) is never a marker: the line does not *start* with a comment.
2. The comment body (delimiters stripped) must then be either
   a. an ellipsis (`...`, `…`) standing alone or at one end of a short phrase (at most
      8 words) that is empty or uses an elision word: existing, rest, same, unchanged,
      remaining, keep, other, previous, more, omitted, code, lines, ... -
      `// ...`, `# ... rest of code ...`, `<!-- ... existing sections ... -->`,
      `// ... 20 more lines`, `/* ... */`; when the ellipsis only ends the phrase, every word
      must be such a word, a code noun or a filler (`// rest of code...`, `# other
      methods...`), so `// Loading...`, `# retry a few more times...` or
      `# TODO: handle other cases...` are ordinary comments;
   b. or, without an ellipsis, an unmistakable elision phrase: "rest of (the) X",
      "existing/unchanged/omitted/remaining X" with X a code noun (code, methods, imports, ...)
      optionally followed by "here", "unchanged", "as before"; "X unchanged" /
      "X remains the same" with X in code/everything/body/...; "keep existing ...",
      "same as before". `# Other methods`, `# More tests`, `# Previous implementation`
      are ordinary section comments (no ellipsis, no unmistakable phrase), not markers.
3. A bare `...` line (no comment token) is *not* a marker here: it is Python's Ellipsis
   (and TypeScript/Go spread syntax continues a line, it never stands alone). The merge engine
   may, for languages where a bare `...` cannot be code, treat it as one in context.

`is_marker` takes one line without its newline; `find_markers` and `has_marker` take a text
with "\\n" line endings.
"""

from __future__ import annotations

import re

__all__ = ["MARKER_WORDS", "OPENERS", "comment_body", "find_markers", "has_marker", "is_marker",
           "is_marker_body"]

MARKER_WORDS = frozenset(
    "existing rest same unchanged remaining remainder keep kept other others previous more "
    "omitted elided original prior untouched code lines line etc snip snipped truncated "
    "everything content contents before".split()
)

# Comment openers and their optional closers, longest first.
_COMMENT = re.compile(
    r"""^(?:
        \{\s*/\*+(?P<jsx>.*?)\*+/\s*\}        # {/* ... */}
      | \{\#(?P<jinja>.*?)\#\}                  # {# ... #} (Jinja, Django, Twig)
      | /\*+(?P<block>.*?)(?:\*+/)?           # /* ... */  (closer optional: /* ...)
      | <!--+(?P<html>.*?)(?:-->)?            # <!-- ... -->
      | \(\*(?P<ml>.*?)(?:\*\))?              # (* ... *)
      | //+!?(?P<slash>.*)                    # // ...
      | \#+!?(?P<hash>.*)                     # # ...
      | --+(?P<dash>.*)                       # -- ...
      | ;+(?P<semi>.*)                        # ; ...
      | %+(?P<pct>.*)                         # % ...
    )$""",
    re.VERBOSE | re.DOTALL,
)
_ELLIPSIS = re.compile(r"\.{3,}|…")
_WORD = re.compile(r"[a-z0-9']+")
_NOUNS = (
    r"code|lines?|content|contents|methods?|functions?|imports?|tests?|sections?|"
    r"implementation|logic|propert(?:y|ies)|fields?|styles?|rules?|config(?:uration)?|"
    r"settings?|body|markup|components?|elements?|items?|cases?|definitions?|declarations?|"
    r"statements?|routes?|handlers?|exports?|classes|types?|entries|keys|values|options|"
    r"attributes|members|helpers?|props|hooks?|state|setup|file|text|paragraphs?|rows?|"
    r"columns?|queries|tasks?|steps?|jobs?|dependencies|deps|modules?|blocks?|stuff"
)
_NOUN = re.compile(_NOUNS)
_TAIL = (
    r"(?:\s+(?:here|unchanged|as\s+before|as\s+is|omitted|"
    r"remains?(?:\s+(?:unchanged|the\s+same))?|stays?(?:\s+the\s+same)?|(?:is|are)\s+unchanged))?"
)
_KEEP = r"(?:(?:keep|kept|with|and|plus)\s+)?"
_STATE = r"(?:existing|unchanged|omitted|elided|untouched|remaining|original)"
_PHRASES = re.compile(
    rf"""^(?:
        {_KEEP}(?:the\s+)?(?:rest|remainder)\s+of\s+(?:the\s+)?[a-z0-9_' ]{{1,40}}
      | (?:(?:keep|kept|with|and|plus|all|the|any)\s+){{0,2}}{_STATE}
            \s+(?:[a-z_]+\s+)?(?:{_NOUNS}){_TAIL}
      | (?:the\s+)?(?:code|everything|all|body|implementation|content|rest|file)(?:\s+else)?
            \s+(?:here\s+)?(?:unchanged|omitted|as\s+before|as\s+is|remains?\s+(?:unchanged|the\s+same)|stays?\s+the\s+same|is\s+unchanged)
      | (?:same\s+as\s+before|unchanged|no\s+changes?(?:\s+here)?|as\s+before)
      | keep\s+(?:the\s+)?(?:existing|rest|remaining|other|original)\b[a-z0-9_' ]{{0,40}}
    )$""",
    re.VERBOSE,
)


# One of these occurs in every text `_PHRASES` matches, unless it says `as is`.
_PHRASE_WORDS = ("rest", "existing", "unchanged", "omitted", "elided", "untouched", "remain",
                 "original", "before", "stay", "change", "keep")
_HAS_PHRASE_WORD = re.compile("|".join(_PHRASE_WORDS)).search  # (plain words: no escaping)


# The first character of every comment opener above: a line starting otherwise is no marker.
OPENERS = _OPENERS = frozenset("{/<(#-;%")


# Openers of more than one character: a line starting with the first character but not
# with one of these is no comment (`<div>`, `(a, b)`, `-x`, `/ 2`).
_LONG_OPENERS = {"/": ("//", "/*"), "<": ("<!--",), "(": ("(*",), "-": ("--",)}


def comment_body(line: str) -> str | None:
    """The text inside a whole-line comment, or None when *line* is not only a comment."""
    s = line.strip()
    if not s:
        return None
    c = s[0]
    if c not in _OPENERS:
        return None
    long = _LONG_OPENERS.get(c)
    if (long is not None and not s.startswith(long)) \
            or (c == "{" and "/*" not in s and not s.startswith("{#")):
        return None
    m = _COMMENT.match(s)
    if m is None:
        return None
    for value in m.groupdict().values():
        if value is not None:
            return value
    return None  # pragma: no cover - one group always matches


def _normalise(body: str) -> str:
    body = body.strip().strip("*").strip()
    return " ".join(body.replace("_", " ").split()).lower()


def is_marker(line: str) -> bool:
    """True when *line* (without its newline) is an elision marker comment."""
    if len(line) > 300 or line.lstrip()[:1] not in _OPENERS:
        return False
    body = comment_body(line)
    if body is None:
        return False
    return is_marker_body(body)


def is_marker_body(body: str) -> bool:
    """True when a comment whose text is *body* (see `comment_body`) is a marker."""
    text = _normalise(body)
    if not text:
        return False
    if _ELLIPSIS.search(text):
        return _ellipsis_marker(text)
    if _HAS_PHRASE_WORD(text) is None and not ("as" in text and "is" in text):
        return False  # every phrase below holds one of these words (or `as is`)
    cleaned = re.sub(r"[\[\](){}:,.!<>-]+", " ", text)
    cleaned = " ".join(cleaned.split())
    return _PHRASES.match(cleaned) is not None


def _ellipsis_marker(text: str) -> bool:
    """`... existing code ...`, `...`, `… 20 more lines`: ellipsis at one end, elision words."""
    parts = _ELLIPSIS.split(text)
    starts = not parts[0].strip(" ([{<:-")
    ends = not parts[-1].strip(" )]}>:-.")
    if not (starts or ends):
        return False
    words = _WORD.findall(" ".join(parts))
    if not words:
        return True
    if len(words) > 8:
        return False
    if not starts:
        # a trailing ellipsis ends many ordinary comments (`# retry a few more times...`,
        # `## Read more...`): then every word must be one of elision
        return all(w in MARKER_WORDS or w in _FILLER or w.isdigit() or _NOUN.fullmatch(w)
                   for w in words)
    return any(w in MARKER_WORDS or w.isdigit() for w in words)


_FILLER = frozenset(
    "of the and as is are here all any with plus a an to for in this that so on stays stay "
    "remains remain unchanged same".split()
)


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def find_markers(text: str, python: bool = False) -> list[tuple[int, str]]:
    """Every marker line in *text* as (1-based line number, line); lines split on "\\n".
    *python*: lines inside triple-quoted strings are text, not markers."""
    lines = _lines(text)
    found = [(n, line) for n, line in enumerate(lines, 1) if is_marker(line)]
    if found and python:
        inside = in_strings([line.strip() for line in lines])
        found = [(n, line) for n, line in found if not inside[n - 1]]
    return found


def has_marker(text: str) -> bool:
    """True when some line of *text* is a marker."""
    return any(is_marker(line) for line in _lines(text))


def in_strings(keys: list[str]) -> list[bool]:
    """Python: which lines lie inside a triple-quoted string (after its opening line, up to
    and including its closing one), by counting the quotes."""
    out = [False] * len(keys)
    quote = ""
    for i, k in enumerate(keys):
        if quote:
            out[i] = True
            if k.count(quote) % 2:
                quote = ""
            continue
        for q in ('"""', "'''"):
            if q in k and k.count(q) % 2:
                quote = q
                break
    return out
