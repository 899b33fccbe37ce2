"""A snippet that opens by rewriting the file's import header (JavaScript/TypeScript, Python).

When the snippet's first lines are import statements that re-import, in changed form, names the
original's imports already bind (`import React, { useState } from 'react'` for the original's
`import React from 'react'` + `import { useState } from 'react'`), "insert these lines" would
bind every such name twice. The snippet's header is then a rewrite of the original's:

- the original's top-level imports must form one block (import statements and blank lines)
  at the head of the file, after nothing but comments, blank lines and directives;
- the snippet's header must bind every name that block binds (nothing is dropped silently);
- then the snippet's header replaces the block, and the rest of the snippet merges as usual.

Otherwise - some rebound names but not all, imports scattered, a statement not understood -
the merge abstains. Imports that rebind nothing are left to the ordinary alignment.
"""

from __future__ import annotations

import re

from relace_cli.merge.text import PYTHONIC, indent_of

JS_LIKE = frozenset("js jsx mjs cjs ts tsx mts cts".split())

_JS_END = re.compile(r"""(?:\bfrom\s*|^import\s*)(["'])([^"']+)\1\s*;?$""")
_JS_IMPORT = re.compile(
    r"""^import\s+(?:type\s+)?(?P<clause>.*?)\s*\bfrom\s*(["'])(?P<mod>[^"']+)\2\s*;?$""")
_JS_BARE = re.compile(r"""^import\s*(["'])(?P<mod>[^"']+)\1\s*;?$""")
_IDENT = r"[A-Za-z_$][\w$]*"
_JS_NAMED = re.compile(rf"^(?:type\s+)?({_IDENT}|default)(?:\s+as\s+({_IDENT}))?$")
_PY_FROM = re.compile(r"^from\s+([.\w]+)\s+import\s+(.+)$")
_PY_IMPORT = re.compile(r"^import\s+(.+)$")
_PY_NAME = re.compile(r"^([\w.]+)(?:\s+as\s+(\w+))?$")
_DIRECTIVE = re.compile(r"""^(["'])use [\w ]+\1;?$""")
_MAX_STATEMENT = 200  # lines

Binding = tuple[str, str, str]  # (module, imported name, local name)


def _starts(key: str, lang: str) -> bool:
    if lang in PYTHONIC:
        return key.startswith(("import ", "from "))
    return key.startswith("import") and (key[6:7] in (" ", "{", "'", '"', "*"))


def _statement_end(keys: list[str], i: int, lang: str) -> int | None:
    """Index of the last line of the import statement opening on line *i*."""
    pythonic = lang in PYTHONIC
    for j in range(i, min(len(keys), i + _MAX_STATEMENT)):
        if pythonic:
            text = " ".join(keys[i:j + 1])
            body = re.sub(r"#.*", "", text).strip()
            if body.endswith("\\") or body.count("(") > body.count(")"):
                continue
            return j
        if _may_end(keys[j]) and _JS_END.search(" ".join(keys[i:j + 1])):
            return j
    return None


def _may_end(key: str) -> bool:
    """False when *key*, the last line of a statement, cannot end it: `_JS_END` needs a quote
    at the end, before an optional `;` and whitespace."""
    tail = key[:-1] if key.endswith(";") else key
    tail = tail.rstrip()
    return not tail or tail[-1] in "\"'"


def _bindings(text: str, lang: str) -> set[Binding] | None:
    """What one import statement (its lines joined) binds; None when not understood."""
    if lang in PYTHONIC:
        text = re.sub(r"#.*", "", text).replace("\\", " ").replace("(", " ").replace(")", " ")
        text = " ".join(text.split()).rstrip(";").strip()
        m = _PY_FROM.match(text)
        if m:
            mod, names = m.group(1), m.group(2)
        else:
            m = _PY_IMPORT.match(text)
            if m is None:
                return None
            mod, names = "", m.group(1)
        out = set()
        for part in names.split(","):
            part = part.strip()
            if not part:
                continue
            if part == "*" and mod:
                out.add((mod, "*", "*"))
                continue
            n = _PY_NAME.match(part)
            if n is None:
                return None
            local = n.group(2) or (n.group(1) if mod else n.group(1).split(".")[0])
            out.add((mod, n.group(1), local) if mod else (n.group(1), "", local))
        return out or None
    text = " ".join(text.split())
    m = _JS_BARE.match(text)
    if m:
        return {(m.group("mod"), "", "")}
    m = _JS_IMPORT.match(text)
    if m is None:
        return None
    mod, clause = m.group("mod"), m.group("clause")
    out = set()
    brace = re.search(r"\{(.*)\}", clause)
    if brace:
        for part in brace.group(1).split(","):
            part = part.strip()
            if not part:
                continue
            n = _JS_NAMED.match(part)
            if n is None:
                return None
            out.add((mod, n.group(1), n.group(2) or n.group(1)))
        clause = (clause[:brace.start()] + clause[brace.end():]).strip()
    for part in clause.split(","):
        part = part.strip()
        if not part:
            continue
        ns = re.match(rf"^\*\s*as\s+({_IDENT})$", part)
        if ns:
            out.add((mod, "*", ns.group(1)))
        elif re.match(rf"^{_IDENT}$", part):
            out.add((mod, "default", part))
        else:
            return None
    return out or None


def _block(keys: list[str], start: int, lang: str):  # type: ignore[no-untyped-def]
    """Import statements from line *start* on, blank lines between them allowed:
    ([(first, last, key)], end) with *end* one past the last statement; None if not parsed."""
    out = []
    i = end = start
    while i < len(keys):
        k = keys[i]
        if not k:
            i += 1
            continue
        if not _starts(k, lang):
            break
        j = _statement_end(keys, i, lang)
        if j is None:
            return None
        out.append((i, j, " ".join(keys[i:j + 1])))
        i = end = j + 1
    return out, end


def _prologue(keys: list[str], lang: str) -> bool:
    """Only comments, blank lines, directives (`'use client'`) or a module docstring?"""
    doc = None  # the closing quotes of an open docstring
    for n, k in enumerate(keys):
        if doc is not None:
            if doc in k:
                doc = None
            continue
        if not k or _DIRECTIVE.match(k):
            continue
        if lang in PYTHONIC:
            if k.startswith("#"):
                continue
            q = k[:3]
            if q in ('"""', "'''") and not any(x for x in keys[:n]):
                doc = None if len(k) >= 6 and k.endswith(q) else q
                continue
            return False
        if not k.startswith(("//", "/*", "*")):
            return False
    return doc is None


def _import_lines(keys: list[str], lines: list[str], lang: str) -> list[int]:
    """Indices of the unindented lines that open an import statement (see `_starts`)."""
    if lang in PYTHONIC:
        cand = [i for i, k in enumerate(keys) if k[:1] in "fi" and k.startswith(_PY_STARTS)]
    else:
        cand = [i for i, k in enumerate(keys) if k[:6] == "import" and k[6:7] in _JS_NEXT]
    return [i for i in cand if not indent_of(lines[i])]


_PY_STARTS = ("import ", "from ")
_JS_NEXT = (" ", "{", "'", '"', "*")


def rewrite_header(olines: list[str], slines: list[str], lang: str,  # type: ignore[no-untyped-def]
                   skeys: list[str] | None = None, okeys: list[str] | None = None):
    """(original lines with its import block replaced by the snippet's, the block's range in
    the snippet) when the snippet rewrites the header; a reason to abstain; or None.
    *skeys* and *okeys* may hold the lines stripped."""
    if lang not in JS_LIKE and lang not in PYTHONIC:
        return None
    first = ""  # the first non-blank line, stripped
    for x in slines if skeys is None else skeys:
        if x and not x.isspace():
            first = x.strip()
            break
    if not _starts(first, lang) and not first.startswith(("#", "//", "/*", '"""', "'''", "'use",
                                                            '"use')):
        return None  # the common case, decided on one line
    if skeys is None:
        skeys = [x.strip() for x in slines]
    s0 = None  # the snippet's first import line
    if lang in PYTHONIC:
        for i, k in enumerate(skeys):
            if k[:1] in "fi" and k.startswith(_PY_STARTS):
                s0 = i
                break
    else:
        for i, k in enumerate(skeys):
            if k[:6] == "import" and k[6:7] in _JS_NEXT:
                s0 = i
                break
    if s0 is None or indent_of(slines[s0]) or not _prologue(skeys[:s0], lang):
        return None
    got = _block(skeys, s0, lang)
    if got is None or not got[0]:
        return None
    s_stmts, s_end = got
    if okeys is None:
        okeys = [x.strip() for x in olines]
    o_all = _import_lines(okeys, olines, lang)
    if not o_all:
        return None
    o_texts = set()
    o_stmts = []
    for i in o_all:
        j = _statement_end(okeys, i, lang)
        text = " ".join(okeys[i:j + 1]) if j is not None else okeys[i]
        o_texts.add(" ".join(text.split()))
        o_stmts.append((text, j))
    changed = [t for _, _, t in s_stmts if " ".join(t.split()) not in o_texts]
    if not changed:
        return None  # every statement is the original's: the alignment anchors on them
    o_binds: set[Binding] = set()
    o_ok = True
    for text, j in o_stmts:
        b = _bindings(text, lang) if j is not None else None
        if b is None:
            o_ok = False
        else:
            o_binds |= b
    c_binds: set[Binding] = set()
    for t in changed:
        b = _bindings(t, lang)
        if b is None:
            return None if o_ok and not o_binds else "an import statement of the snippet " \
                "is not understood; not merged"
        c_binds |= b
    if not {x[2] for x in c_binds if x[2]} & {x[2] for x in o_binds if x[2]}:
        return None  # no name bound twice: the ordinary rules place (or refuse) them
    reason = "the snippet rewrites the import block only in part; not merged"
    if not o_ok:
        return reason
    s_binds: set[Binding] = set()
    for _, _, t in s_stmts:
        b = _bindings(t, lang)
        if b is None:
            return reason
        s_binds |= b
    if not o_binds <= s_binds:
        return reason
    o0 = o_all[0]
    if not _prologue(okeys[:o0], lang):
        return reason
    block = _block(okeys, o0, lang)
    if block is None:
        return reason
    stmts, o_end = block
    if len(stmts) != len(o_all):
        return reason  # imports after other code
    new = olines[:o0] + slines[s0:s_end] + olines[o_end:]
    return new, (s0, s_end)
