"""Checks that turn a doubtful merge into an abstention (each returns a reason or None)."""

from __future__ import annotations

import re

from relace_cli.linediff import common_ends
from relace_cli.markers import OPENERS, is_marker
from relace_cli.merge.text import OPENER_WORDS, indent_of, is_closer, is_trivial

_FALLBACK = re.compile(r"^(?i:else|default)\s+\S")
_RETURN = re.compile(r"^(?:return|yield|raise|throw)\b")
_DEF = re.compile(
    r"^(?:export\s+)?(?:default\s+)?(?:pub(?:\([\w:]+\))?\s+)?(?:async\s+)?(?:static\s+)?"
    r"(?:def|function\*?|func|fn|class|struct|interface|enum|trait|impl|type|module|macro_rules!)"
    r"\s+([A-Za-z_$][\w$]*)"
)
_METHOD = re.compile(
    r"^(?:(?:async|static|public|private|protected|override|get|set)\s+)*([A-Za-z_$][\w$]*)"
    r"\s*\([^()]*\)\s*(?::\s*[\w<>\[\], .|]+)?\s*\{\s*$"
)
_ASSIGN = re.compile(
    r"^(?:(?:const|let|var|val|final|static|export|readonly|private|public|local|my|our)\s+)*"
    r"([A-Za-z_$@][\w$.\[\]'\"-]*)\s*(?::\s*[^=]+?)?\s*(?:=(?![=>])|:=)"
)
_KEY = re.compile(r"""^["']?([A-Za-z_$@][\w$.@/-]*)["']?\s*:(?:\s|$)""")
_TAG = re.compile(r"^<([A-Za-z][\w.:-]*)")
_IMPORT = re.compile(
    r"^(?:import\b|from\s+\S+\s+import\b|#\s*include\b|use\s|using\s|require\b|package\s|"
    r"(?:const|let|var)\s+.*=\s*require\()"
)
# a branch of a match: `Shape::Rect(r) => ...`, `is Loading -> ...`, `WHEN 'new' THEN ...`
_ARM = re.compile(r"^((?:case\s+|is\s+)?[\w:.'\"]+(?:\([^()]*\))?)\s*(?:=>|->)\s*\S")
_WHEN = re.compile(r"^(?i:when)\s+(.+?)\s+(?i:then)\b")
_ALNUM4 = re.compile(r"(?:[^\W_][\W_]*){4}").search  # at least 4 letters or digits
_NOT_KEYS = frozenset("else elif try except finally default case if for while with do".split())




class Ambiguous(Exception):
    """The alignment cannot tell an edited line from a new one: abstain with this reason."""


def import_like(key: str) -> bool:
    return _IMPORT.match(key) is not None


def slot_key(key: str) -> str | None:
    """What a line defines, sets or matches: `def:load`, `set:version`, `return`,
    `arm:Shape::Rect(r)`; None otherwise."""
    if not key or is_trivial(key):
        return None
    if _RETURN.match(key):
        return "return"
    if _FALLBACK.match(key):  # `else 'C'` / `else 'D'` (SQL CASE, one-line branches)
        return "clause:" + key.split(None, 1)[0].lower()
    m = _DEF.match(key) or _METHOD.match(key)
    if m:
        name = m.group(1)
        if name in _NOT_KEYS or name in ("if", "for", "while", "switch", "catch"):
            return None
        return "def:" + name
    m = _TAG.match(key)
    if m:
        return "tag:" + m.group(1).lower()
    m = _ASSIGN.match(key)
    if m:
        return "set:" + m.group(1)
    m = _KEY.match(key)
    if m and m.group(1) not in _NOT_KEYS:
        return "set:" + m.group(1)
    m = _ARM.match(key) or _WHEN.match(key)
    if m:  # a second branch with the same pattern would never run: it is an edit
        return "arm:" + m.group(1)
    return None


def slot_clash(new: list[str], kept: list[str], at_start: bool) -> str | None:
    """Inserted lines next to kept (elided) ones that set the same name at the same depth.

    `version: 2` written before a marker that keeps `version: 1` is more likely a replacement
    than an addition, and the snippet does not say which: abstain.
    """
    code = [x for x in new if x.strip()] if new else new
    if not code:
        return None
    inds = [indent_of(x) if "\t" in x else len(x) - len(x.lstrip(" ")) for x in code]
    base = min(inds)  # (indent_of, inlined: without tabs, the count of spaces)
    top = [x.strip() for x, d in zip(code, inds, strict=True) if d == base]
    mine = [(x, k) for x in top if (k := slot_key(x))]
    if not mine:
        return None
    want = len(top) + 2
    near: list[str] = []
    for x in kept if at_start else reversed(kept):
        if x.strip():
            near.append(x)
            if len(near) == want:
                break
    if not at_start:
        near.reverse()
    theirs = {}
    for x in near:
        if indent_of(x) == base:
            k = slot_key(x.strip())
            if k:
                theirs[k] = x.strip()
    for x, k in mine:
        if k in theirs and theirs[k] != x:
            return (f"`{_short(x)}` may replace `{_short(theirs[k])}` next to elided code; "
                    "the snippet does not say")
    return None


def facing_edit(new: list[str], kept: list[str], at_start: bool) -> str | None:
    """A line inserted next to elided code that looks like an edit of the kept line it faces:
    it wraps that line (`{show && <span>..</span>}` around `<span>..</span>`), or both are
    list items that differ in a few characters (`- "6380:6379"` / `- "6379:6379"`). The
    snippet does not say whether it replaces the line or joins it."""
    mine = [x.strip() for x in new if x.strip()]
    theirs = [x.strip() for x in kept if x.strip()]
    if not mine or not theirs:
        return None
    if at_start and mine[0] == theirs[0] and mine[0].strip("{}: ").lower() in OPENER_WORDS \
            and _left_open(new):
        # anchor / `begin` / new line / `# ...` where the original goes on with `begin`: that
        # `begin` with a line added to its body, or a new block before it?
        return (f"`{_short(mine[0])}` right after the anchor is also the kept line after it: "
                "unclear whether it is that one or a new block")
    n = len(mine)
    if n >= 2 and len(theirs) >= n:
        seg = theirs[:n] if at_start else theirs[-n:]
        diff = [i for i in range(n) if mine[i] != seg[i]]
        if diff == [0] and mine[0][-1:] in "{:" and mine[0].split()[0] == seg[0].split()[0] \
                and (slot_key(mine[0]) or "")[:4] != "def:" \
                and any(not is_closer(x) and x not in ("...", "pass") for x in mine[1:]):
            # `if x <= 0 {` / `return 0` / `}` next to kept `if x < 0 {` / `return 0` / `}`:
            # the same block under an edited header
            return (f"`{_short(mine[0])}` may replace `{_short(seg[0])}` over the same block "
                    "next to elided code, or the block be added beside it; the snippet does "
                    "not say")
    a, b = (mine[-1], theirs[0]) if at_start else (mine[0], theirs[-1])
    if a == b:
        return None
    near = theirs[1:4] if at_start else theirs[-4:-1]
    if distinctive(a) and a[0] not in "@<" and not a.startswith("#[") and a in near:
        # `WORKDIR /srv` / `COPY package.json ./` written above kept `WORKDIR /app` / `COPY
        # package.json ./`: the copied line is context, so the new one may be an edit
        return (f"`{_short(a)}` next to elided code is also in that code; unclear whether the "
                "lines around it replace or join it")
    if a.split(" ", 1)[0].isupper() and a.split(" ", 1)[0] == b.split(" ", 1)[0] \
            and a.count(" ") == b.count(" ") == 1:
        return (f"`{_short(a)}` may replace `{_short(b)}` next to elided code or be added "
                "next to it; the snippet does not say")  # `EXPOSE 8080` / `EXPOSE 3000`
    wraps = distinctive(b) and len(b) >= 12 and b in a
    if not wraps and distinctive(b) and len(b) >= 12 and b in mine[1:] \
            and mine[0][-1:] in "{:":
        code = [x for x in new if x.strip()]
        inner = next(x for x in code[1:] if x.strip() == b)
        if indent_of(inner) > indent_of(code[0]):
            wraps, a = True, mine[0]  # `if (!quiet) {` / `emit()` / `}` over a kept `emit()`
    if not wraps and distinctive(b) and len(b) >= 12:  # `if ! cmd; then` / ... / `fi` over `cmd`
        got = next((x for x in mine if b in x and not x.startswith(b)), None)
        if got is None:  # `try {` / `res = f();` over `const res = f();`
            got = _wrapped_edit(new, b)
        if got is not None:
            wraps, a = True, got
    items = (a[:2] == b[:2] == "- " and len(b) >= 8 and _ratio(a, b) >= 0.8) \
        or _item_twins(a, b)
    # two comments that start alike (`# Build the message object; ...`): a reworded one
    comments = a[:1] in "#/" and a[:2] == b[:2] and common_ends(a, b)[0] >= 16
    # the same head, another tail: `Shape::Rect(r) => r.area(),` / `Shape::Rect(r) => r.w * r.h,`,
    # `case A:` / `case A, D:`, `ENV MODE=prod` / `ENV MODE=staging`
    heads = False
    # (the line facing the kept one, or the first of the new lines: `if (!post) {` over kept
    # `if (!post) return ...`)
    for x in ([a] if wraps or at_start is False or mine[0] == a else [a, mine[0]]):
        head = common_ends(x, b)[0]
        kx = slot_key(x) or ""
        if (kx[:4] == "def:" and kx != slot_key(b)) or (
                x.split(None, 1)[0] in _DEF_WORDS and b.split(None, 1)[0] in _DEF_WORDS):
            continue  # (two definitions: `func (s *S) Addr()` / `Stop()`: see defs.py)
        if head >= 8 and head * 2 >= min(len(x), len(b)) and not _DECORATOR.fullmatch(x) \
                and not x.startswith("#[") and (" " in x[:head] or "(" in x[:head]) \
                and x != b:
            heads, a = True, x
            break
        last = at_start and len(theirs) > 1 and is_closer(theirs[1])  # b ends its block
        if _twins(x, b, last):  # `res.sendStatus(204);` / `res.status(204).end();`
            heads, a = True, x
            break
    if wraps or items or comments or heads:
        return (f"`{_short(a)}` may replace `{_short(b)}` next to elided code or be added "
                "next to it; the snippet does not say")
    return None


def _wrapped_edit(new: list[str], b: str) -> str | None:
    """The header of a new block (`try {`, `if x:`) whose body holds an edit of line *b*."""
    head = None
    for line in new:
        x = line.strip()
        if not x:
            continue
        if head is not None and indent_of(line) > indent_of(head) and len(x) >= 8 and x != b \
                and (x in b or similar(x, b)):
            return head.strip()
        if x[-1] in "{:" and (head is None or indent_of(line) <= indent_of(head)):
            head = line
    return None


_NUMBER = re.compile(r"-?\d[\d_.]*")
_QUOTED = re.compile(r"""(["'`])(.*)\1""")
_IDENT = re.compile(r"[A-Za-z_$][\w$.\-/]*")


_NUMBERED = re.compile(r"\d+[.)]\s+")


def _item_twins(a: str, b: str) -> bool:
    """Two items of a list, an argument list or an enum that one edit may turn into each
    other: numbers (`8080,` / `3000,`), alike strings or names (`"requests>=2.31",` /
    `"requests",`, `hostname,` / `host,`), two last items (`High` / `Critical`, `| "PATCH";`
    / `| "PUT";`: side by side they would not even parse), or one name declared twice
    (`id UUID PRIMARY KEY,` / `id SERIAL PRIMARY KEY,`)."""
    x, y = a.rstrip(",;").lstrip("| ").strip(), b.rstrip(",;").lstrip("| ").strip()
    if x == y or not x or not y:
        return False
    nx, ny = _NUMBERED.match(x), _NUMBERED.match(y)
    if nx and ny and x[nx.end():] == y[ny.end():]:
        return True  # (`4. Open a pull request` / `3. Open a pull request`: renumbered)
    if _NUMBER.fullmatch(x) and _NUMBER.fullmatch(y):
        return True
    qx, qy = _QUOTED.fullmatch(x), _QUOTED.fullmatch(y)
    ix, iy = _IDENT.fullmatch(x), _IDENT.fullmatch(y)
    if (qx and qy) or (ix and iy and not is_trivial(x) and not is_trivial(y)):
        p, q = (qx.group(2), qy.group(2)) if qx and qy else (x, y)
        last = a[-1:] != "," and b[-1:] != "," and (a[-1:] == ";") == (b[-1:] == ";")
        same_owner = "." in p and p.split(".")[0] == q.split(".")[0]  # `args.source`/`.input`
        return last or same_owner or p.startswith(q) or q.startswith(p) or _ratio(p, q) >= 0.6
    wa, wb = x.split(None, 1), y.split(None, 1)
    return a.endswith(",") and b.endswith(",") and len(wa) == len(wb) == 2 \
        and wa[0] == wb[0] and _IDENT.fullmatch(wa[0]) is not None and "=" not in x + y


_DEF_WORDS = frozenset(
    "func def fn function class async pub public private protected static export".split())
_RECEIVER = re.compile(r"([A-Za-z_$][\w$]*)\.")
_CODE_NUMBER = re.compile(r"\b\d{3,}\b")


def _twins(a: str, b: str, last: bool) -> bool:
    """Two calls on one receiver with the same status-like number, or where the kept one
    ends its block: one response written two ways (`res.sendStatus(204);` in front of
    `res.status(200).send("ok");` / `});`)."""
    ra, rb = _RECEIVER.match(a), _RECEIVER.match(b)
    if ra is None or rb is None or ra.group(1) != rb.group(1) or a[-1:] != b[-1:]:
        return False
    return last or bool(set(_CODE_NUMBER.findall(a)) & set(_CODE_NUMBER.findall(b)))


def _left_open(lines: list[str]) -> bool:
    """Do the lines after the first one all stay deeper than it (its block not closed, and no
    `except` / `rescue` / `end` of its own)?"""
    code = [x for x in lines if x.strip()]
    ind = indent_of(code[0])
    return all(indent_of(x) > ind for x in code[1:])


def _ratio(a: str, b: str) -> float:
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio()


def duplicated(out_keys: list[str], inserted: set[str], orig_count: dict[str, int],
               snip_count: dict[str, int]) -> str | None:
    """A distinctive line that the merge would repeat more often than either input has it."""
    if not inserted:
        return None
    counts: dict[str, int] = {}
    for k in out_keys:
        if k in inserted:
            counts[k] = counts.get(k, 0) + 1
    for k, n in counts.items():
        if orig_count.get(k, 0) == 1 and n > max(1, snip_count.get(k, 0)):
            return f"line `{_short(k)}` would appear {n} times (anchor out of order?)"
    return None


def repeated_context(lines: list[str], source: list[int], snippet_keys: list[str],
                     keys: list[str]) -> str | None:
    """New lines that begin by repeating the lines just above them, or end by repeating the
    lines just below (`Lock() / Unlock()` twice in a row), where the snippet does not show them
    twice in a row: context the snippet showed around an insertion, matched nowhere because it
    occurs more than once in the original. *keys*: *lines* stripped."""
    n = len(lines)
    i = 0
    while i < n:
        if source[i] >= 0:
            i += 1
            continue
        j = i
        while j < n and source[j] < 0:
            j += 1
        run = [k for k in keys[i:j] if k]
        a = i - 1  # the nearest non-blank line above, and below
        while a >= 0 and not keys[a]:
            a -= 1
        b = j
        while b < n and not keys[b]:
            b += 1
        head = a >= 0 and keys[a] in run[:10]  # (else no prefix can repeat it)
        tail = b < n and keys[b] in run[-10:]
        near = _near_repeat(run, lines, i, j, snippet_keys, source)
        if near:
            return near
        if run and (head or tail):
            above = [k for k in keys[max(0, i - 40):i] if k]
            below = [k for k in keys[j:j + 40] if k]
            for m in range(1, min(len(run), 10) + 1):
                if head and run[:m] == above[-m:] and any(distinctive(k) for k in run[:m]) \
                        and not _shows(snippet_keys, run[:m] * 2):
                    return f"line `{_short(run[0])}` would be repeated right after itself " \
                           "(context shown once but found more than once in the original?)"
                if tail and run[-m:] == below[:m] and any(distinctive(k) for k in run[-m:]) \
                        and not _shows(snippet_keys, run[-m:] * 2):
                    return f"line `{_short(run[-m])}` would be repeated right before itself " \
                           "(context shown once but found more than once in the original?)"
        i = j
    return None


def duplicate_key(lines: list[str], source: list[int]) -> str | None:
    """YAML: an inserted `key:` line whose mapping (the lines at its indentation up to a
    shallower one) already has that key - a mapping key given twice."""
    n = len(lines)
    for i in range(n):
        if source[i] >= 0:
            continue
        m = _YAML_KEY.match(lines[i])
        if m is None:
            continue
        ind, key = len(m.group(1)), m.group(2)
        for step in (-1, 1):
            j = i + step
            while 0 <= j < n:
                line = lines[j]
                if line.strip() and not line.lstrip().startswith("#"):
                    d = len(line) - len(line.lstrip(" "))
                    if d < ind or (d == ind and line.lstrip().startswith("- ")):
                        break  # the parent, or the next item of a list
                    other = _YAML_KEY.match(line)
                    if d == ind and other is not None and other.group(2) == key:
                        return f"`{key}:` would be a second `{key}` key in the same mapping"
                j += step
    return None


_YAML_KEY = re.compile(r"""^( *)(?:- )?["']?([\w.$/-]+)["']?:(?:\s|$)""")


def _near_repeat(run: list[str], lines: list[str], i: int, j: int,
                 snippet_keys: list[str], source: list[int]) -> str | None:
    """The first (last) two or more new lines repeat, in order, lines found a few lines above
    (below) them that the original has more than once and the snippet shows once: context a
    line apart from where the snippet found it (`Lock() / defer Unlock()` twice)."""
    if len(run) < 2:
        return None
    for seq, span, where in ((run[:2], lines[max(0, i - 15):i], "after"),
                             (run[-2:], lines[j:j + 15], "before")):
        if seq[0] not in "\n".join(span):
            continue  # (a cheap pre-test: no line there holds seq[0], so near cannot)
        near = [k for k in (x.strip() for x in span) if k]
        near = near[-5:] if where == "after" else near[:5]
        if not _shows(near, seq) or not all(distinctive(k) for k in seq) \
                or _shows(snippet_keys, seq + seq):
            continue
        kept = [x.strip() for x, src in zip(lines, source, strict=True) if src >= 0]
        if all(kept.count(k) >= 2 for k in seq):
            return f"lines from `{_short(seq[0])}` would be repeated a few lines {where} " \
                   "themselves (context shown once but found more than once in the original?)"
    return None


def _shows(keys: list[str], seq: list[str]) -> bool:
    """Do the non-blank *keys* hold *seq* as a contiguous run?"""
    code = [k for k in keys if k]
    m = len(seq)
    return any(code[i:i + m] == seq for i in range(len(code) - m + 1) if code[i] == seq[0])


# `...` standing for list items inside a line: `SELECT id, ..., created_at`, `["a", ..., "b"]`
_INLINE_ELISION = re.compile(r",\s*(?:\.\.\.|…)\s*,")


def leftover_marker(new_lines: list[str], orig_keys: set[str]) -> str | None:
    for line in new_lines:
        k = line.strip()
        if k and k[0] in OPENERS and k not in orig_keys and is_marker(line):
            return f"the result would keep the marker `{_short(k)}`"
        if k and ("..." in k or "…" in k) and k not in orig_keys and _INLINE_ELISION.search(k):
            return f"`{_short(k)}` elides part of a line with `...`; not merged"
    return None


def distinctive(key: str) -> bool:
    return len(key) >= 6 and _ALNUM4(key) is not None and not is_trivial(key)


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# a decorator line (`@app.get("/x")`), not a Ruby call on an instance variable
# (`@user.update!(locked_at: nil)`, `@count = 0`)
_DECORATOR = re.compile(r"@[\w.]+(?:\(.*\))?")


def similar(a: str, b: str) -> bool:
    """*a* is an edit of *b*: the same name set or defined, or one extends the other."""
    if a == b or not a or not b or is_trivial(a) or is_trivial(b):
        return False
    if a[0] == "@" or a.startswith("#[") or b[0] == "@" or b.startswith("#["):
        return False  # a decorator next to a like one: a new definition's, maybe (see edited)
    ka = slot_key(a)
    if ka is not None and ka == slot_key(b) and ka != "return" and not ka.startswith("tag:"):
        # (`else if (p.Fragile)` / `else if (p.Weight < 5)`: another branch, not an edit)
        return not (ka.startswith("clause:") and ("(" in a or "(" in b))
    x, y = a.rstrip(";,{:( "), b.rstrip(";,{:( ")
    short = min(len(x), len(y))
    return short >= 12 and (x.startswith(y) or y.startswith(x))


_SEPARATORS = frozenset((",", "\\", ";", "&&", "||", "|", "+"))


def edited(a: str, b: str) -> bool:
    """*a* is *b* with text inserted or deleted in one place (`run()` / `run(verbose=True)`),
    keeping at least 12 characters; a new line facing such a line edits it. A line that
    substitutes a part (`- Added X.` / `- Added Y.`) may be an edit or a new sibling: raises
    Ambiguous. Block headers are left to the block structure."""
    if not a or not b or a[-1] in "{:([" or b[-1] in "{:([" or is_trivial(a) or is_trivial(b):
        return False
    if a[0] == "<" and b[0] == "<":
        return False  # an element next to a like one: `slot_clash` decides
    if a[0] == "@" or a.startswith("#["):
        return False  # a decorator: see `attached.attached_end`
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if long_.startswith(short) and long_[len(short):].strip() in _SEPARATORS and len(short) >= 4:
        return True  # `src/net.c` / `src/net.c \`: a continuation (or comma) added or dropped
    n = min(len(a), len(b))
    p, q = common_ends(a, b)
    if p + q < 12:
        return False
    if p + q == n:
        return True
    if p >= 4 and p + q >= 0.6 * max(len(a), len(b)):
        raise Ambiguous(f"`{a[:50]}` may replace `{b[:50]}` or be added next to it; the "
                        "snippet does not say")
    return False
