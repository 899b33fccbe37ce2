"""Which lines may anchor, and small alignment rules around anchors (a mixin of `Aligner`).

Generic decorators anchor only with what they decorate; a bare YAML key only where its
neighbour agrees; a line nested in a block the original lacks is no gap anchor; bare keyword
openers, Allman braces and edited clause headers next to an anchor are the original's lines;
context shown between a marker and new lines is matched next to the anchor.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from relace_cli.linediff import common_ends
from relace_cli.merge.attached import is_decorator
from relace_cli.merge.closers import CloserRules
from relace_cli.merge.copies import CopyRules
from relace_cli.merge.guards import Ambiguous, edited, similar, slot_key
from relace_cli.merge.text import (
    CODE,
    HARD,
    OPENER_WORDS,
    PYTHONIC,
    Doc,
    indent_of,
    is_closer,
    is_trivial,
)

if TYPE_CHECKING:
    from relace_cli.merge.blocks import Blocks

ATTACHED_FIRST = frozenset("@#[")  # first characters of decorators / attributes
_MAX_STACK = 12
DATA = frozenset("yaml yml toml".split())
# key = value files: a name set again in another section is another setting
_SETTINGS = DATA | frozenset("ini cfg conf properties env json".split())
_DANGLING = frozenset("{[(,.+-*/&|=?:\\")  # a line ending so goes on below
_CONTINUES = frozenset(".?:&|+")  # a line starting so continues the one above
_ENDS_BODY = re.compile(r"(?:return|raise|throw|break|continue|exit)\b")  # nothing runs after
_MAKE = frozenset(("makefile", "mk", "make", "mak"))
# languages whose statements end with `;`: a line without one is no complete statement
_SEMICOLON = frozenset("java c h cc cpp hpp cs js jsx mjs cjs ts tsx mts cts rs php scala".split())


class AnchorRules(CopyRules, CloserRules):
    s: Doc
    o: Doc
    sb: Blocks
    pos: dict[str, list[int]]

    def add_match(self, s: int, o: int) -> bool:  # (Aligner's)
        raise NotImplementedError

    def decorates_alike(self, s: int, o: int) -> bool:
        """A decorator, annotation or attribute (`@Override`, `#[test]`) means nothing without
        what it decorates: it anchors only when the lines after it agree too (the same line,
        stacked decorators that agree in turn, the header of a definition of the same name,
        or a marker eliding the definition). Otherwise a new `@Override` method would take
        the place of an existing one."""
        lang = self.sb.lang
        skeys, okeys, skinds = self.s.keys, self.o.keys, self.s.kinds
        if not is_decorator(skeys[s], lang):
            return True
        ns, no = len(skeys), len(okeys)
        s0, o0 = s, o
        for _ in range(_MAX_STACK):
            s += 1
            while s < ns and not skeys[s] and skinds[s] == CODE:
                s += 1
            o += 1
            while o < no and not okeys[o]:
                o += 1
            if s < ns and skinds[s] == HARD and o < no and not is_decorator(okeys[o], lang):
                # `}` / `@Test` / `// ...`: the decorated definition elided - the original's
                # decorator shown as context, when what comes above it agrees too (else a
                # decorator added to an elided definition, or another definition's)
                return self._same_above(s0, o0)
            if s >= ns or o >= no or skinds[s] != CODE:
                return False
            a, b = skeys[s], okeys[o]
            if a != b:
                ka = slot_key(a)
                return ka is not None and ka.startswith("def:") and ka == slot_key(b)
            if not is_decorator(a, lang):
                return True
        return False

    def _decorates_new(self, s: int) -> bool:
        """Is snippet line *s* a decorator of a definition the original lacks?"""
        keys, kinds, lang = self.s.keys, self.s.kinds, self.sb.lang
        if not is_decorator(keys[s], lang):
            return False
        for j in range(s + 1, min(len(keys), s + _MAX_STACK)):
            if kinds[j] != CODE:
                return False
            if keys[j] and not is_decorator(keys[j], lang):
                return keys[j] not in self.pos
        return False

    def _statement_end(self, s: int, o: int, o1: int) -> int:
        """Snippet line *s*, complete in itself (brackets balanced, no dangling operator),
        edits original line *o*: the last line of the statement *o* starts (its brackets'
        end, then continuation lines such as `.orElseThrow()` or `? a : b`), within o1."""
        key = self.s.keys[s]
        if key[-1:] in _DANGLING or (self.sb._info[s] or self.sb.info(s))[0] != 0 \
                or (self.sb.lang in _SEMICOLON and key[-1:] not in ";}"):
            return o  # (`const rows = await replica` in a file of `;` statements: cut short)
        okeys, olines, ob = self.o.keys, self.o.lines, self.ob
        end = o
        if (ob._info[o] or ob.info(o))[0] > 0 or okeys[o][-1:] in "{[(":
            got = ob.end(o)
            if got is None or not got[1] or got[0] >= o1:
                return o
            end = got[0]
        ind = indent_of(olines[o])
        j = end + 1
        while j < o1 and okeys[j][:1] in _CONTINUES and indent_of(olines[j]) > ind:
            end = j
            j += 1
        nxt = next((k for k in self.s.keys[s + 1:s + 4] if k), None)
        if nxt is not None and nxt in okeys[o + 1:end + 1]:
            return o  # (the snippet goes on with a line of the old statement: not replaced)
        return end

    def _statement_start(self, s: int, o: int, lo: int) -> int | None:
        """Original line *o* ends a statement spread over lines (a closer, or a continuation
        line) whose first line, at or after *lo*, snippet line *s* edits, complete in itself:
        that first line, else None."""
        okeys, olines = self.o.keys, self.o.lines
        key = self.s.keys[s]
        if not key or not okeys[o] or (not is_closer(okeys[o]) and okeys[o][:1] not in _CONTINUES):
            return None
        st = o
        while st > lo and okeys[st][:1] in _CONTINUES:
            st -= 1
        if is_closer(okeys[st]):
            st = next((h for h in range(st - 1, max(lo - 1, st - 200), -1) if okeys[h]
                       and indent_of(olines[h]) == indent_of(olines[st])), -1)
            got = self.ob.end(st) if st >= lo else None
            if got is None or got[0] != o and got[0] + 1 != o:
                return None
        if st < lo or st == o or self._statement_end(s, st, o + 1) != o:
            return None
        if not (self._similar(s, st) or edited(key, okeys[st])):
            return None
        return st

    def _same_above(self, s: int, o: int) -> bool:
        """Do the lines above snippet line *s* and original line *o* agree, through the
        decorators stacked there up to the first other line (blank lines aside)?"""
        skeys, okeys, skinds, lang = self.s.keys, self.o.keys, self.s.kinds, self.sb.lang
        for _ in range(_MAX_STACK):
            s -= 1
            while s >= 0 and not skeys[s] and skinds[s] == CODE:
                s -= 1
            o -= 1
            while o >= 0 and not okeys[o]:
                o -= 1
            if s < 0 or o < 0 or skinds[s] != CODE or skeys[s] != okeys[o]:
                return False
            if not is_decorator(skeys[s], lang):
                return True
        return False

    def key_in_place(self, s: int, o: int) -> bool:
        """A bare mapping key (`with:`, `env:`) says little by itself: in data files it
        anchors only when the line above it (its parent or sibling) agrees, or is a marker -
        a different line above it means another mapping's key of the same name."""
        if self.sb.lang not in DATA or _BARE_KEY.match(self.s.keys[s]) is None:
            return True
        skeys, okeys, skinds = self.s.keys, self.o.keys, self.s.kinds

        def near(keys: list[str], i: int, step: int) -> int | None:
            i += step
            while 0 <= i < len(keys) and not keys[i]:
                i += step
            return i if 0 <= i < len(keys) else None

        ps, po = near(skeys, s, -1), near(okeys, o, -1)
        return ps is None or skinds[ps] != CODE or (po is not None and skeys[ps] == okeys[po])

    def _marker_next(self, s: int) -> bool:
        """Is the next non-blank snippet line after *s* a written marker? (`anchor / --- /
        <!-- ... -->`: the line between is the original's next line, not a new one)"""
        keys, kinds = self.s.keys, self.s.kinds
        j = s + 1
        while j < len(keys) and not keys[j] and kinds[j] == CODE:
            j += 1
        return j < len(keys) and kinds[j] == HARD

    def _elided_inside(self, s: int) -> bool:
        """Does a written marker elide part of the block opened on snippet line *s* (the lines
        below it that are deeper)? Then the snippet shows that block in part: the original's."""
        keys, kinds, inds = self.s.keys, self.s.kinds, self.s.indents()
        ind = inds[s]
        for j in range(s + 1, len(keys)):
            if kinds[j] == HARD:
                return inds[j] > ind or keys[s] == "{"
            if keys[j] and inds[j] <= ind:
                return False
        return False

    def _clause_edit(self, s: int, o: int) -> bool:
        """`except (A, B):` written where the original has `except A:`, right above the same
        (matched) body: the clause's header was edited, not a second clause added."""
        a, b = self.s.keys[s], self.o.keys[o]
        if not a or not b or s + 1 >= len(self.s.keys) or o + 1 >= len(self.o.keys):
            return False
        word = a.split(None, 1)[0].rstrip(":")
        if word not in _CLAUSES or b.split(None, 1)[0].rstrip(":") != word or a[-1] != b[-1]:
            return False
        # the body below is deeper in both, and the new header keeps the old one's condition
        # (`except A:` -> `except (A, B):`); `elif x:` -> `elif y:` may be a new branch
        sl, ol = self.s.lines, self.o.lines
        if indent_of(sl[s + 1]) <= indent_of(sl[s]) or indent_of(ol[o + 1]) <= indent_of(ol[o]):
            return False
        old = b[len(word):].strip(" :{}()").strip()
        return bool(old) and old in a[len(word):]

    def _similar(self, s: int, o: int) -> bool:
        """`similar`, except that setting a name the original sets more than once
        (`err = s.insert(u)`, `err = s.notify(u)`) says nothing about which line it edits."""
        a, b = self.s.keys[s], self.o.keys[o]
        if not similar(a, b):
            return False
        slot = slot_key(b)
        if slot is None or not slot.startswith("set:") or "=" not in b or self.sb.lang in _SETTINGS:
            return True
        # another assignment to the name in the same block: a sequence of steps
        name, inds, keys = slot[4:], self.o.indents(), self.o.keys
        ind = inds[o]
        for step in (-1, 1):
            j = o + step
            while 0 <= j < len(keys) and abs(j - o) <= 200:
                if keys[j]:
                    d = inds[j]
                    if d < ind:
                        break  # the block's header or end
                    if d == ind and name in keys[j] and slot_key(keys[j]) == slot:
                        return False
                j += step
        return True

    def backfill_labels(self) -> bool:
        """`default:` / `else {` left unmatched (too common to anchor on) right above its
        matched first body line, where the original has the same label right above that
        line: it is the original's label. True when a match was added."""
        keys, okeys, kinds, match = self.s.keys, self.o.keys, self.s.kinds, self.match
        added = False
        for h in [i for i, k in enumerate(keys) if k and k[-1] in ":{[(" and i + 1 in match
                  and i not in match]:
            g = match[h + 1] - 1
            if g < 0 or kinds[h] != CODE:
                continue
            k = keys[h]
            if not k or k != okeys[g] or not is_trivial(k):
                continue
            if not any(c.isalpha() for c in k) and not self._item_opener(h):
                continue  # (`{` alone: an Allman body, unless an item of a list)
            got = self.sb.end(h)
            if got is not None and self.add_match(h, g):
                added = True
        pos = self.pos
        for h in [i for i, k in enumerate(keys) if k and k in pos and len(pos[k]) == 1
                  and i not in match and k[0].isalpha() and kinds[i] == CODE
                  and self.counts.get(k) == 1 and is_trivial(k) and not is_closer(k)]:
            if self._label_owns_body(h, self.pos[keys[h]][0]):
                added = self.add_match(h, self.pos[keys[h]][0]) or added
        return added

    def _label_owns_body(self, h: int, g: int) -> bool:
        """`default:` / new line / matched line: the one `default:` of the original, when the
        snippet's lines under the label that are matched all lie in the body of the
        original's label (then the label is the original's: a new label would not hold
        existing lines; not a wrap either, the lines keep their block)."""
        mine, theirs = self.sb.end(h), self.ob.end(g)
        if mine is None or theirs is None:
            return False
        body = [self.match[j] for j in range(h + 1, mine[0] + 1) if j in self.match
                and not is_trivial(self.s.keys[j])]
        return bool(body) and all(g < o <= theirs[0] for o in body)

    def _item_opener(self, h: int) -> bool:
        """`{` alone opening an item of a list (after `[`, `},` or a marker), not a body."""
        keys, kinds = self.s.keys, self.s.kinds
        for j in range(h - 1, -1, -1):
            if kinds[j] != CODE:
                return True
            if keys[j]:
                return keys[j][-1] in "[," or keys[j] in ("},", "],")
        return True

    def _header_after_new(self, s: int, s1: int, o: int) -> None:
        """`anchor / NEW / try: / # ...` where the original has `try:` right after the anchor:
        that `try:` (too common to anchor on) is the original's, its body elided, and the new
        lines go above it."""
        keys, kinds, okeys = self.s.keys, self.s.kinds, self.o.keys
        while o < len(okeys) and not okeys[o]:
            o += 1
        if o >= len(okeys):
            return
        h = s
        while h < s1 and kinds[h] == CODE:
            k = keys[h]
            if k == okeys[o]:
                if h > s and is_trivial(k) and k[-1:] in ":{" and k[:1].isalpha() \
                        and self._marker_next(h) and all(keys[j] not in self.pos or not keys[j]
                                                         for j in range(s, h)):
                    self.add_match(h, o)
                return
            h += 1

    def _shown_in_part(self, s: int, s_end: int, o: int, o_end: int, shown: list[int]) -> bool:
        """A block (header *s*, original *o*) whose snippet body ends right before a shallower
        marker, with fewer lines after its last shown line than the original has there: the
        body shown in part (the rest stays) or all of a new body? `def f():` / a line of its
        body / a new line / `# ...`, or (Python) `def f():` / its first line edited / `# ...`."""
        keys, okeys = self.s.keys, self.o.keys
        if shown:
            last = shown[-1]
            if self.match.get(s_end) == o_end or HARD in self.s.kinds[last + 1:s_end + 1]:
                return False
            mine = sum(1 for k in keys[last + 1:s_end + 1] if k)
            theirs = sum(1 for k in okeys[self.match[last] + 1:o_end + 1] if k)
            if theirs > mine:
                return True
            # as many new lines as the original has left: not a rewrite of those lines when
            # the first sets another name than the first (`phone: str` after `email: str`,
            # where the original goes on with `address: str`): new fields, or replaced ones?
            a = next((j for j in range(last + 1, s_end + 1) if keys[j]), None)
            b = next((j for j in range(self.match[last] + 1, o_end + 1) if okeys[j]), None)
            if a is None or b is None:
                return False
            ka, kb = slot_key(keys[a]), slot_key(okeys[b])
            return ka is not None and kb is not None and ka[:4] == kb[:4] == "set:" \
                and ka != kb and not self._similar(a, b)
        if self.sb.lang not in PYTHONIC and self.sb.lang not in _MAKE:
            return False  # (Python bodies and Makefile recipes end by indentation alone)
        first = next((j for j in range(s + 1, s_end + 1) if keys[j]), None)
        ofirst = next((j for j in range(o + 1, o_end + 1) if okeys[j]), None)
        if first is None or ofirst is None:
            return False
        theirs = sum(1 for k in okeys[o + 1:o_end + 1] if k)
        mine = sum(1 for k in keys[s + 1:s_end + 1] if k)
        if (slot_key(keys[s]) or "")[:4] == "def:" and not self._similar(first, ofirst) \
                and mine >= 2 and 2 * mine >= theirs:
            return False  # a function's whole new body, written out (for a loop, unlikely;
            # one line in place of many reads as an edit of its first line just as well)
        return theirs > mine

    def _rest_stays(self, s: int, s_end: int, o: int, o_end: int, shown: list[int]) -> bool:
        """A body shown in part (see `_shown_in_part`) that the marker right below its last
        line goes on with (no blank line between: a body that looks complete is no hint), in
        Python or a Makefile recipe: the rest stays when the new lines are one line that edits
        the original line in its place (`def f():` / its first line edited / `# ...`), or,
        after lines of the body shown, lines right below them that end nothing (no `return`)
        and edit no line of the rest: lines inserted into the body. Not a first new line
        unlike the original's (its first line replaced, or a line added?), nor a new
        paragraph after a blank line (`model_config = ...` for `class Config:`)."""
        keys, okeys = self.s.keys, self.o.keys
        if self.sb.lang not in PYTHONIC and self.sb.lang not in _MAKE:
            return False
        if s_end + 1 >= len(keys) or self.s.kinds[s_end + 1] != HARD:
            return False
        inds = self.s.indents()
        inside = inds[s_end + 1] > inds[s]  # (else the marker may stand for the file's rest)
        last = shown[-1] if shown else s
        at = self.match[last] if shown else o
        new = [j for j in range(last + 1, s_end + 1) if keys[j]]
        rest = [j for j in range(at + 1, o_end + 1) if okeys[j]]
        if not new or not rest:
            return False
        if len(new) == 1 and self._like(new[0], rest[0], False):
            return True
        return bool(shown) and inside and new[0] == last + 1 \
            and not any(_ENDS_BODY.match(keys[j]) for j in new) \
            and not any(keys[j] != okeys[k] and self._like(j, k, True)
                        for j in new for k in rest)

    def _like(self, s: int, o: int, doubt: bool) -> bool:
        """Snippet line *s* is an edit of original line *o*: `_similar`, `edited` (*doubt*
        when a part is substituted: an edit or a new sibling), or a docstring for a docstring."""
        a, b = self.s.keys[s], self.o.keys[o]
        if self._similar(s, o) or (a[:3] == b[:3] and a[:3] in ('"""', "'''")):
            return True
        try:
            return edited(a, b)
        except Ambiguous:
            return doubt

    def _header_edit(self, s: int, o: int) -> bool:
        """`with raises(E, match="x"):` written where the original has `with raises(E):`,
        above the same first body line: the header was edited, not a block added beside it
        (a copy of the old body under a near-copy of its header)."""
        a, b = self.s.keys[s], self.o.keys[o]
        if not a or not b or a[-1] != b[-1] or a[-1] not in ":{>" \
                or s + 1 >= len(self.s.keys) or o + 1 >= len(self.o.keys):
            return False
        if a[-1] == ">" and (a[:1] != "<" or b[:1] != "<" or a[1:].split(None, 1)[0:1]
                             != b[1:].split(None, 1)[0:1] or a.endswith("/>")):
            return False  # (`<Button x>` for `<Button>`: one element's opening tag edited)
        body = self.s.keys[s + 1]
        if not body or body != self.o.keys[o + 1] or self.s.kinds[s + 1] != CODE:
            return False
        sl, ol = self.s.lines, self.o.lines
        if indent_of(sl[s + 1]) <= indent_of(sl[s]) or indent_of(ol[o + 1]) <= indent_of(ol[o]):
            return False
        if edited(a[:-1].rstrip(), b[:-1].rstrip()):
            return True
        # `if x <= 0 {` over the very block of `if x < 0 {` (same body, same closer, shown in
        # full): a second copy of that block would make no sense
        se, oe = self.sb.end(s), self.ob.end(o)
        if se is None or oe is None or not se[1] or not oe[1] or a.split()[0] != b.split()[0]:
            return False
        if HARD in self.s.kinds[s:se[0] + 1]:
            return False
        return [k for k in self.s.keys[s + 1:se[0] + 1] if k] == \
            [k for k in self.o.keys[o + 1:oe[0] + 1] if k]

    def _new_sibling(self, s: int, o: int, s1: int, o1: int) -> int:
        """Snippet line *s* opens a complete element (`<li>` ... `</li>`, `{` ... `},`) where the
        original's next element opens with the same line but holds other text: a new sibling
        inserted before it, not that element rewritten: the element's last line, else 0.
        Raises Ambiguous when the two bodies are neither alike nor plainly different."""
        k = self.s.keys[s]
        if not (k[:1] == "<" or k[-1:] == "(" or k in OPEN_BRACKETS):
            return 0  # an item of a list: not `if err != nil {` after its statement
        prev = next((x for x in reversed(self.s.keys[:s]) if x), "")
        if k in OPEN_BRACKETS:
            if prev[-1:] != "," and prev[:1] not in ")]}":
                return 0  # Allman: `if (x)` / `{` opens that statement's body
        se, oe = self.sb.end(s), self.ob.end(o)
        if se is None or oe is None:
            return 0
        s_end, o_end = se[0], oe[0]
        after = next((x for x in self.s.keys[s_end + 1:] if x), "")
        if k[:1] == "<" and prev not in (self.s.keys[s_end], after):
            return 0  # (after `<input />`, not after a `</li>` like its own: that element)
        if s_end <= s or s_end >= s1 or o_end >= o1 or HARD in self.s.kinds[s:s_end + 1]:
            return 0
        mine = [k for k in self.s.keys[s + 1:s_end + 1] if k]
        theirs = [k for k in self.o.keys[o + 1:o_end + 1] if k]
        if mine == theirs or any(k in theirs for k in mine if not (is_trivial(k) or is_closer(k))):
            return 0  # the same element, maybe edited in part
        # (closing lines are alike in any two elements: they do not count)
        a = "\n".join(k for k in mine if not is_closer(k))
        b = "\n".join(k for k in theirs if not is_closer(k))
        p, q = common_ends(a, b)
        share = (p + q) / max(len(a), len(b), 1)
        if share >= 0.8:
            return 0  # `/contact` -> `/contact-us`: an edit of that element
        if share <= 0.55:
            return s_end
        raise Ambiguous(f"`{self.s.keys[s][:40]}` may start a new element or rewrite the next one "
                        f"(`{theirs[0][:40]}`); the snippet does not say")

    def _context(self, options: list[tuple[int, range]], chunk: range, front: bool) -> None:
        """Match the context lines of *chunk* - its first (front) or last p lines - to the
        original lines *where*, for the one option (p, where) whose lines agree; the rest of the
        chunk is new. Two agreeing options (`x / x / NEW` above `x / x`): nothing is matched."""
        skeys, okeys = self.s.keys, self.o.keys
        fits = []
        for p, where in options:
            ctx = chunk[:p] if front else chunk[len(chunk) - p:]
            if all(skeys[i] == okeys[j] for i, j in zip(ctx, where, strict=True)) \
                    and any(skeys[i] and extendable(skeys[i]) for i in ctx):
                fits.append((ctx, where))
                if len(fits) > 1:
                    return
        if fits:
            ctx, where = fits[0]
            if any(skeys[i][:1] in ATTACHED_FIRST and not self.decorates_alike(i, j)
                   for i, j in zip(ctx, where, strict=True)):
                return
            # the new lines must read as new: none found in the original (else which copy is
            # context is anyone's guess), brackets balanced (they join no elided block)
            new = [i for i in chunk if i not in ctx]
            depth = 0
            infos, info = self.sb._info, self.sb.info
            for i in new:
                k = skeys[i]
                if k and k in self.pos and not is_trivial(k) and not (
                        (self.inside_new_block(i) or self._decorates_new(i))
                        and (len(self.pos[k]) > 1 or self.pos[k][0] in where)):
                    return  # (a new block may repeat boilerplate, or the context's lines;
                    # a new method's `@Bean` is as common as the next method's)
                net, low, _ = infos[i] or info(i)
                if depth + low < 0:
                    return
                depth += net
            if depth:
                return
            for i, j in zip(ctx, where, strict=True):
                self.add_match(i, j)


def opener_word(key: str) -> bool:
    """`else:`, `try {`, `begin`, `do`, `then`, an Allman `{`: a bare keyword (or brace) that
    opens a block. Right after an anchor and before a marker (`else:` / `# ...`), it is the
    original's line that follows the anchor, not a second one."""
    return key == "{" or key.strip("{}: ").lower() in OPENER_WORDS


_BARE_KEY = re.compile(r"^[\w.-]+:$")
_CLAUSES = frozenset("except elif rescue when catch".split())


def statement(key: str) -> bool:
    return not is_closer(key) and _BARE_WORD.fullmatch(key) is None \
        and any(c.isalnum() for c in key)


_BARE_WORD = re.compile(r"[\w.-]+:?")
OPEN_BRACKETS = frozenset(("{", "[", "("))


def extendable(key: str) -> bool:
    """Blank or distinctive lines, and Markdown code fences (next to a matched line, a fence
    is that block's own); `}` or `end` could close some other block."""
    return not key or not is_trivial(key) or key.startswith(("```", "~~~"))

