"""A snippet that only sets values: `TIMEOUT = 60`, `#define MAX 128`, `ARG PY=3.12`,
`replicas: 3` (YAML), `"version": "1.0.1",` (JSON), `--primary: #25e;` (a style-sheet
variable), `PYTHON ?= python3.12` (Make), each line setting a name that one line of the
original sets to another value. No line of such a snippet is in the original, so the names
anchor it:

- the snippet has no marker, and every line of it sets a name (a marker around a lone
  changed line leaves open whether it edits a line or adds one among the elided ones);
  or markers around it (and nothing else) and every line a declaration its scope cannot
  repeat: a JS/TS `const` or `let`, a JSON key; each at its original line's own column;
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

from relace_cli.merge.text import CODE, HARD, STYLES, Doc, indent_of

_DEFINE = re.compile(r"#\s*define\s+(\w+)\s+\S")
_DOCKER = re.compile(r"(ARG|ENV)\s+(\w+)\s*=\s*\S", re.I)
# `[modifiers] name [: type] = value` (not `==`, `=>`, `<=`, ...); `:=` too (Go)
_ASSIGN = re.compile(r"((?:[A-Za-z_$][\w$]*\s+)*[A-Za-z_$][\w$.]*(?:\s*:\s*[^=:]+?)?)"
                     r"\s*(?::=|=(?![=>~]))\s*\S")
_YAML_KEY = re.compile(r"([\w.\-]+)\s*:\s+[^\s#]")
_JSON_KEY = re.compile(r'("(?:[^"\\]|\\.)*")\s*:\s*\S')
_JSON_KEYS = re.compile(r'("(?:[^"\\]|\\.)*")\s*:')
_STYLE_VAR = re.compile(r"(--[\w-]+|\$[\w-]+|@[\w-]+)\s*:\s*[^\s;]")  # `--x:`, `$x:`, `@x:`
_STYLE_VARS = re.compile(r"(--[\w-]+|\$[\w-]+|@[\w-]+)\s*:")
_MAKE_ANY = re.compile(r"^(?:[\w./%$() -]+:\s*)?(?:(?:export|override)\s+)*([A-Za-z_][\w.]*)"
                       r"\s*(?:[?:!+]|::)?=")
_DOCKER_ANY = re.compile(r"^(?:ARG|ENV)\s+(\w+)", re.I)
_MAKE_VAR = re.compile(r"([A-Za-z_][\w.]*)\s*(?:\?|::?|!)?=\s*\S")  # (not `+=`: it adds)
_JSON = frozenset("json jsonc json5".split())
_JS = frozenset("js jsx mjs cjs ts tsx mts cts".split())
_MAKE = frozenset("mk make makefile".split())
# a second one in the same scope is an error (or a JSON object's duplicate key), so between
# markers such a line can only edit the one the original has
_ONCE = re.compile(r"(?:export\s+)?(?:const|let)\s+[A-Za-z_$][\w$]*\s*(?::[^=]+)?$")
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
    if lang in _JSON:  # `"version": "1.0.1",` (a value that ends on this line)
        m = _JSON_KEY.match(key)
        return m.group(1) + ":" if m and _balanced(key) else None
    if lang in STYLES:  # a variable (`--primary: #25e;`), not a property set by many rules
        m = _STYLE_VAR.match(key)
        return m.group(1) + ":" if m and _balanced(key) and key.endswith(";") else None
    if lang in _MAKE:
        m = _MAKE_VAR.match(key)
        return m.group(1) if m else None
    m = _ASSIGN.match(key)
    if m is None or not _balanced(key) or key.endswith(","):
        return None  # (`timeout=30,`: an argument or a parameter's default)
    lhs = " ".join(m.group(1).split())
    if lhs.split()[0] in _NOT_FIRST:
        return None
    return lhs


def _names(key: str, lang: str) -> list[str]:
    """The bare names any setting-like line sets, arguments and list items included
    (`export let limit = 5`, `limit = n;`, `limit=3,`, `- limit: 3`): for counting. A JSON
    or style line may hold several (`[{ "path": "./a" }]`, `.dark { --primary: #000; }`)."""
    if lang == "yaml":
        m = _YAML_KEY.match(key[2:] if key.startswith("- ") else key)
        return [m.group(1)] if m else []
    if lang in _JSON:  # (any value: `"test": {` opens an object)
        return _JSON_KEYS.findall(key)
    if lang in STYLES:
        return _STYLE_VARS.findall(key)
    if lang in _MAKE:  # (`debug: CFLAGS = -O0`, `export GOFLAGS ?= x`, `override X += y`)
        return _MAKE_ANY.findall(key)
    if lang == "dockerfile":  # (`ENV NODE_ENV production`: the old form, with a space)
        return _DOCKER_ANY.findall(key)
    got = setting(key.rstrip(","), lang)
    if got is None:
        return []
    return [got.split(":", 1)[0].split()[-1]]


def _balanced(key: str) -> bool:
    """The value ends on this line (a rough bracket count)."""
    return sum(key.count(c) for c in "([{") == sum(key.count(c) for c in ")]}")


def keyed_edit(snip: Doc, orig: Doc, lang: str) -> list[str] | None:
    """The merged lines, or None when the snippet is not such an edit."""
    code = [i for i, k in enumerate(snip.keys) if k and snip.kinds[i] == CODE]
    if not code or len(code) > 6 or lang in _SECTIONED:
        return None
    names = [setting(snip.keys[i], lang) for i in code]
    if None in names or len(set(names)) != len(names):
        return None
    marked = HARD in snip.kinds
    if marked and not _between_markers(snip, code, names, lang):
        return None  # (`# ...` / `X = 2` / `# ...`: an edit, or a new line among the rest?)
    wanted = set(names)
    where: dict[str | None, list[int]] = {}
    for j, k in enumerate(orig.keys):
        if k:
            got = setting(k, lang)
            if got in wanted:
                where.setdefault(got, []).append(j)
    if any(len(where.get(n, ())) != 1 for n in names):
        return None
    bare = {n for i in code for n in _names(snip.keys[i], lang)}
    seen: dict[str, int] = {}
    for k in orig.keys:
        if k:
            for got in _names(k, lang):
                if got in bare:
                    seen[got] = seen.get(got, 0) + 1
    if any(seen.get(n, 0) != 1 for n in bare):
        return None  # the name is set elsewhere too (`limit = n;` in a setter): which one?
    at = [where[n][0] for n in names]
    if any(_continues(orig, j) for j in at):
        return None  # (`const rows = await db` / `  .select("*")`: the value goes on below)
    for a, b in zip(at, at[1:], strict=False):
        if b <= a or any(orig.keys[a + 1:b]):
            return None
    s0, o0 = indent_of(snip.lines[code[0]]), indent_of(orig.lines[at[0]])
    for i, j in zip(code, at, strict=True):
        if indent_of(snip.lines[i]) - s0 != indent_of(orig.lines[j]) - o0:
            return None
    if marked and any(indent_of(snip.lines[i]) != indent_of(orig.lines[j])
                      for i, j in zip(code, at, strict=True)):
        return None  # at another depth: maybe a new line in another scope or object
    out = list(orig.lines)
    for i, j in zip(code, at, strict=True):
        line, key = orig.lines[j], snip.keys[i]
        if lang in _JSON:  # the comma goes with the key's place in its object
            key = key.rstrip(",").rstrip() + ("," if orig.keys[j].endswith(",") else "")
        out[j] = line[:len(line) - len(line.lstrip())] + key
    return out


def _between_markers(snip: Doc, code: list[int], names: list[str | None], lang: str) -> bool:
    """Markers right above and below the lines, nothing else, and each line a declaration
    that its scope cannot hold twice."""
    kinds = [snip.kinds[i] for i, k in enumerate(snip.keys) if k]
    if kinds[0] != HARD or kinds[-1] != HARD or HARD in kinds[1:-1] \
            or len(kinds) != len(code) + 2:
        return False
    if lang in _JSON:
        return True
    return lang in _JS and all(n is not None and _ONCE.match(n) for n in names) \
        and all(snip.keys[i].endswith(";") for i in code)  # (a statement that ends there)


def _continues(orig: Doc, j: int) -> bool:
    """The original's line j goes on below: it ends with an operator, or the next line
    starts with one (`.select(...)`, `? a : b`), unless it ends with `;` or `,`."""
    key = orig.keys[j]
    if key.count("`") % 2 or key.count('"""') % 2 or key.count("'''") % 2 \
            or _HEREDOC.search(key) or _OPEN_STRING.search(key):
        return True  # (a string or heredoc that goes on below: `SQL = """`, `<<~SQL`)
    nxt = next((i for i in range(j + 1, len(orig.keys)) if orig.keys[i]), None)
    if nxt is not None and orig.indents()[nxt] > orig.indents()[j] and orig.kinds[nxt] == CODE:
        return True  # (a deeper line below: the value, or the statement, goes on)
    if key.endswith((";", ",")):
        return False
    if key.endswith(_OPERATORS) or key.endswith("\\"):
        return True
    after = next((k for k in orig.keys[j + 1:] if k), "")
    return after.startswith(_OPERATORS) \
        and not after.startswith(("//", "/*", "<!--", "--", "- ", "</"))  # (comments, items,
    # a closing tag: `</script>`)


_OPERATORS = tuple(".?:+-*/%&|=<>")
# a string still open at the line's end (`HELP="usage:`, `@"SELECT`, `r#"CREATE`)
_OPEN_STRING = re.compile(r'^[^"]*"(?:[^"\\]|\\.)*(?:"(?:[^"\\]|\\.)*"(?:[^"\\]|\\.)*)*$|r#+"')
_HEREDOC = re.compile(r"<<[-~]?\s*['\"]?[A-Z_]+")
