"""Checks every merged result must pass before anything is written.

Each guard is a pure function over "\\n"-normalised text; the CLI turns a failure into
``MergeRefused(message, guard=name)``. Guards look for the ways a merge goes wrong without
anyone noticing: a marker copied into the file, a file cut short, a reply wrapped in a
Markdown fence, a file that no longer parses, and untouched lines whose bytes changed.
Only the standard library is imported here; parsers for other languages load lazily.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from relace_cli.errors import GUARD_NAMES  # noqa: F401  (re-exported)
from relace_cli.linediff import common_ends
from relace_cli.markers import in_strings, is_marker

# Truncation: refuse when more than max(TRUNC_MIN_LINES, TRUNC_SHARE * original) meaningful
# lines vanish that the snippet does not account for (or that many snippet lines are lost).
TRUNC_MIN_LINES = 5
TRUNC_SHARE = 0.2
SNIPPET_SHARE = 0.25
_APPLIED_SHARE = 0.6  # a snippet chunk counts as applied when this share of it is in the result
_COMPLETE_SHARE = 0.5  # a marker-less snippet this large (vs the original) is a whole new file

_WORD = re.compile(r"\w")
_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})[ \t]*[\w+#.-]*[ \t]*$")
_FENCE_BARE = re.compile(r"^(`{3,}|~{3,})[ \t]*$")
_EOL = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Failure:
    guard: str
    message: str  # one line, for humans


@dataclass(frozen=True)
class Checked:
    text: str  # the merged text, possibly unwrapped from a code fence
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_merge(original: str, merged: str, snippet: str, *, language: str | None,
                remote: bool, disabled: frozenset[str] = frozenset()) -> Checked:
    """Run fence (first: it may unwrap the text), markers, truncation, syntax; never raises."""
    failures: list[Failure] = []
    notes: list[str] = []
    text = [merged]

    def fence() -> Failure | None:
        text[0], failure, note = check_fence(original, merged)
        notes.extend([note] if note else [])
        return failure

    checks = (
        ("fence", fence),
        ("markers", lambda: check_markers(original, text[0], language)),
        ("truncation", lambda: check_truncation(original, text[0], snippet, remote=remote)),
        ("syntax", lambda: check_syntax(original, text[0], language, notes)),
    )
    for name, run in checks:
        if name in disabled:
            continue
        try:
            failure = run()
        except Exception as exc:  # a guard bug must refuse, never crash nor wave through
            failure = _crashed(name, exc)
        if failure:
            failures.append(failure)
    return Checked(text=text[0], failures=failures, notes=notes)


def _crashed(name: str, exc: Exception) -> Failure:
    return Failure(name, f"the {name} check failed unexpectedly ({type(exc).__name__}: {exc}); "
                         f"skip it with --no-guard {name} if you trust the result")


# --- markers ---------------------------------------------------------------------------

def check_markers(original: str, merged: str, language: str | None = None) -> Failure | None:
    """A marker line in the result that the original did not already have (in Python, text
    inside a triple-quoted string is no marker: `# ... your code here ...` in a docstring)."""
    lines = merged.split("\n")
    found = {key for key in {line.strip() for line in lines} if is_marker(key)}
    if not found:
        return None
    if (language or "").lower().lstrip(".") in ("py", "pyi", "pyw"):
        inside = in_strings([line.strip() for line in lines])
        found = {line.strip() for line, s in zip(lines, inside, strict=True)
                 if not s and line.strip() in found}
        if not found:
            return None
    allowed = Counter(k for k in (line.strip() for line in original.split("\n")) if k in found)
    for n, line in enumerate(lines, 1):
        key = line.strip()
        if key not in found:
            continue
        if allowed[key] > 0:
            allowed[key] -= 1
            continue
        return Failure("markers", f"the result still contains the marker `{key}` (line {n})")
    return None


# --- fence -----------------------------------------------------------------------------

def _first_last(lines: list[str]) -> tuple[int, int] | None:
    idx = [i for i, line in enumerate(lines) if line.strip()]
    return (idx[0], idx[-1]) if idx else None


def check_fence(original: str, merged: str) -> tuple[str, Failure | None, str | None]:
    """Unwrap a reply fenced as a whole; refuse a fence that is opened and never closed."""
    olines = original.split("\n")
    ends = _first_last(olines)
    if ends and _FENCE_OPEN.match(olines[ends[0]].strip()):
        return merged, None, None  # the file itself starts with a fence (Markdown): leave it
    lines = merged.split("\n")
    mends = _first_last(lines)
    if mends is None:
        return merged, None, None
    first, last = mends
    opener = _FENCE_OPEN.match(lines[first].strip())
    if opener:
        ticks = opener.group(1)
        closer = _FENCE_BARE.match(lines[last].strip())
        if (last > first and closer and closer.group(1)[0] == ticks[0]
                and len(closer.group(1)) >= len(ticks)):
            inner = lines[first + 1:last]
            text = "\n".join(inner)
            if inner and (original.endswith("\n") or not original):
                text += "\n"
            return text, None, "removed a Markdown code fence around the reply"
        return merged, Failure(
            "fence", f"the result starts with a Markdown code fence ({lines[first].strip()}) "
                     "that is never closed"), None
    tail = _FENCE_BARE.match(lines[last].strip())
    if tail and not (ends and _FENCE_BARE.match(olines[ends[1]].strip())):
        fences = sum(1 for line in lines if _FENCE_OPEN.match(line.strip()))
        if fences % 2:
            return merged, Failure(
                "fence", f"the result ends with a stray Markdown code fence ({tail.group(1)}) "
                         f"(line {last + 1})"), None
    return merged, None, None


_MARKDOWN = frozenset(("md", "markdown", "mdx"))


def unwrap_snippet(snippet: str, original: str, language: str | None) -> tuple[str, str | None]:
    """A snippet pasted with its Markdown code fence (```js ... ```): the code inside, and a
    note. A fence line left elsewhere in it (prose around the code, a fence never closed) is
    refused with `ValueError(line number, fence)` - unless the original has that line too or
    the file is Markdown, whose text may hold fences of its own."""
    lines = snippet.split("\n")
    ends = _first_last(lines)
    if ends is None:
        return snippet, None
    first, last = ends
    markdown = language in _MARKDOWN
    opener = _FENCE_OPEN.match(lines[first].strip())
    closer = _FENCE_BARE.match(lines[last].strip())
    if opener and closer and last > first and closer.group(1)[0] == opener.group(1)[0] \
            and len(closer.group(1)) >= len(opener.group(1)):
        info = lines[first].strip().lstrip("`~").strip().lower()
        if not markdown or info in _MARKDOWN:
            inner = "\n".join(lines[first + 1:last])
            note = "removed a Markdown code fence around the snippet"
            return inner + ("\n" if inner else ""), note
    if markdown:
        return snippet, None
    known = {line.strip() for line in original.split("\n")}
    for n, line in enumerate(lines, 1):
        key = line.strip()
        if key.startswith(("```", "~~~")) and _FENCE_OPEN.match(key) and key not in known:
            raise ValueError(n, key)
    return snippet, None


# --- truncation ------------------------------------------------------------------------

def _chunks(snippet: str) -> tuple[list[list[str]], int]:
    """The snippet's runs of non-blank, non-marker lines (stripped) and its marker count."""
    chunks: list[list[str]] = []
    current: list[str] = []
    markers = 0
    for line in snippet.split("\n"):
        if is_marker(line):
            markers += 1
            if current:
                chunks.append(current)
                current = []
        elif line.strip():
            current.append(line.strip())
    if current:
        chunks.append(current)
    return chunks, markers


def check_truncation(original: str, merged: str, snippet: str, *,
                     remote: bool = False) -> Failure | None:
    """Refuse a result that lost much of the original (or of the snippet) unexplained.

    A "meaningful" line holds a word character (blank lines and lone braces are noise).
    An original line missing from the result is explained when it lies in the span of the
    original that an applied snippet chunk replaces (found by aligning the chunk with the
    original) and the snippet does not itself repeat it. A marker-less snippet as large as
    half the original is a whole new file and explains everything it does not repeat.
    """
    if remote:
        cut = _cut_mid_line(original, merged, snippet)
        if cut:
            return cut
    okeys = [line.strip() for line in original.split("\n")]
    meaningful = [(i, k) for i, k in enumerate(okeys) if _WORD.search(k)]
    if not meaningful:
        return None
    have = Counter(line.strip() for line in merged.split("\n"))
    present = set(have)
    chunks, markers = _chunks(snippet)
    snippet_keys = {k for chunk in chunks for k in chunk}
    snippet_words = [k for chunk in chunks for k in chunk if _WORD.search(k)]
    complete = markers == 0 and len(snippet_words) >= _COMPLETE_SHARE * len(meaningful)
    spans = _spans(okeys, chunks, present, complete)
    lost = 0
    for i, key in meaningful:
        if have[key] > 0:
            have[key] -= 1
        elif key in snippet_keys or not any(a <= i <= b for a, b in spans):
            lost += 1
    missing = sum(1 for k in snippet_words if k not in present)
    # Small files: losing half of them is only plausible when the snippet made it in.
    unapplied = missing * 2 >= len(snippet_words) if snippet_words else not present - {""}
    small = lost * 2 >= len(meaningful) and unapplied
    if lost > max(TRUNC_MIN_LINES, TRUNC_SHARE * len(meaningful)) or (lost and small):
        return Failure("truncation", f"the result drops {lost} of {len(meaningful)} original "
                                     "lines that the snippet does not account for")
    if missing > max(TRUNC_MIN_LINES, SNIPPET_SHARE * len(snippet_words)):
        return Failure("truncation", f"the result lacks {missing} of {len(snippet_words)} "
                                     "lines of the snippet")
    return None


def _spans(okeys: list[str], chunks: list[list[str]], present: set[str],
           complete: bool) -> list[tuple[int, int]]:
    """Original line ranges (inclusive) that applied snippet chunks replace."""
    nonblank = [i for i, k in enumerate(okeys) if k]
    matcher: difflib.SequenceMatcher[str] | None = None
    spans: list[tuple[int, int]] = []
    for chunk in chunks:
        words = [k for k in chunk if _WORD.search(k)]
        if not words or sum(1 for k in words if k in present) < _APPLIED_SHARE * len(words):
            continue  # the chunk did not make it into the result: it explains nothing
        if complete:
            return [(0, len(okeys))]
        if matcher is None:
            matcher = difflib.SequenceMatcher(None)
            matcher.set_seq2([okeys[i] for i in nonblank])
        matcher.set_seq1(chunk)
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        if blocks:
            spans.append((nonblank[blocks[0].b], nonblank[blocks[-1].b + blocks[-1].size - 1]))
    return spans


def _cut_mid_line(original: str, merged: str, snippet: str) -> Failure | None:
    """A streamed reply that stopped in the middle of a line."""
    if not merged or merged.endswith("\n") or not original.endswith("\n"):
        return None
    last = merged.rsplit("\n", 1)[-1]
    whole = set(original.split("\n")) | set(snippet.split("\n"))
    if not last.strip() or last in whole:
        return None
    for line in (*original.split("\n"), *snippet.split("\n")):
        if len(line) > len(last) and line.startswith(last):
            n = merged.count("\n") + 1
            return Failure("truncation", f"the result ends in the middle of line {n} "
                                         f"(`{last.strip()[:60]}`): the reply was cut short")
    return None


# --- syntax ----------------------------------------------------------------------------

_PROSE = frozenset({"", "md", "markdown", "txt", "text", "rst", "adoc", "csv", "tsv", "log"})
# "extensions: package[:function]" -> {extension: (package, function returning the grammar)}
_TS_SPEC = """js jsx mjs cjs: javascript | ts: typescript:language_typescript |
tsx: typescript:language_tsx | go: go | rs: rust | java: java | c h: c | cpp cc hpp: cpp |
rb: ruby | cs: c_sharp | sh bash: bash | php: php:language_php | css: css | html: html | lua: lua"""
_TREE_SITTER = {
    ext: (f"tree_sitter_{pkg}", fn or "language")
    for part in _TS_SPEC.split("|")
    for exts, _, rest in [part.partition(":")]
    for pkg, _, fn in [rest.strip().partition(":")]
    for ext in exts.split()
}
_NAMES = {"py": "Python", "pyi": "Python", "pyw": "Python", "json": "JSON", "toml": "TOML",
          "yaml": "YAML", "yml": "YAML"}


def check_syntax(original: str, merged: str, language: str | None,
                 notes: list[str] | None = None) -> Failure | None:
    """If the original parses, the result must too; unknown parsers add a note."""
    notes = notes if notes is not None else []
    ext = (language or "").lower().lstrip(".")
    parse = _PARSERS.get(ext)
    if parse is None:
        if ext in _TREE_SITTER:
            parse = _tree_sitter_parser(ext, notes)
        elif ext not in _PROSE:
            notes.append(f"syntax check skipped for .{ext} (no parser known)")
        if parse is None:
            return None
    try:
        error = parse(merged)  # the result first: the original is parsed only on an error
        if error is None or parse(original) is not None:
            return None  # fine, or the original does not parse either: nothing to protect
    except _Skip as skip:
        notes.append(str(skip))
        return None
    name = _NAMES.get(ext, ext.upper() if len(ext) <= 3 else ext.capitalize())
    return Failure("syntax", f"the result does not parse as {name} ({error}) "
                             "although the original does")


class _Skip(Exception):
    """Raised by a parser that cannot run here (its package is missing)."""


def _parse_python(text: str) -> str | None:
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}" if exc.lineno else exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:
        return str(exc) or type(exc).__name__
    return None


def _parse_json(text: str) -> str | None:
    import json

    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except (ValueError, RecursionError) as exc:
        return str(exc)
    return None


def _parse_toml(text: str) -> str | None:
    import tomllib

    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return str(exc)
    return None


def _parse_yaml(text: str) -> str | None:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        raise _Skip("syntax check skipped: PyYAML not installed") from None
    try:
        for _ in yaml.safe_load_all(text):
            pass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return f"line {mark.line + 1}: {problem}" if mark is not None else str(problem)
    return None


_PARSERS = {"py": _parse_python, "pyi": _parse_python, "pyw": _parse_python,
            "json": _parse_json, "toml": _parse_toml, "yaml": _parse_yaml, "yml": _parse_yaml}


def _tree_sitter_parser(ext: str, notes: list[str]) -> Callable[[str], str | None] | None:
    import importlib

    package, function = _TREE_SITTER[ext]
    try:
        tree_sitter = importlib.import_module("tree_sitter")
        grammar = importlib.import_module(package)
        parser = tree_sitter.Parser(tree_sitter.Language(getattr(grammar, function)()))
    except Exception:
        notes.append(f"syntax check skipped for .{ext} (no parser installed)")
        return None

    def parse(text: str) -> str | None:
        root = parser.parse(text.encode("utf-8", "surrogatepass")).root_node
        if not root.has_error:
            return None
        count, first = 0, None
        stack = [root]
        while stack:
            node = stack.pop()
            if node.is_error or node.is_missing:
                count += 1
                if first is None or node.start_point[0] < first:
                    first = node.start_point[0]
            elif node.has_error:
                stack.extend(node.children)
        line = f"line {first + 1}: " if first is not None else ""
        return f"{line}{count} syntax error{'s' if count != 1 else ''}"

    return parse


# --- untouched -------------------------------------------------------------------------

def _lines(data: bytes, encoding: str) -> list[str]:
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        try:
            text = data.decode(encoding, "replace")
        except LookupError:
            text = data.decode("latin-1")
    out: list[str] = []
    start = 0
    for m in _EOL.finditer(text):
        out.append(text[start:m.end()])
        start = m.end()
    if start < len(text):
        out.append(text[start:])
    return out


def _ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "CRLF"
    return {"\n": "LF", "\r": "CR"}.get(line[-1:], "no newline")


def check_untouched(original: bytes, new: bytes, *, encoding: str) -> Failure | None:
    """A line the edit did not touch whose line ending or trailing whitespace changed."""
    try:
        a, b = _lines(original, encoding), _lines(new, encoding)
    except Exception:
        return None
    lo, hi = common_ends(a, b)
    a_mid, b_mid = a[lo:len(a) - hi], b[lo:len(b) - hi]
    matcher = difflib.SequenceMatcher(None, [x.rstrip() for x in a_mid],
                                      [y.rstrip() for y in b_mid])
    bad: list[tuple[int, str]] = []
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            old, now = a_mid[block.a + k], b_mid[block.b + k]
            if old == now:
                continue
            ia, ib = lo + block.a + k, lo + block.b + k
            old_end, new_end = _ending(old), _ending(now)
            if old_end == "no newline" and ia == len(a) - 1 and ib < len(b) - 1:
                if old.rstrip() == now.rstrip("\r\n"):
                    continue  # the old last line merely gained a newline: lines were added
            what = (f"its line ending changed ({old_end} → {new_end})" if old_end != new_end
                    else "its trailing whitespace changed")
            bad.append((ib + 1, what))
    if not bad:
        return None
    n, what = bad[0]
    more = f" ({len(bad) - 1} more such lines)" if len(bad) > 1 else ""
    return Failure("untouched", f"line {n} was not part of the edit but {what}{more}")
