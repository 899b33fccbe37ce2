"""apply.unified_diff: trimmed for speed, but always a correct patch."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from relace_cli.apply import unified_diff

HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def patch(before: str, diff: str) -> str:
    """Apply a unified diff (as printed by relace) to *before*."""
    old = before.splitlines(keepends=True)
    lines = diff.splitlines(keepends=True)[2:]
    out: list[str] = []
    pos = i = 0
    while i < len(lines):
        m = HUNK.match(lines[i])
        assert m, lines[i]
        count = int(m[2]) if m[2] is not None else 1
        start = int(m[1]) - 1 if count else int(m[1])
        out.extend(old[pos:start])
        pos = start
        i += 1
        while i < len(lines) and not lines[i].startswith("@@"):
            line = lines[i]
            no_eol = i + 1 < len(lines) and lines[i + 1].startswith("\\ No newline")
            body = line[1:-1] if no_eol else line[1:]
            if line[0] in " -":
                assert old[pos] == body
                pos += 1
            if line[0] in " +":
                out.append(body)
            i += 2 if no_eol else 1
    out.extend(old[pos:])
    return "".join(out)


texts = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "}\n", "\n", "x = 1\n"]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(texts, texts, st.booleans(), st.booleans())
def test_diff_is_a_correct_patch(a: list[str], b: list[str], cut_a: bool, cut_b: bool) -> None:
    before = "".join(a).rstrip("\n") if cut_a else "".join(a)
    after = "".join(b).rstrip("\n") if cut_b else "".join(b)
    diff = unified_diff(before, after, "f.py")
    if before == after:
        assert diff == ""
    else:
        assert diff.startswith("--- a/f.py\n+++ b/f.py\n@@ ")
        assert patch(before, diff) == after


def test_small_edit_in_a_large_file_has_the_right_line_numbers() -> None:
    before = "".join(f"line {i}\n" for i in range(10000))
    after = before.replace("line 5000\n", "changed\n")
    diff = unified_diff(before, after, "big")
    assert "@@ -4998,7 +4998,7 @@" in diff
    assert diff.count("\n-") == 1 and "+changed" in diff
