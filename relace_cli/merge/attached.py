"""Decorators, attributes and comments attached to a definition (the lines directly above it).

`attached_run` finds, above an anchor line, the contiguous run (no blank line) of items at the
anchor's indentation: comment lines and decorators / annotations / attributes (`@cache`,
`@Component({...})` over several lines, `#[derive(Debug)]`, C# `[HttpGet]`).

The merge uses it for a snippet that shows a definition with such lines above it while the
original has its own: the snippet's run replaces the original's (see `attached_end`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from relace_cli.merge.blocks import Blocks
from relace_cli.merge.text import Doc, indent_of, is_closer, is_comment, is_trivial

if TYPE_CHECKING:
    from relace_cli.merge.assemble import Assembler

_AT = frozenset(
    "py pyi pyw ts tsx js jsx mjs cjs mts cts java kt kts scala groovy dart swift".split()
)
_HASH_BRACKET = frozenset("rs php".split())
DECORATED = _AT | _HASH_BRACKET | {"cs"}
_AT_RE = re.compile(r"^@[A-Za-z_]")
_MAX_RUN = 60


def is_decorator(key: str, lang: str) -> bool:
    if lang in _AT:  # (`#[test]` too where `#` starts no comment: a guessed "js" is Rust)
        return _AT_RE.match(key) is not None or (key.startswith("#[") and lang[:2] != "py")
    if lang in _HASH_BRACKET:
        return key.startswith("#[")
    if lang == "cs":
        return key.startswith("[") and key.endswith("]") and len(key) > 2
    return False


def is_generic_decorator(key: str, lang: str) -> bool:
    """A decorator that names nothing in particular (`@Override`, `@property`, `#[test]`,
    `#[derive(Debug)]`): one with a string argument (`@app.get("/users")`) identifies what it
    decorates, as does a line that goes on after the decorator (`@Input() name: string;`)."""
    return is_decorator(key, lang) and _GENERIC.match(key) is not None


# a whole line that is only a decorator, with no string argument
_GENERIC = re.compile(r"""^(?:@[A-Za-z_][\w.]*(?:\([^'"]*\))?|#!?\[[^'"]*\]|\[[^'"]*\])$""")


def attached_run(doc: Doc, blocks: Blocks, anchor: int, lo: int,
                 lang: str) -> list[tuple[int, int, bool]]:
    """Items (first line, last line, is a decorator) directly above line *anchor*, not above
    line *lo*, top to bottom; empty when there are none."""
    keys, lines = doc.keys, doc.lines
    ind = indent_of(lines[anchor])
    ok: dict[int, tuple[int, bool]] = {}
    best = anchor
    for q in range(anchor - 1, max(lo, anchor - _MAX_RUN) - 1, -1):
        k = keys[q]
        if not k:
            break
        d = indent_of(lines[q])
        if d != ind and not (d > ind and k[0] == "*"):  # ` * doc` inside `/** ... */`
            continue
        if is_decorator(k, lang):
            got = blocks.end(q)
            end = got[0] if got is not None else q
            dec = True
        elif is_comment(k, lang):
            end, dec = q, False
        else:
            continue
        if end < anchor and (end + 1 == anchor or end + 1 in ok):
            ok[q] = (end, dec)
            best = q
    items = []
    q = best
    while q < anchor:
        end, dec = ok[q]
        items.append((q, end, dec))
        q = end + 1
    return items


def attached_end(asm: Assembler, b_idx: list[int], o0: int, o1: int) -> int:
    """Decorators (and comments) in B directly above the anchor replace the original's
    ones above it: the end of the original lines [o0, o1) kept before B.

    The snippet shows no decorator: the original's stay (the common habit of leaving them
    out). It shows decorators only: they replace the decorators directly above the
    definition, below any comment. Decorators and comments: they replace the whole run.
    Only comments above a decorated definition: abstain (above or below them?).
    """
    from relace_cli.merge.assemble import Refuse

    anchor = b_idx[-1] + 1
    if asm.lang not in DECORATED or anchor >= len(asm.s.lines) \
            or asm.al.match.get(anchor) != o1:
        return asm.attached_comments(b_idx, o0, o1)
    mine = attached_run(asm.s, asm.al.sb, anchor, b_idx[0], asm.lang)
    theirs = attached_run(asm.o, asm.al.ob, o1, o0, asm.lang)
    if not any(d for *_, d in mine) and not any(d for *_, d in theirs):
        return asm.attached_comments(b_idx, o0, o1)
    if not mine:
        return o1
    head = _short(asm.o.keys[o1])
    if not any(d for *_, d in mine):
        raise Refuse(f"comments above the decorated `{head}`: unclear whether they go "
                     "above or below its decorators")
    if not theirs:
        return o1
    start = theirs[0][0]
    if all(d for *_, d in mine):
        last = max((n for n, it in enumerate(theirs) if not it[2]), default=-1)
        if any(it[2] for it in theirs[:last]):
            raise Refuse(f"the decorators of `{head}` are interleaved with comments; "
                         "unclear which ones the snippet replaces")
        start = theirs[last + 1][0] if last + 1 < len(theirs) else o1
    if start > theirs[0][0] and any(asm.s.keys[i] for i in b_idx if i < mine[0][0]):
        raise Refuse(f"new code above the decorators of `{head}` would land between its "
                     "comments and its decorators")
    if start < o1:
        asm.out.deleted.append((start, o1, anchor - mine[0][0]))
    return start


def check_continuation(asm: Assembler, a_idx: list[int], b_idx: list[int], s0: int, s1: int,
                        o0: int, o1: int) -> None:
    """A fragment line right after (before) an anchor where the original has another line
    right after (before) it, at the same depth: an edit or an addition? (`make -j4 all`
    after `echo building`, where the original goes on with `make all`)"""
    from relace_cli.merge.assemble import Refuse

    s, o, match = asm.s, asm.o, asm.al.match
    pairs = []
    if a_idx and a_idx[0] == s0 and s0 > 0 and match.get(s0 - 1) == o0 - 1:
        pairs.append((s0, s0 - 1, o0, o0 - 1))
    if b_idx and b_idx[-1] == s1 - 1 and s1 < len(s.keys) and match.get(s1) == o1:
        pairs.append((s1 - 1, s1, o1 - 1, o1))
    _check_reflow(asm, [s.keys[i] for i in a_idx], o.keys[o0:o1], after=True)
    _check_reflow(asm, [s.keys[i] for i in b_idx], o.keys[o0:o1], after=False)
    for si, sa, oi, oa in pairs:
        mine, theirs = s.keys[si], o.keys[oi]
        if not mine or not theirs or is_trivial(theirs) or is_closer(theirs) \
                or is_comment(theirs, asm.lang) or theirs in asm.al.counts \
                or is_decorator(mine, asm.lang) or is_decorator(theirs, asm.lang):
            continue  # (decorators and comments above a definition: `attached_end`)
        if indent_of(s.lines[si]) - indent_of(s.lines[sa]) \
                != indent_of(o.lines[oi]) - indent_of(o.lines[oa]):
            continue
        if asm.al.sb.end(si) is not None or asm.al.ob.end(oi) is not None:
            continue  # a new block next to another one: an addition
        raise Refuse(f"`{_short(mine)}` sits where the original has `{_short(theirs)}`: "
                     "unclear whether it replaces it or is added")


_WORDS = re.compile(r"\w+").findall


def _check_reflow(asm: Assembler, new: list[str], kept: list[str], after: bool) -> None:
    """New fragment lines next to kept ones that say nearly the same in other lines (`SELECT
    id, name, email` for `SELECT id,` / `name,` / `email`, a paragraph reflowed): they may
    replace the kept lines or be added beside them."""
    from relace_cli.merge.assemble import Refuse

    def unit(keys: list[str]) -> list[str]:  # the run of non-blank lines at that end
        out = []
        for k in keys:
            if not k:
                if out:
                    break
                continue
            out.append(k)
            if len(out) >= 12:
                break
        return out

    mine = unit(new if after else new[::-1])
    theirs = unit(kept if after else kept[::-1])
    if not mine or not theirs or mine == theirs or any(
            is_decorator(k, asm.lang) or k[:1] == "@" for k in mine + theirs):
        return  # (decorators above a definition: see `attached_end`)
    words = set(_WORDS(" ".join(theirs)))
    if len(words) < 3:
        return
    share = len(words & set(_WORDS(" ".join(mine)))) / len(words)
    if share >= 0.7:
        raise Refuse(f"`{_short(mine[0])}` says nearly what the lines next to it say "
                     f"(`{_short(theirs[0])}`...): unclear whether it replaces them")


def _short(text: str, width: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 1] + "…"


# a line that is a decorator and nothing more (not `@Input() title = "";`)
DECORATOR_ONLY = re.compile(r"^(?:@[\w.]+(?:\(.*\))?|#!?\[.*\]|\[.*\])$")
# a decorator's name: `@app.route`, `#[serde`, `[Authorize`
_DECO_NAME = re.compile(r"^(?:@|#!?\[|\[)[\w.:]*")


def decorator_join(asm: Assembler, a_idx: list[int], a_lines: list[str], o0: int,
                   o1: int) -> tuple[int, dict[int, list[str]]] | str:
    """Decorators written right before a marker decorate the first definition the marker
    keeps. Where they join its own stack is clear in three shapes only:
    - the snippet shows the whole stack (in order), perhaps with new decorators among it
      (a definition without decorators has an empty stack: they all go above its header);
    - it shows a prefix of that stack, then new decorators: they go after that prefix;
    both only when no new decorator has the name of one in the stack (`@Roles('a', 'b')`
    where the stack has `@Roles('a')` may be an edit of it, `@cached_property` where it has
    `@property` may replace it: those abstain).
    Returns (how many of the lines *a_idx* stay as written above the kept lines, the new
    decorators to put before each original line), or a reason to abstain."""
    keys, okeys, olines, lang = asm.s.keys, asm.o.keys, asm.o.lines, asm.lang
    n = len(a_idx)
    while n > 0 and keys[a_idx[n - 1]] and is_decorator(keys[a_idx[n - 1]], lang) \
            and DECORATOR_ONLY.match(keys[a_idx[n - 1]]) \
            and (n == len(a_idx) or a_idx[n] == a_idx[n - 1] + 1):
        n -= 1
    mine = list(range(n, len(a_idx)))  # positions in a_idx of the decorators shown
    why = f"`{_short(keys[a_idx[-1]])}` decorates a definition the snippet elides; unclear " \
          "how it joins that definition's own"
    q = next((j for j in range(o0, o1) if okeys[j]), o1)
    h = q
    while h < o1 and is_decorator(okeys[h], lang) and DECORATOR_ONLY.match(okeys[h]) \
            and indent_of(olines[h]) == indent_of(olines[q]):
        h += 1
    if h >= o1 or not okeys[h] or is_decorator(okeys[h], lang) or is_comment(okeys[h], lang):
        return why  # (no definition right there, or a decorator over several lines)
    if h == q:  # (no stack: a new definition's decorator, its body elided? `@Test` over a
        return why  # private helper, `@app.route(...)` over a decorator factory: not said)
    if any(indent_of(a_lines[p]) != indent_of(olines[h]) for p in mine):
        return why
    theirs = list(range(q, h))
    # match the shown decorators to the stack in order; the others are new
    at: dict[int, int] = {}  # a_idx position -> original line
    t = 0
    for p in mine:
        if t < len(theirs) and keys[a_idx[p]] == okeys[theirs[t]]:
            at[p] = theirs[t]
            t += 1
    new = [p for p in mine if p not in at]
    if t < len(theirs) and new:  # a prefix of the stack, then new ones: added before the
        return why  # rest, or replacing the next (`@Secured(...)` where `@PreAuthorize` was)?
    names = {_deco_name(okeys[j]) for j in theirs}
    if any(_deco_name(keys[a_idx[p]]) in names for p in new):
        return why
    inserts: dict[int, list[str]] = {}
    for p in new:
        nxt = min((at[x] for x in at if x > p), default=theirs[t - 1] + 1 if t else h)
        inserts.setdefault(nxt, []).append(a_lines[p])
    return n, inserts


def _deco_name(key: str) -> str:
    m = _DECO_NAME.match(key)
    return m.group(0) if m else key


_DOLLAR_END = re.compile(r"\$\w*\$\s*(?:LANGUAGE\s+\w+\s*)?;?", re.I)


def doubled_line(lines: list[str], source: list[int], keys: list[str],
                 lang: str) -> str | None:
    """A new decorator right above the same one (`@Test` / `@Test`: a renamed method whose
    old stack was kept above the snippet's), or a new closer right above the same one at the
    same depth (`</div>` / `</div>`: a closer shown as context, taken for new): never meant."""
    prev = -1
    for i, k in enumerate(keys):
        if not k:
            continue
        if prev >= 0 and k == keys[prev] and (source[i] < 0 or source[prev] < 0) \
                and indent_of(lines[i]) == indent_of(lines[prev]):
            if is_decorator(k, lang) and DECORATOR_ONLY.match(k):
                return f"`{_short(k)}` would decorate one definition twice (an old stack kept?)"
            if (lines[i][:1] in " \t" or k[0] != "}") and (
                    is_closer(k) or (k.startswith("</") and k.endswith(">"))
                    or _DOLLAR_END.fullmatch(k)):  # (`$$;`: a Postgres function body's end)
                # (two `}` at column 0 may end a namespace and the function in it)
                return (f"`{_short(k)}` would close a block twice at one depth (a closer shown "
                        "as context taken for a new one?)")
        prev = i
    return None
