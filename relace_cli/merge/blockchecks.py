"""Checks on the assembled result's block structure: a merge that would cut a block short,
behead one, leave brackets unbalanced, move a header away from its elided body, or define
or label something twice in one block is refused (`Refuse` with a one-line reason)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from relace_cli.merge.align import Aligner
from relace_cli.merge.blocks import Blocks, bracket_chars
from relace_cli.merge.defs import OVERLOADING, definition
from relace_cli.merge.gapchecks import END_LANGS, Refuse, end_net
from relace_cli.merge.guards import slot_key
from relace_cli.merge.text import CODE, Doc, family, indent_of, is_closer, is_trivial

_LABEL = re.compile(r"^(?:default\s*:|case\b.*:|\{:else\b.*\}|\{:then\b.*\}|\{:catch\b.*\})$")


def beheaded(out, orig: Doc, ob: Blocks, snip_keys: dict[str, int]) -> None:  # noqa: ANN001
    """A merge that deletes a definition's header (one the snippet never shows) but keeps
    the rest of its body: the deletion runs across a block boundary, as when context lines
    copied from a sibling function were anchored in that sibling."""
    for o0, o1 in _joined_deletions(out.deleted, orig.keys):
        start = o0  # the deletion's part after the whole blocks it starts with
        o = o0
        while o < o1:
            k = orig.keys[o]
            if not k or k in snip_keys or is_trivial(k) or k[-1] not in ":{([" \
                    or indent_of(orig.lines[o]) > indent_of(orig.lines[o0]):
                o += 1
                continue  # (a block header, at the deletion's outer depth)
            got = ob.end(o)
            if not any(orig.keys[j] for j in range(start, o)):
                # the deletion starts at this header: whole blocks, or none of this
                if got is None or got[0] >= o1:
                    break
                o = start = got[0] + 1
                continue
            if got is not None and got[0] >= o1 \
                    and any(orig.keys[j] for j in range(o1, got[0] + 1)):
                raise Refuse(f"the merge would delete the end of one block and `{k[:50]}` but "
                             "keep the rest of its body; not merged")
            o += 1


def _joined_deletions(deleted: list[tuple[int, int, int]], keys: list[str]) -> list[
        tuple[int, int]]:
    """Pure deletions (nothing put in their place; a header replaced by another is a
    rename), joined across blank lines kept between them (`});` / kept blank / `describe(`)."""
    out: list[tuple[int, int]] = []
    for o0, o1, added in sorted(deleted):
        if added:
            continue
        if out and not any(keys[out[-1][1]:o0]):
            out[-1] = (out[-1][0], o1)
        else:
            out.append((o0, o1))
    return out


def replaced_definitions(out, orig: Doc, ob: Blocks, snip_keys: dict[str, int]) -> None:
    """New lines put in place of whole definitions the snippet never mentions (their headers
    and bodies): the new code's context lines were found in those definitions by chance (a
    new test repeating another test's lines), not a rewrite of them. A header replaced by
    another name's (a rename) counts only when the snippet shows that body in full."""
    kept = None
    for o0, o1, added in out.deleted:
        if not added:
            continue  # deleted by context: neighbours shown, nothing put in their place
        lost = [k for k in orig.keys[o0:o1] if k and k not in snip_keys]
        heads = [o for o in range(o0, o1) if orig.keys[o] in lost
                 and definition(orig.keys[o], ob.lang)]
        if len(heads) >= 2 or (heads and len(lost) - len(heads) >= 3):
            raise Refuse(f"the merge would put new lines in place of `{orig.keys[heads[0]][:50]}`"
                         f" and {len(lost) - 1} more lines the snippet does not show; not merged")
        if len(heads) == 1:
            got = ob.end(heads[0])
            if got is None:
                continue
            if kept is None:
                kept = {src for src in out.source if src >= 0}
            unshown = [o for o in range(o1, got[0] + 1) if o in kept and orig.keys[o]
                       and orig.keys[o] not in snip_keys and not is_trivial(orig.keys[o])]
            if unshown:
                raise Refuse(f"`{orig.keys[heads[0]][:50]}` would be renamed with part of its "
                             "body elided: a new definition copying its lines? Not merged")
            body = [o for o in range(o1, got[0] + 1) if o in kept and orig.keys[o]
                    and not is_trivial(orig.keys[o])]
            if body and not _named_in(definition(orig.keys[heads[0]], ob.lang), snip_keys,
                                      ob.lang) and all(
                    any(j != o and j in kept for j in _where(orig.keys, orig.keys[o]))
                    for o in body):
                # `db.save(x)` / `return x` end every fixture (kept): a new one copying them
                raise Refuse(f"`{orig.keys[heads[0]][:50]}` would be renamed, keeping only "
                             "lines found elsewhere too: a new definition? Not merged")
            if not _named_in(definition(orig.keys[heads[0]], ob.lang), snip_keys, ob.lang) \
                    and any(not n and o1 <= a and b <= got[0] + 1
                            and any(k and k not in snip_keys and not is_trivial(k)
                                    for k in orig.keys[a:b])
                            for a, b, n in out.deleted):
                # `function M.close()` over `M.toggle`, its `else` branch dropped: renamed and
                # cut, or a new function copying part of it?
                raise Refuse(f"`{orig.keys[heads[0]][:50]}` would be renamed with lines of its "
                             "body dropped: a new definition copying part of it? Not merged")


def _where(keys: list[str], key: str) -> list[int]:
    return [j for j, k in enumerate(keys) if k == key]


def _named_in(head: tuple[str, str] | None, snip_keys: dict[str, int], lang: str) -> bool:
    """Does some definition header of the snippet carry *head*'s name?"""
    if head is None:
        return True
    for k in snip_keys:
        got = definition(k, lang) if k else None
        if got is not None and got[1] == head[1]:
            return True
    return False


def closed_early(out, snip: Doc, orig: Doc, al: Aligner, snip_keys: dict[str, int]) -> None:
    """A deletion right before the snippet's closing lines (`}` / `}` to its end or a
    marker) that takes whole methods or a `return` with it: a snippet cut short by a lazy
    writer reads the same as one deleting the rest of the block. Not merged."""
    at: dict[int, int] | None = None
    for o0, o1, added in out.deleted:
        if added:
            continue
        lost = [k for k in orig.keys[o0:o1] if k and k not in snip_keys and not is_trivial(k)]
        if len(lost) < 2 or not any(definition(k, al.sb.lang) or slot_key(k) == "return"
                                    for k in lost):
            continue
        if at is None:
            at = {o: s for s, o in al.match.items()}
        o = o1
        while o < len(orig.keys) and not orig.keys[o]:
            o += 1
        s = at.get(o)
        if s is None or not is_closer(snip.keys[s]):
            continue
        rest = [j for j in range(s, len(snip.keys)) if snip.keys[j] or snip.kinds[j] != CODE]
        tail = []
        for j in rest:
            if snip.kinds[j] != CODE:
                break
            tail.append(j)
        if all(is_closer(snip.keys[j]) for j in tail):
            raise Refuse(f"the snippet closes its block right after line {o0}, deleting "
                         f"{len(lost)} lines it does not show (`{lost[0][:40]}`...): cut short, "
                         "or deleted? Not merged")


def moved_body(out, orig: Doc) -> None:  # noqa: ANN001
    """A block header the merge re-indents (`for req in lines:` wrapped in a new `with`)
    whose body a marker keeps as it was: the kept lines would no longer sit inside it."""
    lines, source, olines = out.lines, out.source, orig.lines
    n = len(lines)
    for i in [i for i, o in enumerate(source) if o >= 0 and lines[i] != olines[o]]:
        o = source[i]
        d = indent_of(lines[i]) - indent_of(olines[o])
        if not d or not orig.keys[o] or orig.keys[o][-1] not in ":{":
            continue
        j = i + 1
        while j < n and not lines[j].strip():
            j += 1
        if j < n and source[j] == o + 1 and lines[j] == orig.lines[o + 1] \
                and indent_of(orig.lines[o + 1]) > indent_of(orig.lines[o]):
            raise Refuse(f"`{orig.keys[o][:50]}` moves {'in' if d > 0 else 'out'} by {abs(d)} "
                         "columns but its body, elided by a marker, would stay; not merged")


def bracket_balance(out, orig: Doc, ob: Blocks) -> None:  # noqa: ANN001
    """In a brace language, the lines a merge adds must open and close as many brackets as
    the lines it drops: else a `}` the snippet showed as context was added as new code (or
    one was lost), and the file no longer parses."""
    if family(ob.lang) != "brace":
        return
    new = [line for line, src in zip(out.lines, out.source, strict=True) if src < 0]
    gone = [o for o in set(range(len(orig.lines))).difference(out.source) if orig.keys[o]]
    if not new and not gone:
        return
    shape = bracket_chars(ob._strip.sub("", "\n".join(new)))  # (strings, comments dropped)
    added = sum(map(shape.count, "([{")) - sum(map(shape.count, ")]}"))
    dropped = sum(ob.info(o)[0] for o in gone)
    if added == dropped:
        return
    raw = bracket_chars("\n".join(orig.lines))
    if all(raw.count(a) == raw.count(b) for a, b in ("{}", "()", "[]")):
        # (an original that does not balance, by a rough count, gives no yardstick)
        raise Refuse("the merge would leave the file's brackets unbalanced (a closing line of "
                     "the snippet taken for new code?)")


def end_balance(out, orig: Doc, lang: str) -> None:  # noqa: ANN001
    """Ruby, Lua, Elixir: the lines a merge adds must open as many `end` blocks as they close,
    net, as the lines it drops (when the original balances): else a class's or a method's
    `end` went missing or was doubled."""
    if lang not in END_LANGS or end_net(orig.keys) != 0:
        return
    gone = [orig.keys[o] for o in set(range(len(orig.keys))).difference(out.source)]
    new = [x.strip() for x, src in zip(out.lines, out.source, strict=True) if src < 0]
    if end_net(new) != end_net(gone):
        raise Refuse("the merge would leave the file's `end`s unbalanced (a closing line of "
                     "the snippet taken for new code, or one lost?)")


def duplicate_definition(out, lang: str, orig_lines: list[str],  # noqa: ANN001
                         keys: list[str]) -> str | None:
    """A definition the merge adds beside the original's one of the same name in the same
    block (`def dump` twice in `class Json`): an edited copy, its old self kept by a marker.
    Languages with overloading, and declarations ending in `;`, are left alone. *keys*: the
    output's lines, stripped."""
    if lang in OVERLOADING:
        return None
    source = out.source
    names = None  # the original's text, joined on first need
    for i in [i for i, src in enumerate(source) if src < 0]:
        k = keys[i]
        if not k or k[-1] == ";" or k[0] in "#/@*<" or k.startswith("impl"):
            continue  # (`impl Display for A` / `for B`: no name of its own)
        got = definition(k, lang)
        if got is None:
            if _class_field_twice(out, i, k, lang, keys):
                return (f"`{k[:50]}` would set a field the class already sets (an edited "
                        "copy, with the old one kept?)")
            continue
        if i and keys[i - 1][:1] == "@":
            continue  # (`@x.setter`, `@overload`: a second definition by design)
        name = got[1].split(".")[-1]
        if names is None:
            names = "\n".join(orig_lines)
        if name not in names:
            continue  # a name the original never mentions
        if any(name in x and definition(x, lang) == got for x in _kept_siblings(out, i, keys)):
            return (f"`{k[:50]}` would be defined twice in one block (an edited copy, with "
                    "the old one kept?)")
    return None


_DECLARES = re.compile(r"(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\b")
_C_DECLARES = re.compile(r"(?:static\s+)?(?:const\s+)?(?:unsigned\s+)?[A-Za-z_]\w*\s+\**"
                         r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*=")
_C_LIKE = frozenset("c h cc cpp hpp cxx".split())


def redeclared(out, lang: str) -> str | None:  # noqa: ANN001
    """A top-level `const X = ...` (`var`, `let`; C's `static const int X = ...`) the merge
    adds where a kept top-level line declares X too: an edited value written away from its
    line (after another chunk), the old declaration kept by a marker."""
    pattern = _C_DECLARES if lang in _C_LIKE else _DECLARES
    lines, source = out.lines, out.source
    new: dict[str, str] = {}
    for i in [i for i, src in enumerate(source) if src < 0]:
        line = lines[i]
        if line[:1] not in " \t" and line.strip():
            m = pattern.match(line)
            if m:
                new[m.group(1)] = line.strip()
    if not new:
        return None
    for i, src in enumerate(source):
        line = lines[i]
        if src >= 0 and line[:1] not in " \t":
            m = pattern.match(line)
            if m and m.group(1) in new:
                return (f"`{new[m.group(1)][:50]}` would declare `{m.group(1)}` a second time "
                        "(an edited value away from its line, the old one kept?)")
    return None


def _class_field_twice(out, i: int, k: str, lang: str,  # noqa: ANN001
                       keys: list[str]) -> bool:
    """Does new line *i* (`sku = models.CharField(...)`) set a name that a kept line sets at
    the same depth of the same class body?"""
    if "=" not in k and ":" not in k:
        return False  # (slot_key gives `set:` only for `x = ...`, `x := ...` or `key: ...`)
    slot = slot_key(k)
    if slot is None or not slot.startswith("set:"):
        return False
    lines = out.lines
    ind = indent_of(lines[i])
    head = next((keys[j] for j in range(i - 1, -1, -1)
                 if keys[j] and indent_of(lines[j]) < ind), "")
    got = definition(head, lang)
    if got is None or got[0] != "type":
        return False
    name = slot[4:]
    return any(name in x and slot_key(x) == slot for x in _kept_siblings(out, i, keys))


def _kept_siblings(out, i: int, keys: list[str]) -> Iterator[str]:  # noqa: ANN001
    """The original's lines kept at output line *i*'s depth in the block around it (stripped),
    nearest first on each side. *keys*: the output's lines, stripped."""
    lines, source = out.lines, out.source
    n = len(lines)
    ind = indent_of(lines[i])
    for step in (-1, 1):
        j = i + step
        while 0 <= j < n:
            key = keys[j]
            if key:
                d = indent_of(lines[j])
                if d < ind:
                    break  # left the block
                if d == ind and source[j] >= 0:
                    yield key
            j += step


def duplicate_label(out, keys: list[str]) -> str | None:  # noqa: ANN001
    """A branch label the merge adds (`default:`, `{:else}`) that the same block already has:
    the snippet's copy was the original's label, shown with its body elided. *keys*: the
    output's lines, stripped."""
    source = out.source
    for i in range(len(keys)):
        if source[i] >= 0:
            continue
        k = keys[i]
        if not k or _LABEL.match(k) is None:
            continue
        if k in _kept_siblings(out, i, keys):
            return f"`{k[:50]}` would appear twice in one block (its body elided?)"
    return None


def replaced_anonymous(al: Aligner) -> str | None:
    """A nameless block header found once (`useEffect(() => {`, `beforeEach(() => {`) whose
    body the snippet writes out with none of the original body's lines: that block rewritten,
    or a new one beside it whose old twin a marker elides? Not said."""
    s_doc, o_doc, match = al.s, al.o, al.match
    for s, o in match.items():
        key = s_doc.keys[s]
        if not _HOOK.match(key):
            continue
        se, oe = al.sb.end(s), al.ob.end(o)
        if se is None or oe is None:
            continue
        mine = range(s + 1, se[0] + 1)
        if any(s_doc.kinds[i] != CODE for i in mine) or any(
                i in match and not is_trivial(s_doc.keys[i]) for i in mine[:-1]):
            continue  # (a marker inside, or lines of the old body shown: an edit of it)
        theirs = [k for k in o_doc.keys[o + 1:oe[0]] if k and not is_trivial(k)]
        if len(theirs) >= 2 and not any(k in al.counts for k in theirs):
            return (f"`{key[:50]}` is written with a body that shares no line with the "
                    "original's: that block rewritten, or a new one beside it? Not merged")
    return None


# a block opened by a call with a callback and no name of its own (hooks, test setup)
_HOOK = re.compile(
    r"(?:(?:[\w.]+\.)?(?:use[A-Z]\w*|beforeEach|afterEach|beforeAll|afterAll|before|after|"
    r"setup|teardown|onMounted|onUnmounted|watchEffect|setTimeout|setInterval)\b.*"
    r"(?:=> \{|function\s*\([^)]*\)\s*\{|\bdo(?:\s*\|[^|]*\|)?)"
    r"|(?:go|defer) func\([^)]*\)\s*\{)$")


_NUMBERED_ITEM = re.compile(r"(?:(?:#|//|--|\*)\s*)?\(?\d+(?:[.)]|\s+-)\s+(\S.*)")


def renumbered_twice(keys: list[str], source: list[int]) -> str | None:
    """A numbered step written anew (`4. Open a pull request`) while the original's copy of it
    stays (`3. Open a pull request`): the snippet renumbered a list it shows whole, and the
    old list, kept as if elided, would follow the new one. Not merged."""
    new: dict[str, int] = {}
    kept: dict[str, int] = {}
    for i, (k, src) in enumerate(zip(keys, source, strict=True)):
        m = _NUMBERED_ITEM.fullmatch(k) if k[:1].isdigit() or k[:1] in "#/-*(" else None
        if m:
            (kept if src >= 0 else new)[m.group(1)] = i
    # (the same list: the old copy within a few lines; another list may repeat a step)
    both = {t for t, i in new.items() if t in kept and abs(kept[t] - i) <= 12}
    if both:
        return (f"the step `{min(both)[:60]}` would be listed twice under two numbers "
                "(a list renumbered, the old one kept?)")
    return None
