"""Last resorts when no line of the snippet anchors: a wrap over lines the original repeats,
or a lone label (`default:`, `else`) whose closers agree with the original's."""

from __future__ import annotations

import re

from relace_cli.merge.align import Aligner, StructureConflict
from relace_cli.merge.gapchecks import Refuse
from relace_cli.merge.guards import Ambiguous
from relace_cli.merge.text import CODE, HARD, is_closer, is_trivial
from relace_cli.merge.wraps import find_wraps

# the statements a label belongs to: with two of them, a new label may be the other's
_OWNERS = {"default": ("switch", "match", "select"), "else": ("if", "unless", "case"),
           "elif": ("if",), "elsif": ("if", "unless"), "elseif": ("if",),
           "catch": ("try",), "finally": ("try",), "except": ("try",), "try": ("try",),
           "rescue": ("begin", "def"), "ensure": ("begin", "def")}
_WORD = re.compile(r"[a-z]+")


def wrap_anchor(al: Aligner) -> Aligner | None:
    """Last resort when no line anchors: lines the original has once, left out as copies
    because a new block holds them (`if (customer.wantsEmail()) {` over `mailer.send(...)`),
    with the lines around them repeated in the original (`invoices.save(invoice);`). Aligned
    again with those lines kept, it is a wrap when each of them lies in a new block that
    `find_wraps` confirms: the new header sits where the first wrapped line sat, its body the
    original's lines in a row, one level deeper. Then a new Aligner, else None."""
    if not al.copied:
        return None
    got = Aligner(al.s, al.o, al.sb, al.ob)
    got.lenient = al.lenient
    got.keep_copies = True
    try:
        got.run()
    except (StructureConflict, Ambiguous):
        return None  # (the abstention stands, with its own reason)
    wraps, _ = find_wraps(got)
    spans = [(h, end[0]) for h in wraps if (end := got.sb.end(h)) is not None]
    if not all(s in got.match and got.match[s] == o and any(h < s <= e for h, e in spans)
               for s, o in al.copied):
        return None
    return got


def label_anchor(al: Aligner) -> Aligner | None:
    """Last resort when no line anchors: a bare label or keyword line (`default:`, `else`,
    `try {`), too common to anchor by itself, right after a written marker, that occurs once
    in each text, followed by its body and then closers (`}`, `end`) that the original has in
    the same order and at the same relative depths after its one such line. The one label,
    and the blocks it closes out of, say where the lines go; a new Aligner seeded with it, or
    None (unchanged abstention)."""
    snip, orig = al.s, al.o
    keys, kinds = snip.keys, snip.kinds
    found = [i for i, k in enumerate(keys) if k and kinds[i] == CODE and k[0].isalpha()
             and is_trivial(k) and not is_closer(k) and al.counts.get(k) == 1
             and len(al.pos.get(k, ())) == 1]
    if len(found) != 1:
        return None
    s = found[0]
    o = al.pos[keys[s]][0]
    if snip.indents()[s] != orig.indents()[o] or _owners(keys[s], orig.keys) != 1:
        return None  # (another depth, or another `switch` or `if` that may take a new one)
    before = next((j for j in range(s - 1, -1, -1) if keys[j] or kinds[j] != CODE), None)
    if before is None or kinds[before] != HARD:
        return None  # (lines above it in its chunk: not shown as the start of a region)
    # the snippet's lines after the label up to a marker: its body (deeper), then closers
    sind, oinds = snip.indents(), orig.indents()
    ind = sind[s]
    mine = []
    for j in range(s + 1, len(keys)):
        if kinds[j] != CODE:
            break
        if keys[j] and sind[j] <= ind:
            if not is_closer(keys[j]):
                return None
            mine.append(j)
        elif keys[j] and mine:
            return None  # (a deeper line after a closer: more than the label's own block)
    if not mine or mine[0] == s + 1:
        return None
    # the original's lines after its label, at or above the label's depth, agree in order
    oind = oinds[o]
    theirs = [j for j in range(o + 1, len(orig.keys))
              if orig.keys[j] and oinds[j] <= oind][:len(mine)]
    if len(theirs) != len(mine) or any(
            keys[a] != orig.keys[b] or sind[a] - ind != oinds[b] - oind
            for a, b in zip(mine, theirs, strict=True)):
        return None
    got = Aligner(snip, orig, al.sb, al.ob)
    got.lenient = al.lenient
    for a, b in ((s, o), *zip(mine, theirs, strict=True)):
        got.add_match(a, b)  # (the label and the closers after it: checked alike above)
    try:
        got.run()
    except (StructureConflict, Ambiguous) as exc:
        raise Refuse(str(exc)) from None
    return got


def _owners(label: str, keys: list[str]) -> int:
    """How many statements of the original a *label* (`default:`, `else`) may belong to
    (0 for an unknown label word)."""
    m = _WORD.match(label)
    owners = _OWNERS.get(m.group()) if m else None
    if owners is None:
        return 0
    count = 0
    for k in keys:
        w = _WORD.match(k.lstrip("} "))
        if w is not None and w.group() in owners:
            count += 1
    return count
