"""Explicit removal comments: `// remove fetchLegacy()`, `# delete: class OldParser`.

Only a comment standing alone between markers (or the snippet's ends) counts, so an ordinary
comment such as `// remove trailing slash` above code is left alone. The target must name one
definition of the original (function, method, class, variable, key or import): its whole block,
with the comments and decorators directly above it, is deleted. Anything else abstains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from relace_cli.markers import OPENERS, comment_body
from relace_cli.merge.blocks import Blocks
from relace_cli.merge.defs import definition
from relace_cli.merge.text import CODE, HARD, Doc, is_closer, is_comment

_DIRECTIVE = re.compile(
    r"^(?:remove|delete|drop|removed|deleted)\b\s*:?\s*(?:the\s+)?"
    r"(?:(?:unused|old|legacy|deprecated|obsolete)\s+)?"
    r"(?:(?P<kind>function|method|class|import|field|property|variable|var|const|constant|def|"
    r"fn|func|struct|enum|interface|type|key|section|test|route|rule|selector|block)\s+)?"
    r"[`'\"]?(?P<name>[A-Za-z_$#.@][\w$.:@#-]*)(?:\(\))?[`'\"]?"
    r"(?:\s+(?:function|method|class|import|field|property|variable|constant|block|"
    r"entirely|completely|here))?\s*[.;]?$",
    re.IGNORECASE,
)


@dataclass
class Removals:
    ranges: list[tuple[int, int]] = field(default_factory=list)  # original [o0, o1)

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def _gone(self, lines: list[str]) -> set[int]:
        """Original lines to drop: the removed blocks, and the blank run after each one when
        a blank run (or the file's start) precedes it - the two runs would otherwise add up."""
        gone: set[int] = set()
        n = len(lines)
        for a, b in self.ranges:
            gone.update(range(a, b))
            if a == 0 or not lines[a - 1].strip():
                if b < n and is_closer(lines[b].strip()):
                    while a > 0 and not lines[a - 1].strip():  # `}` of the enclosing block
                        a -= 1
                        gone.add(a)
                while b < n and not lines[b].strip():
                    gone.add(b)
                    b += 1
        return gone

    def apply_to_original(self, orig: Doc) -> str:
        gone = self._gone(orig.lines)
        lines = [line for j, line in enumerate(orig.lines) if j not in gone]
        while lines and not lines[-1].strip() and len(orig.lines) - 1 in gone:
            lines.pop()
        text = "\n".join(lines)
        return text + "\n" if lines and orig.final_newline else text

    def apply(self, out, olines: list[str]):  # type: ignore[no-untyped-def]
        from relace_cli.merge.assemble import Output, Refuse

        gone = {o for a, b in self.ranges for o in range(a, b)}
        present = {src for src in out.source if src >= 0}
        missing = [o for o in gone if o not in present]
        if missing:
            raise Refuse("a removal comment targets code that the snippet also rewrites")
        gone = self._gone(olines)
        new = Output(deleted=list(out.deleted), head_tail=list(out.head_tail),
                     ends=list(out.ends))
        for line, src in zip(out.lines, out.source, strict=True):
            if src in gone:
                continue
            new.lines.append(line)
            new.source.append(src)
        return new


def find_removals(snip: Doc, orig: Doc, lang: str, bodies: dict[int, str | None] | None = None,
                  orig_keys: set[str] | None = None) -> Removals:
    """Mark removal comments in *snip* as markers and resolve their targets in *orig*.

    *bodies* may hold the comment body (`markers.comment_body`) of snippet lines, by index;
    *orig_keys* the set of the original's keys.
    """
    found = Removals()
    code: list[int] | None = None
    keys, kinds = snip.keys, snip.kinds
    for i, key in enumerate(keys):
        if not key or kinds[i] != CODE or key[0] not in OPENERS:
            continue  # only a line opening with a comment token has a comment body
        body = bodies[i] if bodies is not None and i in bodies else comment_body(key)
        if body is None:
            continue
        if orig_keys is None:
            orig_keys = set(orig.keys)
        if key in orig_keys:
            continue
        text = body.strip().strip("*").strip()
        m = _DIRECTIVE.match(text)
        if m is None:
            continue
        if code is None:
            code = [j for j, k in enumerate(keys) if k]
        n = code.index(i)
        before = code[n - 1] if n > 0 else None
        after = code[n + 1] if n + 1 < len(code) else None
        alone = (before is None or snip.kinds[before] == HARD) and (
            after is None or snip.kinds[after] == HARD)
        if not alone:
            continue
        from relace_cli.merge.assemble import Refuse

        target = _resolve(m.group("name"), (m.group("kind") or "").lower(), orig, lang)
        if isinstance(target, str):
            raise Refuse(target)
        snip.kinds[i] = HARD
        found.ranges.append(target)
    return found


def _resolve(name: str, kind: str, orig: Doc, lang: str) -> tuple[int, int] | str:
    esc = re.escape(name.strip(".").split(".")[-1] if "." in name.strip(".") else name)
    defs = re.compile(
        rf"^(?:(?:export|default|pub|public|private|protected|static|async|abstract|final|"
        rf"override|local|inline|const|let|var|val|readonly)\s+)*"
        rf"(?:(?:def|function\*?|func|fn|class|struct|enum|interface|trait|type|module|sub)\s+)?"
        rf"(?:\([^)]*\)\s*)?{esc}\s*(?:[(<:=\[{{]|$|\s+(?:=|extends|implements|\{{))"
    )
    call = re.compile(rf"^(?:await\s+|this\.|self\.)?{esc}\s*\(.*\)\s*;?$")  # `validate(order);`
    bare = name.strip(".").split(".")[-1]
    hits = [j for j, k in enumerate(orig.keys)
            if k and ((defs.match(k) and not call.match(k)) or _defines(orig, j, bare, lang))]
    if kind == "import" or not hits:
        imp = re.compile(rf"^(?:import|from|use|using|#include|require)\b.*\b{esc}\b")
        imports = [j for j, k in enumerate(orig.keys) if imp.match(k)]
        if kind == "import" or (not hits and imports):
            hits = imports
    if not hits:
        return f"removal target `{name}` is not defined in the original"
    if len(hits) > 1:
        return f"removal target `{name}` appears {len(hits)} times in the original"
    j = hits[0]
    blocks = Blocks(orig, lang)
    got = blocks.end(j)
    nxt = j + 1
    while nxt < len(orig.keys) and not orig.keys[nxt]:
        nxt += 1
    if (got is None or got[0] == j) and nxt < len(orig.keys) and orig.keys[nxt] == "{":
        got = blocks.end(nxt)  # Allman: the body opens on the next line
    end = got[0] if got is not None else j
    start = j
    while start > 0:
        k = orig.keys[start - 1]
        if k and (is_comment(k, lang) or k.startswith("@")):
            start -= 1
        else:
            break
    return start, end + 1


def _defines(orig: Doc, j: int, name: str, lang: str) -> bool:
    """Does original line *j* open the definition of *name*, with a typed signature such as
    `private void validate(Order o) {` (or its `{` on the next line, Allman style)?"""
    key = orig.keys[j]
    if name not in key or key[-1:] in ";,":
        return False
    got = definition(key, lang)
    if got is None and key[-1:] == ")":
        nxt = next((k for k in orig.keys[j + 1:j + 3] if k), "")
        if nxt == "{":
            got = definition(key + " {", lang)
    return got is not None and got[1].split(".")[-1] == name
