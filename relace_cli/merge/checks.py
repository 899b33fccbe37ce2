"""Checks on an alignment and on the assembled result that turn a doubtful merge into an
abstention (`Refuse` with a one-line reason): lines lost without trace, markers left behind,
context repeated, decorators duplicated, Markdown fences left open, `...` bodies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from relace_cli.merge.align import Aligner
from relace_cli.merge.assemble import Refuse
from relace_cli.merge.attached import is_decorator, is_generic_decorator
from relace_cli.merge.blocks import Blocks, bracket_chars
from relace_cli.merge.defs import OVERLOADING, definition
from relace_cli.merge.guards import (
    distinctive,
    duplicate_key,
    duplicated,
    leftover_marker,
    repeated_context,
    slot_key,
)
from relace_cli.merge.text import (
    CODE,
    MARKDOWN,
    PYTHONIC,
    SOFT,
    Doc,
    family,
    indent_of,
    is_closer,
    is_trivial,
)

# A merge that deletes more than this share of the original's non-blank lines, with no trace
# of them anywhere in the snippet, is refused.
MAX_LOST_SHARE = 0.4
MIN_LOST_LINES = 4


def check_open_ends(al: Aligner) -> None:
    """A fragment whose function ends inside a nested block (`with ...:` / `    f.write(x)`)
    does not show where the function ends: when the original's function goes on past the
    last line the fragment matched, it is unclear whether those lines stay."""
    skeys, okeys, skinds = al.s.keys, al.o.keys, al.s.kinds
    match = al.match
    lang = al.sb.lang
    for s in sorted(match):
        got = al.sb.end(s)
        if got is None or got[1] or al._innermost(s, got[0]):
            continue
        kind = definition(skeys[s], lang)
        if kind is None or kind[0] != "fn":
            continue  # a class or a mapping shown in part keeps the rest: the usual reading
        s_end = got[0]
        nxt = s_end + 1
        while nxt < len(skeys) and not skeys[nxt] and skinds[nxt] == CODE:
            nxt += 1
        if nxt < len(skeys) and skinds[nxt] == CODE:
            continue  # more code follows inside the fragment: not its end
        o_got = al.ob.end(match[s])
        if o_got is None:
            continue
        inside = [match[x] for x in match if s < x <= s_end]
        if not inside:
            continue
        rest = [k for k in okeys[max(inside) + 1:o_got[0] + 1] if k]
        if rest:
            raise Refuse(
                f"the fragment ends inside a nested block of `{skeys[s][:50]}`; unclear whether "
                f"the original's remaining lines (`{rest[0][:40]}`...) stay"
            )


def check_prefix(al: Aligner) -> None:
    """A bare fragment that changes nothing, copying the original from its first line, several
    units without a gap, and stopping before the end: as the top of the file shown alone it
    would be pointless, so it reads as a complete file that deletes the rest - or as a copy cut
    short. Either way, not merged. (A prefix that changes something keeps the rest.)"""
    skeys, skinds, okeys = al.s.keys, al.s.kinds, al.o.keys
    units = skinds.count(SOFT) - 1
    if units < 2:
        return
    first_o = next((i for i, k in enumerate(okeys) if k), None)
    first_s = next((i for i, k in enumerate(skeys) if k), None)
    if first_o is None or first_s is None or al.match.get(first_s) != first_o:
        return
    tail = None
    for s0, s1, o0, o1 in al.gaps():
        if any(k for k in skeys[s0:s1]) or SOFT not in skinds[s0:s1]:
            continue  # an edit, or no elision
        code = [o for o in range(o0, o1) if okeys[o]]
        if not code:
            continue
        if all(is_trivial(okeys[o]) for o in code):
            return  # `}`: the fragment's own block end, left out
        if o1 < len(okeys) or s1 < len(skeys):
            return  # a gap in the middle: the fragment skips code, it is no copy of a prefix
        tail = code[0]
    if tail is None:
        return
    covered = sum(1 for k in okeys[:tail] if k)
    if covered < sum(1 for k in okeys if k) / 2:
        return
    raise Refuse(f"the snippet repeats the original unchanged from its first line and stops at "
                 f"line {tail}: does it delete the rest (`{okeys[tail][:40]}`...)? Not merged")


def _beheaded(out, orig: Doc, ob: Blocks, snip_keys: dict[str, int]) -> None:  # noqa: ANN001
    """A merge that deletes a definition's header (one the snippet never shows) but keeps
    the rest of its body: the deletion runs across a block boundary, as when context lines
    copied from a sibling function were anchored in that sibling."""
    for o0, o1, added in out.deleted:
        if added:
            continue  # (a header replaced by another: a rename)
        for o in range(o0, o1):
            k = orig.keys[o]
            if not k or k in snip_keys or is_trivial(k) or k[-1] not in ":{([" \
                    or indent_of(orig.lines[o]) > indent_of(orig.lines[o0]):
                continue  # (a block header, at the deletion's outer depth)
            if not any(orig.keys[j] for j in range(o0, o)):
                break  # the deletion starts at this header: whole blocks, or none of this
            got = ob.end(o)
            if got is not None and got[0] >= o1 \
                    and any(orig.keys[j] for j in range(o1, got[0] + 1)):
                raise Refuse(f"the merge would delete the end of one block and `{k[:50]}` but "
                             "keep the rest of its body; not merged")


def _replaced_definitions(out, orig: Doc, ob: Blocks, snip_keys: dict[str, int]) -> None:
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


def _closed_early(out, snip: Doc, orig: Doc, al: Aligner, snip_keys: dict[str, int]) -> None:
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


def _owner(doc: Doc, o: int) -> int:
    """The header of the innermost block holding line *o* (the nearest shallower line above),
    or -1 at the top level."""
    ind = indent_of(doc.lines[o])
    for j in range(o - 1, -1, -1):
        if doc.keys[j] and indent_of(doc.lines[j]) < ind:
            return j
    return -1


def _check_moved_body(out, orig: Doc) -> None:  # noqa: ANN001
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


def _check_bracket_balance(out, orig: Doc, ob: Blocks) -> None:  # noqa: ANN001
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


def check_result(out, snip: Doc, orig: Doc, mode: str, ob: Blocks, al: Aligner,
            orig_keys: set[str]) -> None:
    snip_keys = al.counts  # how often each code key occurs in the snippet
    # 1. pure deletions at the head or tail, of lines the snippet never mentions
    if mode == "markers":
        for o0, o1 in out.head_tail:
            lost = [k for k in orig.keys[o0:o1] if k and k not in snip_keys]
            if lost:
                where = "starts" if o0 == 0 else "ends"
                raise Refuse(
                    f"the snippet {where} without a marker but would delete lines "
                    f"{o0 + 1}-{o1} (`{lost[0][:50]}`...); add a marker to keep them"
                )
        for o0, o1, added in out.ends:  # `key = NEW` as the last line, for ten lines
            lost = [k for k in orig.keys[o0:o1] if k and k not in snip_keys]
            if len(lost) > added:
                where = "starts" if o0 == 0 else "ends"
                raise Refuse(
                    f"the snippet {where} without a marker but would replace lines "
                    f"{o0 + 1}-{o1} (`{lost[0][:50]}`...) with {added}; add a marker to keep them"
                )
    if mode == "markers":
        _closed_early(out, snip, orig, al, snip_keys)
    _replaced_definitions(out, orig, ob, snip_keys)
    _beheaded(out, orig, ob, snip_keys)
    # 2. anchors out of order (a moved line): deleting by context is no longer reliable
    if al.dropped and mode == "markers":
        for o0, o1, _added in out.deleted:
            gone = [k for k in orig.keys[o0:o1] if k and k not in snip_keys]
            if gone:
                s, _o = al.dropped[0]
                raise Refuse(f"anchor `{snip.keys[s][:50]}` is out of order (a moved line?), and "
                             f"the merge would delete `{gone[0][:40]}`")
    # 3. a large share of the original lost without trace
    lost_total = 0
    for o0, o1, added in out.deleted:
        lost = 0
        for k in orig.keys[o0:o1]:
            if k and k not in snip_keys:
                lost += 1
        lost_total += max(0, lost - added)
        if mode != "markers":
            _fragment_block_loss(o0, o1, orig, ob, snip_keys)
    nonblank = len(orig.keys) - orig.keys.count("")
    if lost_total >= MIN_LOST_LINES and lost_total > MAX_LOST_SHARE * nonblank:
        raise Refuse(
            f"the merge would delete {lost_total} of {nonblank} lines that the snippet does "
            "not account for"
        )
    _check_bracket_balance(out, orig, ob)
    _check_moved_body(out, orig)
    # 3. markers left behind
    new_lines = [line for line, src in zip(out.lines, out.source, strict=True) if src < 0]
    reason = leftover_marker(new_lines, orig_keys)
    if reason:
        raise Refuse(reason)
    if ob.lang in ("yaml", "yml"):
        reason = duplicate_key(out.lines, out.source)
        if reason:
            raise Refuse(reason)
    if ob.lang in PYTHONIC:
        _check_ellipsis_body(out)
    if ob.lang in MARKDOWN and _fences(out.lines) % 2 and not _fences(orig.lines) % 2:
        raise Refuse("the merge would leave a Markdown code fence unclosed")
    reason = _duplicate_label(out) or _duplicate_definition(out, ob.lang, orig.lines)
    if reason:
        raise Refuse(reason)
    # 4. context lines repeated around an insertion
    reason = repeated_context(out.lines, out.source, snip.keys)
    if reason:
        raise Refuse(reason)
    # 5. duplicated distinctive lines (an anchor out of order, an ambiguous insertion)
    # (only a line the original has can be repeated too often: see `duplicated`)
    inserted = {k for k in map(str.strip, new_lines) if k in orig_keys and distinctive(k)}
    if inserted and ob.lang in ("yaml", "yml"):  # a key of a new mapping (`environment:`):
        inserted = {k for k in inserted if not k.endswith(":")}  # see duplicate_key
    if inserted and any(k[0] in "@#[" for k in inserted):
        inserted -= _decorating_new_code(out, ob.lang, {snip.keys[s] for s, _o in al.dropped})
    if inserted:
        orig_count: dict[str, int] = {}
        for k in orig.keys:
            if k in inserted:
                orig_count[k] = orig_count.get(k, 0) + 1
        out_keys = [x.strip() for x in out.lines]
        allowed = dict(snip_keys)
        shown = set(al.match.values())
        for s, o in al.dropped:  # `self.total = 0` in a new method as in `__init__`: new code,
            k = snip.keys[s]     # unless the block holding the old copy is shown (a move)
            if k in inserted and _owner(orig, o) not in shown and al.inside_new_block(s):
                allowed[k] = allowed.get(k, 0) + orig_count.get(k, 0)
        reason = duplicated(out_keys, inserted, orig_count, allowed)
        if reason:
            for s, _o in al.dropped:
                if snip.keys[s] in reason:
                    raise Refuse(f"anchor `{snip.keys[s][:50]}` is out of order")
            raise Refuse(reason)


# a field or property: `public string Email { get; set; }`, `pub name: String,`, `int x;`
_DECLARATION = re.compile(
    r"^(?:(?:public|private|protected|internal|static|readonly|final|override|pub(?:\([\w:]+\))?)"
    r"\s+)*(?:[\w<>\[\]?,.]+\s+)?[A-Za-z_]\w*\s*(?::\s*[^=;]+)?\s*(?:[;={,]|$)")


_LABEL = re.compile(r"^(?:default\s*:|case\b.*:|\{:else\b.*\}|\{:then\b.*\}|\{:catch\b.*\})$")


def _duplicate_definition(out, lang: str, orig_lines: list[str]) -> str | None:  # noqa: ANN001
    """A definition the merge adds beside the original's one of the same name in the same
    block (`def dump` twice in `class Json`): an edited copy, its old self kept by a marker.
    Languages with overloading, and declarations ending in `;`, are left alone."""
    if lang in OVERLOADING:
        return None
    lines, source = out.lines, out.source
    names = None  # the original's text, joined on first need
    for i in [i for i, src in enumerate(source) if src < 0]:
        k = lines[i].strip()
        if not k or k[-1] == ";" or k[0] in "#/@*<" or k.startswith("impl"):
            continue  # (`impl Display for A` / `for B`: no name of its own)
        got = definition(k, lang)
        if got is None or (i and lines[i - 1].strip()[:1] == "@"):
            continue  # (`@x.setter`, `@overload`: a second definition by design)
        name = got[1].split(".")[-1]
        if names is None:
            names = "\n".join(orig_lines)
        if name not in names:
            continue  # a name the original never mentions
        if any(name in x and definition(x, lang) == got for x in _kept_siblings(out, i)):
            return (f"`{k[:50]}` would be defined twice in one block (an edited copy, with "
                    "the old one kept?)")
    return None


def _kept_siblings(out, i: int) -> Iterator[str]:  # noqa: ANN001
    """The original's lines kept at output line *i*'s depth in the block around it (stripped),
    nearest first on each side."""
    lines, source = out.lines, out.source
    n = len(lines)
    ind = indent_of(lines[i])
    for step in (-1, 1):
        j = i + step
        while 0 <= j < n:
            line = lines[j]
            if line.strip():
                d = indent_of(line)
                if d < ind:
                    break  # left the block
                if d == ind and source[j] >= 0:
                    yield line.strip()
            j += step


def _duplicate_label(out) -> str | None:  # noqa: ANN001
    """A branch label the merge adds (`default:`, `{:else}`) that the same block already has:
    the snippet's copy was the original's label, shown with its body elided."""
    lines, source = out.lines, out.source
    for i in range(len(lines)):
        k = lines[i].strip()
        if source[i] >= 0 or not k or _LABEL.match(k) is None:
            continue
        if k in _kept_siblings(out, i):
            return f"`{k[:50]}` would appear twice in one block (its body elided?)"
    return None


def _fences(lines: list[str]) -> int:
    return sum(1 for line in lines if line.lstrip().startswith(("```", "~~~")))


def _check_ellipsis_body(out) -> None:  # noqa: ANN001
    """Python: a body the merge would make a bare `...` - valid code, but far more often a
    model's way to say "unchanged" than a real stub: refused for an existing definition, and
    for a new one in a file that has no `...` stubs of its own."""
    lines, source = out.lines, out.source
    stubs = any(source[i] >= 0 and lines[i].strip() == "..." for i in range(len(lines)))
    for i in range(1, len(lines)):
        if source[i] < 0 and lines[i].strip() == "..." and lines[i - 1].rstrip().endswith(":") \
                and (source[i - 1] >= 0 or not stubs):
            raise Refuse(f"the body of `{lines[i - 1].strip()[:50]}` would become a bare `...`, "
                         "which may mean 'unchanged'; use a marker comment instead")


def _decorating_new_code(out, lang: str, moved: set[str]) -> set[str]:  # noqa: ANN001
    """Decorators the merge adds over a definition (`@Override` over a new method, `#[derive]`
    over an existing struct): a second use of such a line in the file is no duplicate, as long
    as it is the only one of its kind over that definition - and was not an anchor left out of
    order."""
    lines, source = out.lines, out.source
    found: set[str] = set()
    n = len(lines)
    for i in range(n):
        if source[i] >= 0:
            continue
        k = lines[i].strip()
        if not k or k[0] not in "@#[" or k in moved or not is_generic_decorator(k, lang):
            continue
        lo = i
        while lo > 0 and is_decorator(lines[lo - 1].strip(), lang):
            lo -= 1
        hi = i + 1
        while hi < n and is_decorator(lines[hi].strip(), lang):
            hi += 1
        stack = [x.strip() for x in lines[lo:hi]]
        if hi >= n or stack.count(k) != 1:
            continue
        head = lines[hi].strip()
        if hi + 1 < n and lines[hi + 1].strip() == "{":
            head += " {"  # an Allman-style header
        if indent_of(lines[i]) != indent_of(lines[hi]):
            continue  # a decorator sits at the indentation of what it decorates
        if definition(head, lang) is not None or _DECLARATION.match(head) \
                or (slot_key(head) or "").startswith("set:"):
            found.add(k)
    return found


def _fragment_block_loss(o0: int, o1: int, orig: Doc, ob: Blocks, snip_keys: dict) -> None:
    """A bare fragment that silently drops a whole definition of the original."""
    for j in range(o0, o1):
        k = orig.keys[j]
        if not k or k in snip_keys:
            continue
        got = ob.end(j)
        if got is None:
            continue
        end = got[0]
        if end < o1 and end > j:
            body = [x for x in orig.keys[j:end + 1] if x]
            if body and not any(x in snip_keys for x in body if distinctive(x)):
                raise Refuse(
                    f"the fragment would delete `{k[:50]}` (lines {j + 1}-{end + 1}) without "
                    "a marker or removal comment"
                )
