"""A snippet that only sets values: `TIMEOUT = 60`, `#define MAX 128`, `ARG PY=3.12`,
`replicas: 3` (YAML), each line setting a name that one line of the original sets to another
value. No line of such a snippet is in the original, so the names anchor it:

- the snippet has no marker, and every line of it sets a name (a marker around a lone
  changed line leaves open whether it edits a line or adds one among the elided ones);
- each name is set by exactly one line of the original, with the same left-hand side
  (`const PAGE_SIZE`, `TIMEOUT: int`), and no other line sets that bare name in any form
  (`limit = n;` in a setter, a shadowing local, `limit=3,` as an argument, `- limit:`);
- those original lines follow each other (blank lines aside) in the snippet's order, at the
  snippet's relative indentation.

The original's lines are replaced in place, keeping their indentation. Anything else is left
to abstention ("no line of the snippet matches the original").
"""

from __future__ import annotations

import re

from relace_cli.merge.text import CODE, HARD, Doc, indent_of

_DEFINE = re.compile(r"#\s*define\s+(\w+)\s+\S")
_DOCKER = re.compile(r"(ARG|ENV)\s+(\w+)\s*=\s*\S", re.I)
# `[modifiers] name [: type] = value` (not `==`, `=>`, `<=`, ...); `:=` too (Go)
_ASSIGN = re.compile(r"((?:[A-Za-z_$][\w$]*\s+)*[A-Za-z_$][\w$.]*(?:\s*:\s*[^=:]+?)?)"
                     r"\s*(?::=|=(?![=>~]))\s*\S")
_YAML_KEY = re.compile(r"([\w.\-]+)\s*:\s+[^\s#]")
_SECTIONED = frozenset("toml ini cfg conf properties".split())  # which section? not said
_NOT_FIRST = frozenset("if elif while for return else case when until unless and or not".split())


def setting(key: str, lang: str) -> str | None:
    """The name a line sets (with its declaration words and type), or None."""
    m = _DEFINE.fullmatch(key) or _DEFINE.match(key)
    if m:
        return "#define " + m.group(1)
    if lang == "dockerfile":
        m = _DOCKER.match(key)
        return f"{m.group(1).upper()} {m.group(2)}" if m else None
    if lang == "yaml":
        m = _YAML_KEY.match(key)
        return m.group(1) + ":" if m and not key.endswith((":", "|", ">")) else None
    m = _ASSIGN.match(key)
    if m is None or not _balanced(key) or key.endswith(","):
        return None  # (`timeout=30,`: an argument or a parameter's default)
    lhs = " ".join(m.group(1).split())
    if lhs.split()[0] in _NOT_FIRST:
        return None
    return lhs


def _name(key: str, lang: str) -> str | None:
    """The bare name any setting-like line sets, arguments and list items included
    (`export let limit = 5`, `limit = n;`, `limit=3,`, `- limit: 3`): for counting."""
    if lang == "yaml":
        m = _YAML_KEY.match(key[2:] if key.startswith("- ") else key)
        return m.group(1) if m else None
    got = setting(key.rstrip(","), lang)
    if got is None:
        return None
    return got.split(":", 1)[0].split()[-1]


def _balanced(key: str) -> bool:
    """The value ends on this line (a rough bracket count)."""
    return sum(key.count(c) for c in "([{") == sum(key.count(c) for c in ")]}")


def keyed_edit(snip: Doc, orig: Doc, lang: str) -> list[str] | None:
    """The merged lines, or None when the snippet is not such an edit."""
    if HARD in snip.kinds:
        return None  # (`# ...` / `X = 2` / `# ...`: an edit, or a new line among the rest?)
    code = [i for i, k in enumerate(snip.keys) if k and snip.kinds[i] == CODE]
    if not code or len(code) > 6 or lang in _SECTIONED:
        return None
    names = [setting(snip.keys[i], lang) for i in code]
    if None in names or len(set(names)) != len(names):
        return None
    wanted = set(names)
    where: dict[str | None, list[int]] = {}
    for j, k in enumerate(orig.keys):
        if k:
            got = setting(k, lang)
            if got in wanted:
                where.setdefault(got, []).append(j)
    if any(len(where.get(n, ())) != 1 for n in names):
        return None
    bare = {_name(snip.keys[i], lang) for i in code}
    seen: dict[str | None, int] = {}
    for k in orig.keys:
        if k:
            got = _name(k, lang)
            if got in bare:
                seen[got] = seen.get(got, 0) + 1
    if any(seen.get(n, 0) != 1 for n in bare):
        return None  # the name is set elsewhere too (`limit = n;` in a setter): which one?
    at = [where[n][0] for n in names]
    for a, b in zip(at, at[1:], strict=False):
        if b <= a or any(orig.keys[a + 1:b]):
            return None
    s0, o0 = indent_of(snip.lines[code[0]]), indent_of(orig.lines[at[0]])
    for i, j in zip(code, at, strict=True):
        if indent_of(snip.lines[i]) - s0 != indent_of(orig.lines[j]) - o0:
            return None
    out = list(orig.lines)
    for i, j in zip(code, at, strict=True):
        line = orig.lines[j]
        out[j] = line[:len(line) - len(line.lstrip())] + snip.keys[i]
    return out
