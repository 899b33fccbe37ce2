"""Orchestration: classify the snippet, pick a mode, align, assemble, guard."""

from __future__ import annotations

from relace_cli.markers import OPENERS, comment_body, in_strings, is_marker_body
from relace_cli.merge.align import TAG_ENDS, Aligner, StructureConflict
from relace_cli.merge.append import append_at_end
from relace_cli.merge.assemble import Assembler, Refuse
from relace_cli.merge.blocks import FLAT, Blocks
from relace_cli.merge.checks import (
    check_open_ends,
    check_prefix,
    check_result,
    check_skipped_units,
)
from relace_cli.merge.defs import anchor_definitions, definition
from relace_cli.merge.directives import find_removals
from relace_cli.merge.edges import check_edges, implied_head
from relace_cli.merge.guards import (
    Ambiguous,
    distinctive,
)
from relace_cli.merge.imports import rewrite_header
from relace_cli.merge.indent import match_indent_style, uses_tabs
from relace_cli.merge.keyed import keyed_edit
from relace_cli.merge.lastresort import label_anchor, wrap_anchor
from relace_cli.merge.text import (
    CODE,
    HARD,
    MARKDOWN,
    PYTHONIC,
    SOFT,
    STYLES,
    Doc,
    guess_language,
    is_closer,
    is_trivial,
    reindent,
    split,
)

_PY_BARE = frozenset(("...", "…", "[...]"))  # never Python code mid-body
_PROSE = frozenset("txt text".split())
_BARE = frozenset(("...", "…", "// ...", "[...]"))


def merge_text(original: str, snippet: str, language: str | None) -> tuple[str, str]:
    """(merged text, strategy); raises Refuse with a one-line reason.

    Where the first reading abstains, a second one also places a line the original repeats
    by the header it sits under in the snippet (see `Aligner.scoped`); its own abstention is
    not reported: the first reason is the one that explains the snippet."""
    seen: list[int] = []  # the lines the second reading would place (none: no retry)
    try:
        return _merge_text(original, snippet, language, seen)
    except Refuse as exc:
        if not seen:
            raise
        first = exc
    try:
        return _merge_text(original, snippet, language, None)
    except Refuse:
        raise first from None


def _merge_text(original: str, snippet: str, language: str | None,
                seen: list[int] | None) -> tuple[str, str]:
    """*seen*: the first reading, noting there the lines a second would place by their
    header; None: the second reading."""
    lang = guess_language(language, original, snippet)
    olines, ofinal = split(original)
    given = olines
    tabs = uses_tabs(olines, lang)
    slines = match_indent_style(split(snippet)[0], olines, lang, tabs)
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
    bodies = _classify(snip, orig_keys, lang, olines)
    if lang and lang not in MARKDOWN and lang not in _PROSE:  # (unknown: it may be text)
        check_edges(snip, orig_keys)
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
    if has_markers and not _markers_inside_only(snip, lang):
        mode = "markers"
    elif has_markers:  # `func f() {` / `// ...` / edit / `// ...` / `}`: one unit, marked inside
        mode = "fragment"
        snip, sb = _with_soft_markers(snip, lang)
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
    al.scoped = seen
    al.lenient = mode == "whole-file"
    try:
        al.run()
    except (StructureConflict, Ambiguous) as exc:
        raise Refuse(str(exc)) from None
    if mode == "markers":
        reason = anchor_definitions(al, lang)
        if reason:
            raise Refuse(reason)
    if not al.match and not al.def_anchors:  # no line found once: try runs of lines
        again = Aligner(snip, orig, sb, ob)
        again.scoped = seen
        again.lenient = al.lenient
        try:
            again.run(runs=True)
        except (StructureConflict, Ambiguous) as exc:
            raise Refuse(str(exc)) from None
        if again.match and not any(
                k and kind == CODE and i not in again.match and k in again.pos
                and not is_trivial(k)
                for i, (k, kind) in enumerate(zip(snip.keys, snip.kinds, strict=True))):
            al = again  # (else a line left over is found elsewhere: the runs may be wrong)
    if not al.match and not al.def_anchors and mode == "markers":
        lines = append_at_end(snip, orig, lang)
        if lines is not None and tabs:  # (a tab-indented file: a Makefile recipe needs tabs)
            lines = [x if x[:1] != " " else reindent(x, 0, True) for x in lines]
        if lines is not None:
            return "\n".join(lines) + ("\n" if orig.final_newline else ""), "append"
    if not al.match and not al.def_anchors:
        lines = keyed_edit(snip, orig, lang)
        if lines is not None:
            return "\n".join(lines) + ("\n" if orig.final_newline else ""), "keyed"
        last = wrap_anchor(al) or label_anchor(al)
        if last is not None:
            al = last
    if not al.match and not al.def_anchors:
        repeated = [(k, len(al.pos[k])) for k in snip.keys
                    if k in al.pos and len(al.pos[k]) > 1 and distinctive(k)]
        if repeated:
            k, n = repeated[0]
            raise Refuse(f"anchor `{k[:50]}` appears {n} times in the original, and no line "
                         "of the snippet appears once")
        raise Refuse("no line of the snippet matches the original")
    if mode == "fragment":
        check_open_ends(al)
        check_skipped_units(al)
    keep_head = mode == "markers" and implied_head(al, ob)
    out = Assembler(al, lang, fragment=mode == "fragment", tabs=tabs, keep_head=keep_head).run()
    if removals:
        out = removals.apply(out, olines)
    check_result(out, snip, orig, mode, ob, al, orig_keys)
    if mode == "fragment" and out.lines == given:
        check_prefix(al)  # a no-op: unless the snippet deletes the rest
    lines = out.lines
    text = "\n".join(lines)
    if lines and (orig.final_newline or not original):
        text += "\n"
    return text, mode


def _classify(snip: Doc, orig_keys: set[str], lang: str,
              olines: list[str]) -> dict[int, str | None]:
    """Mark the snippet's marker lines; the comment body of every line that may be one."""
    bare_ok = lang not in PYTHONIC and lang != ""
    kinds = snip.kinds
    bodies: dict[int, str | None] = {}
    seen: dict[str, tuple[str | None, bool]] = {}  # key: (body, marker-looking), this call
    lines = snip.lines
    fenced = _fenced(snip.keys) if lang in MARKDOWN else None
    anchored = set()  # the code blocks (by number) with a line the original has
    if fenced is not None:
        for k, f in zip(snip.keys, fenced, strict=True):
            if f and k and k in orig_keys:
                anchored.add(f - 1)
    outside = None  # the original's keys outside its code fences (Markdown)
    strings = in_strings(snip.keys) if lang in PYTHONIC else None
    prev = ""
    for i, key in enumerate(snip.keys):
        if not key:
            continue
        if strings is not None and strings[i]:
            prev = key
            continue  # inside a triple-quoted string: `# ... your code here ...` is text
        if fenced is not None and fenced[i] and fenced[i] - 1 not in anchored:
            prev = key
            continue  # a new code block: `...` or `# ... your code ...` is its content
        if key in _PY_BARE and lang in PYTHONIC and key not in orig_keys:
            if key != "..." or not (prev.endswith(":") or prev[:1] in ("'", '"')):
                # (`def f():` or its docstring, then `...`: maybe a stub's body)
                kinds[i] = HARD
                prev = key
                continue
        if bare_ok and key in _BARE and key in orig_keys and fenced is not None:
            if outside is None:
                okeys = [x.strip() for x in olines]
                inside = _fenced(okeys)
                outside = {k for k, f in zip(okeys, inside, strict=True) if not f}
            if key not in outside:  # the original's `...` is a code block's output line
                kinds[i] = HARD
                prev = key
                continue
        if key == "..." and lang in _PROSE and key not in orig_keys:
            raise Refuse("a `...` line in a text file may be content or an elision; not merged")
        prev = key
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


def _fenced(keys: list[str]) -> list[int]:
    """For each line, the number (from 1) of the Markdown code block it lies inside, or 0
    (the fence lines themselves are outside)."""
    out = []
    fence = ""
    n = 0
    for k in keys:
        if fence:
            if k.startswith(fence) and not k[len(fence):].strip(fence[0]).strip():
                fence = ""
                out.append(0)
                continue
            out.append(n)
            continue
        if k.startswith(("```", "~~~")):
            fence = k[:3]
            n += 1
        out.append(0)
    return out


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
    if distinctive(last) and orig.keys.count(last) == 1:
        return True
    # (`return wrapper` ends several functions: the block it ends must be the same one)
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
        inds = doc.indents()
        rest = min((inds[i] for i in code[1:]), default=0)
        return inds[code[0]] - rest

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
    inds = doc.indents()
    ind = inds[last]
    closer = is_closer(doc.keys[last])
    for j in range(last - 1, max(-1, last - 5000), -1):
        k = doc.keys[j]
        if not k:
            continue
        d = inds[j]
        if d < ind or (closer and d == ind and not is_closer(k)):
            return j
        if closer and d == ind:
            return None  # `}` after `}`: some other block's end
    return None


def _markers_inside_only(snip: Doc, lang: str) -> bool:
    """The snippet starts and ends with code at its shallowest depth, and every marker of it
    is deeper: definitions with their bodies partly elided, and nothing said about the code
    around them - a fragment."""
    keys, kinds = snip.keys, snip.kinds
    if not keys or kinds[0] == HARD or kinds[-1] == HARD:
        return False  # (cheap exits first: a marker at either end)
    first, last = _ends([k if kinds[i] == CODE or not k else "" for i, k in enumerate(keys)])
    if first is None or kinds[first] != CODE or HARD in kinds[:first] or HARD in kinds[last:]:
        return False
    h = first
    while h < last and (keys[h][:1] == "@" or keys[h].startswith("#[") or not keys[h]):
        h += 1  # (`@Service` / `#[derive(Debug)]` above it)
    head = keys[h]
    if definition(head, lang) is None and not (head[-1] == "{" and lang in STYLES):
        return False  # a definition (or a CSS rule): not `{` of a JSON file, not `if ...`
    inds = snip.indents()
    base = inds[first]
    if inds[last] != base:
        return False  # (where a Python block shown so ends, the snippet does not say)
    return all(inds[i] > base for i, kind in enumerate(kinds) if kind == HARD) and \
        all(inds[i] >= base for i, k in enumerate(keys) if k and kinds[i] == CODE)


def _with_soft_markers(snip: Doc, lang: str) -> tuple[Doc, Blocks]:
    """A bare fragment: imply markers before, between and after its top-level units."""
    keys = snip.keys
    code = [i for i, k in enumerate(keys) if k]
    inds = snip.indents()
    base = min(inds[i] for i in code)
    blocks = Blocks(snip, lang)
    cut_before: list[int] = []
    block_until = -1
    prev = -1
    for i in code:
        if inds[i] == base and i > block_until:
            if prev == block_until and i - prev == 1 and keys[i] in TAG_ENDS:
                block_until = prev = i  # `<input` / attributes / `/>`: one element
                continue
            if prev >= 0 and (i - prev > 1 or prev == block_until):
                cut_before.append(prev + 1)
            got = blocks.end(i)
            if got is not None:
                block_until = max(block_until, got[0])
        prev = i
    lines: list[str] = [""]
    new_keys: list[str] = [""]
    kinds: list[int] = [SOFT]
    new_inds = [0]  # (a marker line is blank: column 0)
    info = blocks._info if blocks._filled else None  # the same per line: shared
    new_info = [FLAT]
    prev = 0
    for cut in cut_before:  # increasing
        lines += snip.lines[prev:cut]
        new_keys += snip.keys[prev:cut]
        kinds += snip.kinds[prev:cut]
        new_inds += inds[prev:cut]
        lines.append("")
        new_keys.append("")
        kinds.append(SOFT)
        new_inds.append(0)
        if info is not None:
            new_info += info[prev:cut]
            new_info.append(FLAT)
        prev = cut
    lines += snip.lines[prev:]
    new_keys += snip.keys[prev:]
    kinds += snip.kinds[prev:]
    new_inds += inds[prev:]
    lines.append("")
    new_keys.append("")
    kinds.append(SOFT)
    new_inds.append(0)
    doc = Doc.derived(lines, snip.final_newline, new_keys, kinds, new_inds)
    new_blocks = Blocks(doc, lang)
    if info is not None:
        new_info += info[prev:]
        new_info.append(FLAT)
        new_blocks.share(new_info)
    return doc, new_blocks
