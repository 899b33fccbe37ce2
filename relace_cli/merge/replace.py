"""A new line facing an original one where keeping both could not be meant: the new line
replaces the old one.

The aligner asks this of a snippet line written right next to a matched line, where the
original has another line in that place (`version: 2` / `version: 1`). Most such pairs may
be an edit or a new sibling (`LOG.warn(..)` next to `LOG.info(..)`), and the merge abstains.
These may not: both lines declare the same name where a second declaration is an error or
a conflict (a macro, a column, a field, a `const`), pin the same package or action at two
versions, set the same environment variable, or derive or match the same thing twice.
"""

from __future__ import annotations

import re

from relace_cli.merge.text import HARD, Doc, indent_of

# `#define NAME value`: a second definition of the macro is a redefinition
_DEFINE = re.compile(r"#\s*define\s+(\w+)\b")
# `--primary: #2563eb;`: a CSS custom property (plain properties are `slot_key`'s)
_CSS_VAR = re.compile(r"(--[\w-]+)\s*:")
# `#[derive(Debug, Clone)]`: one item's derive list
_DERIVE = re.compile(r"#\[derive\(([^()]*)\)\]")
# `const [step, setStep] = ...`, `let { a, b } = ...`: a destructuring declaration
_DESTRUCTURE = re.compile(r"(?:export\s+)?(?:const|let)\s+([\[{][^=]*[\]}])\s*(?::[^=]+)?=[^=>]")
# `res, err := ...` (Go): the same names declared again is "no new variables"
_GO_DECLARE = re.compile(r"([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+)\s*:=")
# `size_t cap = 1;`, `final int port = 80;`: a typed declaration (C family)
_TYPED = re.compile(r"((?:(?:const|static|final|unsigned|signed|long|short)\s+)*"
                    r"[A-Za-z_][\w:<>,]*\**)\s+\**([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*=[^=]")
_NOT_TYPES = frozenset(
    "return yield throw raise await delete new typeof case goto not and or in is else echo "
    "print puts let var const local export my our def if elif while for do set".split())
# `id SERIAL PRIMARY KEY,` (SQL column), `pub id: u64,` (Rust field): a name declared once
_COLUMN = re.compile(r"([a-z_][\w]*)\s+[A-Z][A-Z0-9_]*\b")
_FIELD = re.compile(r"pub(?:\([\w:]+\))?\s+([a-z_]\w*)\s*:\s*[^:=\s]")
# `requests==2.28.1`, `"django==4.2.7",`: one package pinned
_PIN = re.compile(r"""["']?([A-Za-z][\w.\-]*(?:\[[\w,\-]+\])?)\s*(?:==|~=|>=)\s*"""
                  r"""\d[\w.\-*]*["']?,?""")
# `- uses: actions/checkout@v4`: one action at a version
_USES = re.compile(r"-\s+uses:\s+([\w.\-]+/[\w.\-/]+)@\S+")
# `- DEBUG=1` (compose), `ENV NODE_ENV=production`: one environment variable
_ENV = re.compile(r"""(?:-\s+["']?|ENV\s+|ARG\s+)([A-Za-z_][A-Za-z0-9_]*)=\S*["']?""")
# `case KindA:` / `case KindA, KindD:`: one label twice in a switch does not compile
_CASE = re.compile(r"case\s+([^:]+):")
_LABEL = re.compile(r"[\w.]+|\"[^\"]*\"|'[^']*'")


def replaces(new: str, old: str) -> bool:
    """Does *new*, written in the place of *old*, replace it (keys: stripped lines)?"""
    if new == old or not new or not old:
        return False
    for pat in (_DEFINE, _CSS_VAR, _FIELD, _USES):
        m, n = pat.match(new), pat.match(old)
        if m and n:
            return m.group(1) == n.group(1)
    for pat in (_PIN, _ENV):
        m, n = pat.fullmatch(new), pat.fullmatch(old)
        if m and n:
            return m.group(1).lower() == n.group(1).lower()
    m, n = _DERIVE.fullmatch(new), _DERIVE.fullmatch(old)
    if m and n:  # (deriving one trait twice is a conflict)
        return bool(_names(m.group(1)) & _names(n.group(1)))
    m, n = _CASE.fullmatch(new), _CASE.fullmatch(old)
    if m and n:  # (plain labels only: `case Click(x, y, b="r"):` is a pattern, not a label)
        a, b = _names(m.group(1)), _names(n.group(1))
        return all(map(_LABEL.fullmatch, a | b)) and bool(a & b)
    m, n = _DESTRUCTURE.match(new), _DESTRUCTURE.match(old)
    if m and n:
        return _names(m.group(1).strip("[]{}")) == _names(n.group(1).strip("[]{}"))
    m, n = _GO_DECLARE.match(new), _GO_DECLARE.match(old)
    if m and n:
        return _names(m.group(1)) == _names(n.group(1))
    m, n = _TYPED.match(new), _TYPED.match(old)
    if m and n and m.group(1).split()[-1] not in _NOT_TYPES:
        return m.group(1, 2) == n.group(1, 2)
    m, n = _COLUMN.match(new), _COLUMN.match(old)
    if m and n and new.endswith(",") == old.endswith(",") and m.group(1) not in _NOT_TYPES:
        return m.group(1) == n.group(1)
    return False


def _next_key(doc: Doc, i: int) -> str:
    return next((k for k in doc.keys[i + 1:] if k), "")


def _names(text: str) -> set[str]:
    return {x.strip() for x in text.split(",") if x.strip()}


def replaces_at(snip: Doc, orig: Doc, s: int, o: int, data: bool) -> bool:
    """`replaces` for snippet line *s* facing original line *o*, unless a shallower marker
    follows *s* where the original's indented block (no bracket closes it; no data file,
    where a mapping is shown in part) goes on after *o*: whether the rest of that block is
    elided or deleted is not said (the structure checks count only matched lines)."""
    if not replaces(snip.keys[s], orig.keys[o]):
        return False
    if _DERIVE.fullmatch(snip.keys[s]):  # (a new item's derive list beside the next item's
        nxt = next((j for j in range(s + 1, len(snip.keys)) if snip.keys[j]), None)
        if nxt is None or (snip.kinds[nxt] != HARD  # derives its own; over a marker it is
                           and snip.keys[nxt] != _next_key(orig, o)):  # the elided item's)
            return False
    nxt = next((j for j in range(s + 1, len(snip.keys)) if snip.keys[j]), None)
    if data or nxt is None or snip.kinds[nxt] != HARD \
            or indent_of(snip.lines[nxt]) >= indent_of(snip.lines[s]):
        return True
    ind = indent_of(orig.lines[o])
    after = next((j for j in range(o + 1, len(orig.keys)) if orig.keys[j]), None)
    if after is None or indent_of(orig.lines[after]) < ind:
        return True
    head = next((j for j in range(o - 1, -1, -1)
                 if orig.keys[j] and indent_of(orig.lines[j]) < ind), None)
    return head is not None and orig.keys[head][-1:] in "{(["  # (a bracket ends the block)
