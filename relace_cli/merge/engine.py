"""Orchestration: classify the snippet, pick a mode, align, assemble, guard."""

from __future__ import annotations

import re

from relace_cli.markers import OPENERS, comment_body, is_marker_body
from relace_cli.merge.align import Aligner, StructureConflict
from relace_cli.merge.assemble import Assembler, Refuse
from relace_cli.merge.attached import is_decorator, is_generic_decorator
from relace_cli.merge.blocks import FLAT, Blocks
from relace_cli.merge.defs import anchor_definitions, definition
from relace_cli.merge.directives import find_removals
from relace_cli.merge.guards import (
    Ambiguous,
    distinctive,
    duplicate_key,
    duplicated,
    leftover_marker,
    repeated_context,
    slot_key,
)
from relace_cli.merge.imports import rewrite_header
from relace_cli.merge.text import (
    CODE,
    HARD,
    MARKDOWN,
    PYTHONIC,
    SOFT,
    Doc,
    guess_language,
    indent_of,
    is_closer,
    split,
)

# A merge that deletes more than this share of the original's non-blank lines, with no trace
# of them anywhere in the snippet, is refused.
MAX_LOST_SHARE = 0.4
MIN_LOST_LINES = 4
_BARE = frozenset(("...", "…", "// ...", "[...]"))


def merge_text(original: str, snippet: str, language: str | None) -> tuple[str, str]:
    """(merged text, strategy); raises Refuse with a one-line reason."""
    lang = guess_language(language, original, snippet)
    olines, ofinal = split(original)
    slines, _ = split(snippet)
    snip = Doc(slines, False)
    if not any(snip.keys):
        raise Refuse("the snippet is empty")
    whole = None
    orig = Doc(olines, ofinal)
    header = rewrite_header(olines, slines, lang, snip.keys, orig.keys)
    if isinstance(header, str):
        raise Refuse(header)
    if header is not None:  # the snippet's import header replaces the original's
        whole = _spans_whole(snip, orig)
        olines = header[0]
        original = "\n".join(olines) + ("\n" if ofinal and olines else "")
        orig = Doc(olines, ofinal)
    orig_keys = set(orig.keys)
    bodies = _classify(snip, orig_keys, lang)
    if lang == "yaml" and snip.keys.count("---") > orig.keys.count("---"):
        raise Refuse("the snippet starts a YAML document (`---`) the original does not have; "
                     "unclear which lines belong to it")
    removals = find_removals(snip, orig, lang, bodies, orig_keys)
    has_markers = HARD in snip.kinds  # (else every line is code, and some is not blank)
    # every non-blank line a marker (marker lines are never blank; no SOFT line yet)
    if has_markers and len(snip.keys) - snip.keys.count("") == snip.kinds.count(HARD):
        if not removals:
            return original, "noop"
        return removals.apply_to_original(orig), "removal"
    if not any(orig.keys):
        if has_markers:
            raise Refuse("the original is empty but the snippet elides code with markers")
        text = "\n".join(slines) + ("\n" if slines else "")
        return text, "whole-file"
    sb = None
    if has_markers:
        mode = "markers"
    elif _spans_whole(snip, orig) if whole is None else whole:
        mode = "whole-file"
        _check_first_indent(snip, orig)
    else:
        mode = "fragment"
        snip, sb = _with_soft_markers(snip, lang)
    if sb is None:
        sb = Blocks(snip, lang)
    ob = Blocks(orig, lang)
    al = Aligner(snip, orig, sb, ob)
    al.lenient = mode == "whole-file"
    try:
        al.run()
    except (StructureConflict, Ambiguous) as exc:
        raise Refuse(str(exc)) from None
    if mode == "markers":
        reason = anchor_definitions(al, lang)
        if reason:
            raise Refuse(reason)
    if not al.match and not al.def_anchors:
        repeated = [(k, len(al.pos[k])) for k in snip.keys
                    if k in al.pos and len(al.pos[k]) > 1 and distinctive(k)]
        if repeated:
            k, n = repeated[0]
            raise Refuse(f"anchor `{k[:50]}` appears {n} times in the original, and no line "
                         "of the snippet appears once")
        raise Refuse("no line of the snippet matches the original")
    if mode == "fragment":
        _check_open_ends(al)
    out = Assembler(al, lang, fragment=mode == "fragment").run()
    if removals:
        out = removals.apply(out, olines)
    _guards(out, snip, orig, mode, ob, al, orig_keys)
    lines = out.lines
    text = "\n".join(lines)
    if lines and (orig.final_newline or not original):
        text += "\n"
    return text, mode


def _classify(snip: Doc, orig_keys: set[str], lang: str) -> dict[int, str | None]:
    """Mark the snippet's marker lines; the comment body of every line that may be one."""
    bare_ok = lang not in PYTHONIC and lang != ""
    kinds = snip.kinds
    bodies: dict[int, str | None] = {}
    seen: dict[str, tuple[str | None, bool]] = {}  # key: (body, marker-looking), this call
    lines = snip.lines
    for i, key in enumerate(snip.keys):
        if not key:
            continue
        if key[0] in OPENERS:
            got = seen.get(key)
            if got is None:
                body = comment_body(key)
                got = seen[key] = body, body is not None and is_marker_body(body)
            body = bodies[i] = got[0]
            marker = got[1] and len(lines[i]) <= 300
        else:
            marker = False
        if marker:
            # a marker-looking comment that the original has verbatim is ordinary code
            if key in orig_keys and "..." not in key and "…" not in key:
                continue
            kinds[i] = HARD
        elif bare_ok and key in _BARE and key not in orig_keys:
            kinds[i] = HARD
    return bodies


def _spans_whole(snip: Doc, orig: Doc) -> bool:
    """The snippet starts and ends where the original does: a complete new file.

    Both ends must be distinctive lines that occur once in the original. A last line such as
    `}`, `pass` or `end` ends almost any snippet, so it counts only through the header of the
    block it closes (`class Cart {`, `def c():`), which must then be distinctive, the same in
    both texts and unique in the original.
    """
    fs, ls = _ends(snip.keys)
    fo, lo = _ends(orig.keys)
    if fs is None or fo is None or ls == fs or snip.keys[fs] != orig.keys[fo] \
            or snip.keys[ls] != orig.keys[lo]:
        return False
    first, last = snip.keys[fs], snip.keys[ls]
    if not distinctive(first) or orig.keys.count(first) != 1:
        return False
    if distinctive(last):
        return orig.keys.count(last) == 1
    hs, ho = _tail_header(snip, ls), _tail_header(orig, lo)
    if hs is None or ho is None:
        return False
    head = snip.keys[hs]
    return head == orig.keys[ho] and distinctive(head) and orig.keys.count(head) == 1 \
        and (hs == fs) == (ho == fo)


def _check_first_indent(snip: Doc, orig: Doc) -> None:
    """A complete file whose first line is indented deeper (relative to the rest) than the
    original's: a copy slip that would shift every line by the first line's offset."""
    def excess(doc: Doc) -> int:
        code = [i for i, k in enumerate(doc.keys) if k]
        rest = min((indent_of(doc.lines[i]) for i in code[1:]), default=0)
        return indent_of(doc.lines[code[0]]) - rest

    mine = excess(snip)
    if mine > 0 and mine != excess(orig):
        raise Refuse("the snippet's first line is indented unlike the rest of it; not merged")


def _ends(keys: list[str]) -> tuple[int | None, int | None]:
    first, n = 0, len(keys)
    while first < n and not keys[first]:
        first += 1
    if first == n:
        return None, None
    last = n - 1
    while not keys[last]:
        last -= 1
    return first, last


def _tail_header(doc: Doc, last: int) -> int | None:
    """The line that opens the block the last line ends: the nearest line above it at its
    indentation (a closer) or shallower (an indented body's last line)."""
    ind = indent_of(doc.lines[last])
    closer = is_closer(doc.keys[last])
    for j in range(last - 1, max(-1, last - 5000), -1):
        k = doc.keys[j]
        if not k:
            continue
        line = doc.lines[j]  # (indent_of, inlined)
        d = indent_of(line) if "\t" in line else len(line) - len(line.lstrip(" "))
        if d < ind or (closer and d == ind and not is_closer(k)):
            return j
        if closer and d == ind:
            return None  # `}` after `}`: some other block's end
    return None


def _check_open_ends(al: Aligner) -> None:
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


def _with_soft_markers(snip: Doc, lang: str) -> tuple[Doc, Blocks]:
    """A bare fragment: imply markers before, between and after its top-level units."""
    keys = snip.keys
    code = [i for i, k in enumerate(keys) if k]
    slines = snip.lines
    inds = {i: indent_of(line) if "\t" in line else len(line) - len(line.lstrip(" "))
            for i in code for line in (slines[i],)}  # (indent_of, inlined)
    base = min(inds.values())
    blocks = Blocks(snip, lang)
    cut_before: list[int] = []
    block_until = -1
    prev = -1
    for i in code:
        if inds[i] == base and i > block_until:
            if prev >= 0 and (i - prev > 1 or prev == block_until):
                cut_before.append(prev + 1)
            got = blocks.end(i)
            if got is not None:
                block_until = max(block_until, got[0])
        prev = i
    lines: list[str] = [""]
    new_keys: list[str] = [""]
    kinds: list[int] = [SOFT]
    info = blocks._info if blocks._filled else None  # the same per line: shared
    new_info = [FLAT]
    prev = 0
    for cut in cut_before:  # increasing
        lines += snip.lines[prev:cut]
        new_keys += snip.keys[prev:cut]
        kinds += [CODE] * (cut - prev)
        lines.append("")
        new_keys.append("")
        kinds.append(SOFT)
        if info is not None:
            new_info += info[prev:cut]
            new_info.append(FLAT)
        prev = cut
    lines += snip.lines[prev:]
    new_keys += snip.keys[prev:]
    kinds += [CODE] * (len(snip.lines) - prev)
    lines.append("")
    new_keys.append("")
    kinds.append(SOFT)
    doc = Doc.derived(lines, snip.final_newline, new_keys, kinds)
    new_blocks = Blocks(doc, lang)
    if info is not None:
        new_info += info[prev:]
        new_info.append(FLAT)
        new_blocks.share(new_info)
    return doc, new_blocks


def _guards(out, snip: Doc, orig: Doc, mode: str, ob: Blocks, al: Aligner,
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
        reason = duplicated(out_keys, inserted, orig_count, snip_keys)
        if reason:
            for s, _o in al.dropped:
                if snip.keys[s] in reason:
                    raise Refuse(f"anchor `{snip.keys[s][:50]}` is out of order")
            raise Refuse(reason)


# a field or property: `public string Email { get; set; }`, `pub name: String,`, `int x;`
_DECLARATION = re.compile(
    r"^(?:(?:public|private|protected|internal|static|readonly|final|override|pub(?:\([\w:]+\))?)"
    r"\s+)*(?:[\w<>\[\]?,.]+\s+)?[A-Za-z_]\w*\s*(?::\s*[^=;]+)?\s*(?:[;={,]|$)")


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
