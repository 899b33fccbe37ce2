"""What a snippet's first and last lines say: whether the lines above its first one are
elided though no marker says so, and whether an edge line is no code at all (a Markdown fence,
a sentence from the chat answer it was copied from)."""

from __future__ import annotations

import re

from relace_cli.merge.align import Aligner
from relace_cli.merge.attached import is_decorator
from relace_cli.merge.blocks import Blocks
from relace_cli.merge.gapchecks import Refuse
from relace_cli.merge.guards import import_like
from relace_cli.merge.text import CODE, Doc, is_comment, is_trivial

_FEW = 5  # lines above the snippet's first one that an edit may well delete
_HEADER = re.compile(r"(?:package|module|namespace|require|require_relative|use|using|"
                     r"library)\b|#include|#!|<\?php|['\"]use strict['\"]|---$|%YAML|#{1,6} \S|"
                     r"(?:apiVersion|kind|version|name|on|services|jobs|env|permissions|"
                     r"concurrency|stages|variables|title|description):")


def implied_head(al: Aligner, ob: Blocks) -> bool:
    """A snippet with markers whose first line is found inside a block, or opens one
    (`class Cache:` / `# ...`), shows where its edit goes: the lines above it are elided as if
    a marker came first, not deleted. Not so for a flat top-level first line (`import os` may
    follow a deleted `import sys`), nor when the snippet shows lines from above elsewhere."""
    snip, orig = al.s, al.o
    first = next(i for i, k in enumerate(snip.keys) if k)
    o = al.match.get(first)
    key = snip.keys[first]
    if not o or snip.kinds[first] != CODE or is_trivial(key) or len(al.pos[key]) != 1:
        return False  # (the first line must be found once: `}` or a repeated line is no anchor)
    above_keys = [k for k in orig.keys[:o] if k]
    if len(above_keys) <= _FEW and not any(_HEADER.match(k) or import_like(k) or
                                           is_comment(k, ob.lang) for k in above_keys):
        return False  # (a few statements above the first line shown: deleted on purpose?
        # With an import, a package line or a comment among them: the file's head, elided)
    inds = orig.indents()
    if not inds[o] and ob.end(o) is None:
        return False
    if inds[o] and not any(  # inside a block: some line above opens one holding it
            orig.keys[j] and inds[j] < inds[o] and (got := ob.end(j)) is not None
            and got[0] >= o for j in range(o - 1, max(-1, o - 200), -1)):
        return False  # (an indented line under no header: `x = 1` / `  y = 2`)
    above = next((orig.keys[j] for j in range(o - 1, -1, -1) if orig.keys[j]), "")
    if is_decorator(above, ob.lang):  # (`@staticmethod` over a shown `@lru_cache`: dropped?)
        return False
    shown = al.counts
    return not any(k in shown for k in orig.keys[:o] if k and not is_trivial(k))


_FENCE_LINE = re.compile(r"(?:```|~~~)[\w+#.-]*")
# `Here is the updated handler:`, `I added a test for the delete view.`: a sentence, no code
_SENTENCE = re.compile(r"[A-Z][a-z']*:?(?: [\w'`.,()/-]+){3,}[.:!]")
# a chat answer's own words: `**Updated `total`:**`, `I changed x = 1 in total():`, `Here's ...`
_CHAT = re.compile(r"\*\*[^*]+\*\*:?|(?:Here(?:'s| is| are)|I(?:'ve| have| changed| added| "
                   r"updated| removed| moved| renamed)|Now|Below|Note:|This (?:change|"
                   r"version|update)|The (?:updated|new|changed|full)|Add|Update|Replace) "
                   r"[^;{}]{10,}[.:]")


def check_edges(snip: Doc, orig_keys: set[str]) -> None:
    """A Markdown fence or a sentence of prose as the snippet's first or last line (copied
    with the code from a chat answer) is no code to merge: abstain rather than insert it."""
    code = [i for i, k in enumerate(snip.keys) if k and snip.kinds[i] == CODE]
    for i in {code[0], code[-1]} if code else ():
        k = snip.keys[i]
        if k in orig_keys:
            continue
        if _FENCE_LINE.fullmatch(k):
            raise Refuse(f"the snippet holds a Markdown code fence (`{k}`); pass only the code "
                         "inside it")
        if (_SENTENCE.fullmatch(k) and not any(c in k for c in '=;{}[]<>"')) \
                or _CHAT.fullmatch(k):
            raise Refuse(f"the snippet's line `{k[:50]}` reads as prose, not code; pass only "
                         "the code")
