"""Find the code blocks of an LLM answer that say which file they belong to.

A block counts when its path is on the fence line (```python src/x.py, ```x.py,
```py title="x.py", ```path=x.py, ```python:x.py) or on a label line just before the
fence (`x.py`, **x.py**, ### x.py, File: x.py, // x.py; one blank line may separate
them). Fences follow CommonMark: ``` or ~~~, at least three, closed by the same
character at least as long, so a longer fence can hold shorter ones. Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_ATTR = re.compile(
    r"""\b(?:title|file|filename|filepath|path)\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s"'{}]+))""",
    re.IGNORECASE,
)
# A token that can only be a path: a directory part or a file extension with a letter.
_PATH_CHARS = re.compile(r"^[\w.+@~\-/\\]+$")
_EXTENSION = re.compile(r"\.[\w-]*[A-Za-z][\w-]*$")
_LABEL_PREFIX = re.compile(
    r"^(?:file|filename|file name|file path|filepath|path)\s*:\s*", re.IGNORECASE
)
_LINE_DECORATION = re.compile(r"^(?:#{1,6}\s+|//+\s*|--\s+|[-+*]\s+|\d+[.)]\s+)")


@dataclass(frozen=True)
class Block:
    path: str
    code: str  # the block's text, ending in "\n" unless empty
    line: int  # 1-based line of the opening fence


@dataclass
class Parsed:
    blocks: list[Block] = field(default_factory=list)
    unlabelled: list[int] = field(default_factory=list)  # fence lines of ignored blocks
    unclosed: int | None = None  # fence line of a block the answer never closed


def parse_blocks(text: str) -> list[Block]:
    """The path-labelled code blocks of *text*, in order."""
    return parse(text).blocks


def parse(text: str) -> Parsed:
    """Blocks, plus where the ignored (unlabelled or unclosed) ones start, for notes."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    parsed = Parsed()
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        end = _closing(lines, i + 1, m["fence"])
        if end is None:
            parsed.unclosed = i + 1
            break
        body = [_dedent(line, len(m["indent"])) for line in lines[i + 1 : end]]
        code = "\n".join(body) + "\n" if body else ""
        path = path_from_info(m["info"]) or path_from_label(_label_line(lines, i))
        if path:
            parsed.blocks.append(Block(path, code, i + 1))
        else:
            parsed.unlabelled.append(i + 1)
        i = end + 1
    return parsed


def _closing(lines: list[str], start: int, fence: str) -> int | None:
    pattern = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for j in range(start, len(lines)):
        if pattern.match(lines[j]):
            return j
    return None


def _dedent(line: str, indent: int) -> str:
    strip = len(line) - len(line.lstrip(" "))
    return line[min(strip, indent):]


def _label_line(lines: list[str], fence: int) -> str:
    """The line before the fence, or the one before a single blank line."""
    if fence >= 1 and lines[fence - 1].strip():
        return lines[fence - 1]
    if fence >= 2 and not lines[fence - 1].strip() and lines[fence - 2].strip():
        return lines[fence - 2]
    return ""


def looks_like_path(token: str) -> bool:
    """True for `src/x.py`, `x.py`, `.gitignore`; False for `python`, `3.11`, `e.g.`."""
    if not token or "://" in token or token.endswith(("/", "\\")) or not _PATH_CHARS.match(token):
        return False
    if set(token) <= {".", "/", "\\"}:
        return False
    name = re.split(r"[/\\]", token)[-1]
    return "/" in token.rstrip("/") or bool(_EXTENSION.search(name))


def _plausible_name(token: str) -> bool:
    """An explicitly labelled name may lack an extension (Makefile, Dockerfile)."""
    return bool(token) and _PATH_CHARS.match(token) is not None and not token.endswith("/") \
        and any(ch.isalnum() for ch in token)


def path_from_info(info: str) -> str | None:
    """The file path in a fence's info string, if it names one."""
    info = info.strip()
    if not info:
        return None
    m = _ATTR.search(info)
    if m:
        value = next(g for g in m.groups() if g is not None).strip()
        return value if _plausible_name(value) else None
    tokens = info.replace("{", " ").replace("}", " ").split()
    first = tokens[0]
    if ":" in first and not first.endswith(":"):  # ```python:src/x.py (language:path)
        tail = first.rsplit(":", 1)[1]
        if looks_like_path(tail):
            return tail
    if looks_like_path(first):
        return first
    if len(tokens) > 1 and looks_like_path(tokens[1]):
        return tokens[1]
    return None


def path_from_label(line: str) -> str | None:
    """The path a label line names (`x.py`, **x.py**, ### x.py, File: x.py, // x.py)."""
    text = line.strip()
    if not text or len(text) > 300:
        return None
    html = re.fullmatch(r"<!--\s*(.*?)\s*-->", text)
    if html:
        text = html.group(1)
    for _ in range(3):  # decorations nest: "### **File:** `x.py`"
        text = _LINE_DECORATION.sub("", text).strip()
    text = text.replace("**", "").replace("`", "").strip()
    if text.startswith("*") and text.endswith("*"):
        text = text.strip("*").strip()
    text = text.rstrip(":").strip()
    explicit = _LABEL_PREFIX.match(text)
    if explicit:
        text = text[explicit.end():].strip().strip("`*").rstrip(":").strip()
    if not text or any(ch.isspace() for ch in text):
        return None
    if explicit:
        return text if _plausible_name(text) else None
    return text if looks_like_path(text) else None
