"""`... existing code ...` followed by new code only: an addition at the end of the file, or at
the end of the file's last block when the snippet ends with that block's closing lines.

    // ... existing code ...
      }                      <- context: the original's line right above the insertion

      clear(): void { ... }  <- new: no top-level line of it is in the original
    }                        <- the original's last line(s), shown to say "inside the class"

Nothing of the snippet anchors it (no line of it matches one of the original's), so the
position comes from the ends alone; anything less clear-cut is left to abstention.
"""

from __future__ import annotations

from relace_cli.merge.blocks import Blocks
from relace_cli.merge.defs import definition
from relace_cli.merge.guards import Ambiguous, edited, similar, slot_key
from relace_cli.merge.text import (
    CODE,
    HARD,
    HASH_COMMENTS,
    MARKDOWN,
    PYTHONIC,
    STYLES,
    Doc,
    family,
    indent_of,
    is_closer,
)


def append_at_end(snip: Doc, orig: Doc, lang: str) -> list[str] | None:
    """The merged lines, or None when the snippet is not such an addition."""
    kinds, skeys = snip.kinds, snip.keys
    first = next((i for i, k in enumerate(skeys) if k or kinds[i] != CODE), None)
    if first is None or kinds[first] != HARD or HARD in kinds[first + 1:]:
        return None
    code = [i for i in range(first + 1, len(skeys)) if skeys[i]]
    if not code:
        return None
    if not any(orig.keys):
        return None
    t = len(code)
    while t > 0 and is_closer(skeys[code[t - 1]]):
        t -= 1
    for cut in range(t, len(code) + 1):  # the new code may need some closers for itself
        got = _attempt(snip, orig, lang, first, code, cut)
        if got is not None:
            return got
    return None


def _attempt(snip: Doc, orig: Doc, lang: str, first: int, code: list[int],
             t: int) -> list[str] | None:
    """Insert code[:t] (after any leading closers) before the original's last lines equal to
    the trailing closers code[t:]."""
    skeys, slines = snip.keys, snip.lines
    okeys, olines = orig.keys, orig.lines
    ocode = [i for i, k in enumerate(okeys) if k]
    # trailing closers: the original's last lines, line for line
    tail = code[t:]
    if len(tail) > len(ocode):
        return None
    otail = ocode[len(ocode) - len(tail):]
    if any(slines[s] != olines[o] for s, o in zip(tail, otail, strict=True)):
        return None
    at = otail[0] if otail else len(olines)  # insert before this original line
    # leading closers: the original's lines right above the insertion
    lead = 0
    while lead < t and is_closer(skeys[code[lead]]):
        lead += 1
    above = [o for o in ocode if o < at][-lead:] if lead else []
    if len(above) != lead or any(slines[s] != olines[o]
                                 for s, o in zip(code[:lead], above, strict=True)):
        return None
    new = code[lead:t]
    if not new:
        return None
    base = min(indent_of(slines[i]) for i in new)
    if tail:
        if base <= indent_of(olines[otail[0]]):
            return None  # not inside the block those closers end
    elif base != 0 or indent_of(slines[new[0]]) != 0:
        return None
    oset = set(okeys)
    slots = {x for k in okeys if (x := slot_key(k)) is not None}
    names = {d for k in okeys if k and (d := definition(k, lang)) is not None}
    above = next((okeys[o] for o in reversed(ocode) if o < at and not is_closer(okeys[o])), "")
    for i in new:
        k = skeys[i]
        if indent_of(slines[i]) != base or is_closer(k):
            continue
        if k in oset or slot_key(k) in slots or definition(k, lang) in names:
            return None  # a line the original has, or sets or defines: an edit, or a copy
        try:
            if similar(k, above) or edited(k, above):
                return None
        except Ambiguous:
            return None
    # (what the new code starts: its first line after doc comments)
    head = next((skeys[i] for i in new if not _is_note(skeys[i], lang)), skeys[new[0]])
    if tail:  # like the block's last member: `pub fn` after `pub fn`, not a stray statement
        sib = next((okeys[o] for o in reversed(ocode) if o < at and not is_closer(okeys[o])
                    and indent_of(olines[o]) == base), None)
        if sib is None or _kind(head, lang) != _kind(sib, lang):
            return None
    elif (_kind(head, lang) or "?") != _last_kind(orig, lang) \
            and not _plain_after_plain(head, orig, lang):
        return None  # after `main()`, `return M`, `#endif`: the end is no place for it
    blocks = Blocks(snip, lang)
    brace = family(lang) == "brace"
    depth = 0
    for i in new:
        net, low, _ = blocks.info(i)
        if depth + low < 0 or (brace and not depth and indent_of(slines[i]) > base):
            return None  # a deeper line outside any new block: a stray body line
        depth += net
    if depth:
        return None
    start = code[lead - 1] + 1 if lead else first + 1
    end = code[t - 1] + 1
    added = slines[start:end]
    if not lead:  # the original's own blank lines above the insertion stay
        while added and not added[0].strip() and at > 0 and not okeys[at - 1]:
            added = added[1:]
    return olines[:at] + added + olines[at:]


def _is_note(key: str, lang: str) -> bool:
    return key.startswith(_NOTES) or (key[:1] == "#" and lang in HASH_COMMENTS)


_SCRIPTS = frozenset("sh bash zsh fish ksh".split())


def _plain_after_plain(head: str, orig: Doc, lang: str) -> bool:
    """Shell: a plain command (`ldconfig`) after a script that ends with one (`make install`):
    neither defines nor sets anything, and the last is no block or call of a main."""
    if lang not in _SCRIPTS or _kind(head, lang) is not None or head[-1:] in ":{([":
        return False  # (a Dockerfile's `CMD`, a module's `main()`: the end is taken)
    last = next((j for j in range(len(orig.keys) - 1, -1, -1) if orig.keys[j]), None)
    if last is None or indent_of(orig.lines[last]) or _is_note(orig.keys[last], lang):
        return False
    k = orig.keys[last]
    return _kind(k, lang) is None and not is_closer(k) and k[-1:] not in ":{([" \
        and "main" not in k and not k.startswith(("return", "export", "module.", "#end"))


def _kind(key: str, lang: str) -> str | None:
    """What a top-level line starts: a function or type, a setting, a heading, a CSS rule."""
    if lang in MARKDOWN:
        return "heading" if key[:1] == "#" else None
    got = definition(key, lang)
    if got is not None:
        return "def" if lang in PYTHONIC else got[0]  # (indentation says what holds it)
    slot = slot_key(key)
    if slot is not None and slot[:4] in ("def:", "set:"):
        return slot[:3]
    if key[-1] == "{" and lang in STYLES:
        return "rule"
    return None


def _last_kind(orig: Doc, lang: str) -> str | None:
    """The kind of the original's last top-level unit (its last heading, in Markdown). A
    brace file must end with that unit's own closer (not a namespace's or a guard's)."""
    closer = None
    for j in range(len(orig.keys) - 1, -1, -1):
        k, line = orig.keys[j], orig.lines[j]
        if not k or (lang in MARKDOWN and k[:1] != "#"):
            continue
        if lang not in MARKDOWN and (indent_of(line) or k.startswith(_NOTES)
                                     or (k[0] == "#" and lang in HASH_COMMENTS)):
            continue  # a body line, a comment or decorator (C's `#endif` counts)
        if lang not in MARKDOWN and is_closer(k):
            if closer is None:
                closer = j
            continue
        if closer is not None:
            end = Blocks(orig, lang).end(j)
            if end is None or end[0] != closer:
                return None
        return _kind(k, lang)
    return None


_NOTES = ("//", "/*", "*", "--", "@")
