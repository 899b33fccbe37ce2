"""Checks on an alignment and on the assembled result that turn a doubtful merge into an
abstention (`Refuse` with a one-line reason): lines lost without trace, markers left behind,
context repeated, decorators duplicated, Markdown fences left open, `...` bodies.
"""

from __future__ import annotations

import re

from relace_cli.markers import comment_body, in_strings
from relace_cli.merge.align import Aligner
from relace_cli.merge.assemble import Refuse
from relace_cli.merge.attached import (
    doubled_line,
    is_decorator,
    is_generic_decorator,
)
from relace_cli.merge.blockchecks import (
    beheaded,
    bracket_balance,
    closed_early,
    duplicate_definition,
    duplicate_label,
    end_balance,
    moved_body,
    redeclared,
    renumbered_twice,
    replaced_anonymous,
    replaced_definitions,
)
from relace_cli.merge.blocks import Blocks
from relace_cli.merge.defs import definition
from relace_cli.merge.guards import (
    distinctive,
    duplicate_key,
    duplicated,
    leftover_marker,
    repeated_context,
    similar,
    slot_key,
)
from relace_cli.merge.pyshape import new_problem
from relace_cli.merge.text import (
    CODE,
    MARKDOWN,
    PYTHONIC,
    SOFT,
    Doc,
    indent_of,
    is_trivial,
)

# style sheets and data files: a rule or object is a set of keys, shown in part to change some
_KEYED_DATA = frozenset("css scss less json jsonc json5 yaml yml toml".split())
_ITEM_NAME = re.compile(r"(?:- )?[\"']?([\w.\-\[\]/@]+)")
_CSS_VAR = re.compile(r"(--[\w-]+|\$[\w-]+)\s*:")

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


def check_skipped_units(al: Aligner) -> None:
    """A bare fragment that starts at the file's first line (`import os`) and shows several
    units, leaving out a whole definition between two it shows: a complete file that deleted
    it, or a fragment that elided it? Not merged."""
    skeys, skinds, okeys = al.s.keys, al.s.kinds, al.o.keys
    if skinds.count(SOFT) < 3:  # (soft markers around at least two units)
        return
    first_o = next((i for i, k in enumerate(okeys) if k), None)
    first_s = next((i for i, k in enumerate(skeys) if k), None)
    if first_o is None or first_s is None or al.match.get(first_s) != first_o:
        return
    lang = al.sb.lang
    for s0, s1, o0, o1 in al.gaps():
        if s0 == 0 or s1 >= len(skeys) or any(skeys[s0:s1]) or SOFT not in skinds[s0:s1]:
            continue  # (only an implied elision between two shown units)
        head = next((o for o in range(o0, o1) if okeys[o] and indent_of(al.o.lines[o]) == 0
                     and definition(okeys[o], lang) and okeys[o] not in al.counts), None)
        if head is not None and _defines(skeys[:s0], lang) and _defines(skeys[s1:], lang):
            # (between two definitions it shows: not an import header above one definition)
            raise Refuse(f"the snippet starts like the whole file but leaves out "
                         f"`{okeys[head][:50]}`: deleted, or elided? Not merged")


_ELISION_WORDS = re.compile(r"\b(?:unchanged|omitted|for brevity|as before|same as before|"
                            r"snip(?:ped)?|elided|rest of)\b", re.I)


def _elision_in_words(new_lines: list[str], orig_keys: set[str]) -> str | None:
    """A new comment that says code is left out in words the marker grammar does not take
    (`// helpers unchanged`, `# other fields unchanged`): written into the file, it would
    stand for code that is not there."""
    for line in new_lines:
        k = line.strip()
        if k and k[0] in "/#-<{;%(" and k not in orig_keys:
            body = comment_body(k)
            if body is not None and len(body.split()) <= 8 and _ELISION_WORDS.search(body):
                return (f"the comment `{k[:50]}` reads like an elision the snippet means; "
                        "use a `... existing code ...` marker")
    return None


def _defines(keys: list[str], lang: str) -> bool:
    return any(k and definition(k, lang) for k in keys)


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


_FIRST_WORD = re.compile(r"[\w.$@#-]+")


def _edit_of(new: str, old: str) -> bool:
    """Does line *new* read as an edit of line *old*: alike, setting the same name, or
    starting with the same word (`def get_users(` / `def fetch_users(`, `CMD [...]`)?"""
    if similar(new, old):
        return True
    slot = slot_key(new)
    if slot is not None and slot == slot_key(old):
        return True
    a, b = _FIRST_WORD.match(new), _FIRST_WORD.match(old)
    if a is None or b is None:
        return False
    x, y = a.group(), b.group()  # (`self.cache.clear()` edits `self.cache = {}`)
    return x == y or x.startswith(y + ".") or y.startswith(x + ".")


def _owner(doc: Doc, o: int) -> int:
    """The header of the innermost block holding line *o* (the nearest shallower line above),
    or -1 at the top level."""
    inds = doc.indents()
    ind = inds[o]
    for j in range(o - 1, -1, -1):
        if doc.keys[j] and inds[j] < ind:
            return j
    return -1


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
        for o0, o1, added, s0, s1 in out.ends:  # `key = NEW` as the last line, for ten lines
            lost = [k for k in orig.keys[o0:o1] if k and k not in snip_keys]
            where = "starts" if o0 == 0 else "ends"
            if len(lost) > added:
                raise Refuse(
                    f"the snippet {where} without a marker but would replace lines "
                    f"{o0 + 1}-{o1} (`{lost[0][:50]}`...) with {added}; add a marker to keep them"
                )
            inds = snip.indents()  # (the replacement's outermost lines: `return x` in a new
            top = min((inds[i] for i in range(s0, s1) if snip.keys[i]), default=0)  # function
            new = [snip.keys[i] for i in range(s0, s1) if snip.keys[i] and inds[i] == top]
            # is no edit of a module's last `return Queue`)
            if lost and ob.lang not in MARKDOWN and not any(
                    _edit_of(a, b) for a in new for b in lost):
                # `app.listen(PORT)` in place of a new route: appended without a marker
                raise Refuse(
                    f"the snippet {where} without a marker but would replace `{lost[0][:50]}` "
                    "with lines unlike it; add a marker to keep it"
                )
    if mode == "markers":
        closed_early(out, snip, orig, al, snip_keys)
    replaced_definitions(out, orig, ob, snip_keys)
    reason = replaced_anonymous(al)
    if reason:
        raise Refuse(reason)
    beheaded(out, orig, ob, snip_keys)
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
            if ob.lang in _KEYED_DATA and mode == "fragment":
                _fragment_key_loss(o0, o1, orig, snip)
            if ob.lang in MARKDOWN and mode == "fragment":
                _fragment_text_loss(o0, o1, added, orig, snip_keys)
    nonblank = len(orig.keys) - orig.keys.count("")
    if lost_total >= MIN_LOST_LINES and lost_total > MAX_LOST_SHARE * nonblank:
        raise Refuse(
            f"the merge would delete {lost_total} of {nonblank} lines that the snippet does "
            "not account for"
        )
    bracket_balance(out, orig, ob)
    end_balance(out, orig, ob.lang)
    moved_body(out, orig)
    # 3. markers left behind
    out_keys = [x.strip() for x in out.lines]  # (once, for the checks below)
    new_lines = [line for line, src in zip(out.lines, out.source, strict=True) if src < 0]
    if ob.lang in PYTHONIC and any('"""' in x or "'''" in x for x in new_lines):
        inside = in_strings(out_keys)  # (text in a string is no marker)
        new_lines = [line for line, src, s in zip(out.lines, out.source, inside, strict=True)
                     if src < 0 and not s]
    reason = leftover_marker(new_lines, orig_keys) or _elision_in_words(new_lines, orig_keys)
    if reason:
        raise Refuse(reason)
    if ob.lang in ("yaml", "yml"):
        reason = duplicate_key(out.lines, out.source)
        if reason:
            raise Refuse(reason)
    if ob.lang in PYTHONIC:
        _check_ellipsis_body(out)
        reason = new_problem(out.lines, out.source, orig.lines)
        if reason:
            raise Refuse(f"the merge would leave invalid Python: {reason}")
    if ob.lang in MARKDOWN and _fences(out.lines) % 2 and not _fences(orig.lines) % 2:
        raise Refuse("the merge would leave a Markdown code fence unclosed")
    reason = duplicate_label(out, out_keys) \
        or duplicate_definition(out, ob.lang, orig.lines, out_keys) \
        or (redeclared(out, ob.lang) if ob.lang not in PYTHONIC else None) \
        or doubled_line(out.lines, out.source, out_keys, ob.lang) \
        or renumbered_twice(out_keys, out.source)
    if reason:
        raise Refuse(reason)
    # 4. context lines repeated around an insertion
    reason = repeated_context(out.lines, out.source, snip.keys, out_keys)
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
        allowed = dict(snip_keys)
        shown = set(al.match.values())
        for s, o in al.dropped:  # `self.total = 0` in a new method as in `__init__`: new code,
            k = snip.keys[s]     # unless the block holding the old copy is shown (a move)
            if k in inserted and _owner(orig, o) not in shown and al.inside_new_block(s):
                allowed[k] = allowed.get(k, 0) + orig_count.get(k, 0)
        for s, _o in al.copied:  # `build: .` of a new service, copied from another one
            k = snip.keys[s]
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


def _fragment_key_loss(o0: int, o1: int, orig: Doc, snip: Doc) -> None:
    """A bare fragment of a style sheet or data file that shows a rule or object with some of
    its keys (`:root {` / `--primary: #4f46e5;` / `}`): the keys it leaves out are more
    likely kept than deleted, but the fragment does not say. Not merged."""
    def slot(key: str) -> str | None:
        if key.startswith("- name:") or (key[:2] == "- " or key[:1] in "\"'") \
                and ":" not in key.replace("://", ""):  # an item (`- name: Lint`, `"rich",`)
            m = None if key.startswith("- name:") else _ITEM_NAME.match(key)  # (by its name:
            # `"mypy>=1.8",` edits `"mypy>=1.7",`)
            return f"item:{m.group(1) if m else key.rstrip(',')}"
        m = _CSS_VAR.match(key)
        return f"set:{m.group(1)}" if m else slot_key(key)

    shown = {slot(k) for k in snip.keys if k}
    for k in orig.keys[o0:o1]:
        got = slot(k) if k else None
        if got is not None and got not in shown and k not in snip.keys:
            raise Refuse(f"the fragment leaves out `{k[:50]}`: deleted, or kept as it is? "
                         "Use a `... existing ...` marker to keep the rest")


def _fragment_text_loss(o0: int, o1: int, added: int, orig: Doc, snip_keys: dict) -> None:
    """A Markdown section shown without markers that leaves out lines of the original's
    section (a closing sentence, with no lines written in its place; an example block in any
    case): shortened on purpose, or shown in part? Not merged."""
    lost = [k for k in orig.keys[o0:o1] if k and k not in snip_keys]
    if lost and (not added or any(k.startswith(("```", "~~~")) for k in lost)):
        raise Refuse(f"the section leaves out `{lost[0][:50]}`: deleted, or kept as it is? "
                     "Use a marker comment to keep it")
