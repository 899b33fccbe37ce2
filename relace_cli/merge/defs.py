"""Definition anchors: a rewritten definition between markers, found by its name.

A chunk of a marker snippet (the lines between two markers) that no line anchors, and that is
exactly one definition - its first line a header (`def f(`, `function f(`, `func (r *T) f(`,
`fn f(`, a method `f(...) {`, `class T`) and its block complete before the next marker - is
placed on the original's definition of the same kind and name, which it replaces whole. The
name must pick exactly one definition in the range the surrounding anchors allow (inside the
enclosing definition when the snippet shows it), at the header's own indentation; otherwise
the merge abstains. In languages with overloading the parameter types must also agree: a new
signature there may well be an added overload rather than a replacement.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from relace_cli.merge.align import Aligner
from relace_cli.merge.text import CODE, HARD, PYTHONIC, indent_of

_MODS = (r"(?:(?:export|default|pub(?:\([\w:]+\))?|public|private|protected|internal|static|"
         r"async|abstract|final|override|virtual|unsafe|const|extern|open|suspend|inline|"
         r"synchronized|readonly|get|set)\s+)*")
_NOT_NAMES = frozenset(
    "if for while switch catch function return with else elif do new await yield throw "
    "typeof delete sizeof until unless match loop foreach using lock".split()
)
# (kind, pattern, a text the line must hold to match it, or "")
_PATTERNS = [
    ("fn", re.compile(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\("), ""),
    ("type", re.compile(r"^class\s+([A-Za-z_]\w*)\b"), ""),
    ("fn", re.compile(rf"^{_MODS}function\*?\s+([A-Za-z_$][\w$.:]*)\s*[<(]"),  # (Lua `M:f(`)
     "function"),
    ("fn", re.compile(r"^def\s+(?:self\.)?([A-Za-z_]\w*[?!]?)\s*(?:\(|$|do\b)"),  # Ruby, Elixir
     ""),
    ("fn", re.compile(r"^func\s+(?:\(\s*\w*\s*\*?\s*([\w.]+)(?:\[[^\]]*\])?\s*\)\s*)?"
                      r"([A-Za-z_]\w*)\s*[\[(]"), ""),
    ("fn", re.compile(rf"^{_MODS}(?:fn|fun)\s+(?:<[^>]*>\s*)?([A-Za-z_]\w*)\s*[<(]"), ""),
    ("type", re.compile(rf"^{_MODS}(?:class|struct|enum|trait|interface|impl)\s+"
                        r"(?:<[^>]*>\s*)?([A-Za-z_$][\w$]*)"), ""),
    ("type", re.compile(r"^type\s+([A-Za-z_]\w*)\s+(?:struct|interface)\b"), ""),
    ("fn", re.compile(rf"^{_MODS}(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*"
                      r"(?:async\s+)?(?:function\b|\([^()]*\)\s*(?::[^=]+)?=>|[\w$]+\s*=>)"), "="),
    # a method: `name(...) {`, `Type name(...) {`, `public <T> List<T> name(...) throws X {`
    ("fn", re.compile(rf"^{_MODS}(?:<[^<>]*>\s+)?(?:[\w$.\[\]<>?,]+\s+)*?\*?"
                      r"([A-Za-z_$][\w$]*)\s*(?:<[^<>()]*>)?\s*\(.*\)\s*"
                      r"(?::\s*[^{;=]+|throws\s+[\w., ]+)?\s*\{$"), "{"),
]
_KEYWORD = re.compile(r"\b(?:class|struct|enum|trait|interface|impl|type|def)\b").search
OVERLOADING = frozenset("java cs cpp cc cxx hpp hh hxx h kt kts scala swift dart groovy".split())
_COLON_TYPES = frozenset("kt kts scala swift".split())


def definition(key: str, lang: str) -> tuple[str, str] | None:
    """(kind, name) when *key* (a stripped line) opens a definition; Go methods are `T.name`."""
    if lang in PYTHONIC and not key.endswith(":"):
        return None
    if "(" not in key and _KEYWORD(key) is None:
        return None  # (every pattern needs a parenthesis or one of these words)
    for kind, pat, needs in _PATTERNS:
        if needs and needs not in key:
            continue  # (a cheap pre-test for the costlier patterns)
        m = pat.match(key)
        if m is None:
            continue
        if m.lastindex == 2:  # Go: receiver type and name
            recv, name = m.group(1), m.group(2)
            name = f"{recv}.{name}" if recv else name
        else:
            name = m.group(1)
        if name in _NOT_NAMES:
            return None
        accessor = _ACCESSOR.match(key)
        if accessor:  # `get x()` and `set x(v)` are two definitions of one name
            kind = accessor.group(1)
        return kind, name
    return None


_ACCESSOR = re.compile(r"^(?:(?:public|private|protected|static|override)\s+)*(get|set)\s+\w")


def _param_types(key: str, lang: str) -> list[str] | None:
    """Parameter types of a one-line signature, for languages with overloading."""
    open_ = key.find("(")
    close = key.rfind(")")
    if open_ < 0 or close < open_:
        return None
    inner = key[open_ + 1:close]
    parts, depth, cur = [], 0, ""
    for c in inner:
        if c in "<([{":
            depth += 1
        elif c in ">)]}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    if cur.strip():
        parts.append(cur)
    types = []
    for p in parts:
        p = re.sub(r"@\w+(?:\([^)]*\))?", "", p.split("=")[0]).replace("final ", "").strip()
        if lang in _COLON_TYPES:
            p = p.split(":", 1)[1] if ":" in p else p
        else:
            p = re.sub(r"[\w$]+\s*(?:\[\s*\])*$", "", p) if " " in p or "*" in p or "&" in p \
                else p
        types.append("".join(p.split()))
    return types


def anchor_definitions(al: Aligner, lang: str) -> str | None:
    """Anchor one-definition chunks whose header matches nothing; a reason to abstain, or None."""
    s, o = al.s, al.o
    bounds = [i for i, kind in enumerate(s.kinds) if kind == HARD]
    defs_o: dict[tuple[str, str], list[int]] | None = None
    for c0, c1 in zip(bounds, bounds[1:], strict=False):  # chunks with a marker on each side
        code = [i for i in range(c0 + 1, c1) if s.keys[i]]
        if not code or code[0] in al.match:
            continue
        h = code[0]
        got = definition(s.keys[h], lang)
        if got is None:
            continue
        se = al.sb.end(h)
        if se is None or se[0] != code[-1] or any(s.kinds[i] != CODE for i in code):
            continue
        s_end, s_explicit = se
        pts = al.points()
        inner = [p for p in pts[bisect_right(pts, (c0, len(o.keys) + 1)):] if p[0] < c1]
        if any(not h <= a <= s_end + 1 for a, _ in inner):
            continue  # anchored elsewhere: the ordinary alignment decides
        if defs_o is None:
            defs_o = {}
            for j, k in enumerate(o.keys):
                if k:
                    d = definition(k, lang)
                    if d is not None:
                        defs_o.setdefault(d, []).append(j)
        lo, hi = _allowed(al, c0, c1, h, s_end)
        where = [j for j in defs_o.get(got, []) if lo <= j < hi]
        name = got[1]
        if not where:
            continue
        if len(where) > 1:
            return f"definition `{name}` appears {len(where)} times where the snippet puts it"
        j = where[0]
        oe = al.ob.end(j)
        if indent_of(o.lines[j]) != indent_of(s.lines[h]) or oe is None \
                or oe[1] != s_explicit or oe[0] >= hi:
            return f"definition `{name}` does not line up with the original's one"
        o_end = oe[0]
        if lang in OVERLOADING:
            mine, theirs = _param_types(s.keys[h], lang), _param_types(o.keys[j], lang)
            if mine is None or mine != theirs:
                return f"`{name}` with a new signature may be an added overload; not merged"
        if any(not j <= b <= o_end + 1 for _, b in inner) or not (
                al.add_cut(h, j) and al.add_cut(s_end + 1, o_end + 1)):
            return f"definition `{name}` does not line up with the snippet's anchors"
        al.def_anchors[h] = j
    return None


def _allowed(al: Aligner, c0: int, c1: int, h: int, s_end: int) -> tuple[int, int]:
    """Original range [lo, hi) the chunk may map to: between the chain links around it, and
    inside the block of a matched snippet line that encloses it."""
    lo, hi = 0, len(al.o.keys)
    for a, b in al.points():
        if a <= c0:
            lo = b
        elif a >= c1:
            hi = b
            break
    for m in sorted((x for x in al.match if x < h), reverse=True):
        se = al.sb.end(m)
        if se is not None and se[0] >= s_end:
            oe = al.ob.end(al.match[m])
            if oe is not None:
                lo, hi = max(lo, al.match[m] + 1), min(hi, oe[0] + 1)
            break
    return lo, hi
