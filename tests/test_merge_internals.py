"""Engine internals whose speed-ups must not change answers: block ends and anchor chains."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from relace_cli.merge.align import Aligner
from relace_cli.merge.blocks import Blocks
from relace_cli.merge.indent import match_indent_style
from relace_cli.merge.text import HARD, Doc, guess_language, split


def blocks(text: str, lang: str) -> Blocks:
    lines, final = split(text)
    return Blocks(Doc(lines, final), lang)


def test_unclosed_quote_does_not_hide_the_next_lines_brackets() -> None:
    # strings and comments are stripped in one pass over the whole text: a quote left open on
    # one line must not run on into the next one
    b = blocks('const s = "abc\nfunction f() {\n  return "x"; }\ng();\n', "js")
    assert b.end(1) == (2, True)  # closed by its brace (by indentation alone: not explicit)


def test_brackets_inside_strings_and_comments_do_not_count() -> None:
    text = (
        "function f() {\n"
        '  const a = "}";  // {\n'
        "  const b = '{';  /* } */\n"
        "  return `${a}`;\n"
        "}\n"
        "const url = 'http://x.org/{';\n"
    )
    b = blocks(text, "js")
    assert b.end(0) == (4, True)
    assert b.end(5) is None  # the brace sits in a string


def test_url_double_slash_is_no_comment() -> None:
    b = blocks("fetch(url, http://x.org, {\n  a: 1,\n});\n", "js")
    assert b.end(0) == (2, True)


def test_marker_lines_carry_no_brackets() -> None:
    lines = ["function f() {", "// ... existing code ... {", "}"]
    doc = Doc(lines, True)
    doc.kinds[1] = HARD
    assert Blocks(doc, "js").end(0) == (2, True)


def reference_heaviest(cands: list[tuple[int, int]], weights: list[float]) -> list[tuple[int, int]]:
    """The plain O(n^2) dynamic programme: the heaviest chain increasing in o, the first
    predecessor on ties, the first end on ties."""
    best: list[float] = []
    prev: list[int] = []
    for i, (_, oi) in enumerate(cands):
        bi, pi = weights[i], -1
        for j in range(i):
            if cands[j][1] < oi and best[j] + weights[i] > bi:
                bi, pi = best[j] + weights[i], j
        best.append(bi)
        prev.append(pi)
    i = max(range(len(cands)), key=lambda x: (best[x], -x))
    out = []
    while i >= 0:
        out.append(cands[i])
        i = prev[i]
    return out[::-1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=30, unique=True),
       st.data())
def test_heaviest_chain_matches_the_plain_dynamic_programme(os_: list[int], data) -> None:  # noqa: ANN001
    n = len(os_)
    # snippet lines 2i; a header (`{` at the end) weighs more when its block is longer
    keys = []
    ends: dict[int, int] = {}
    for i in range(n):
        if data.draw(st.booleans()):
            keys += [f"f{i}() {{", ""]
            ends[2 * i] = data.draw(st.integers(0, 6))
        else:
            keys += [f"x{i} = 1", ""]
    cands = [(2 * i, o) for i, o in enumerate(os_)]
    weights = [1.0 + 0.5 * ends[s] if s in ends else 1.0 for s, _ in cands]

    class FakeBlocks:
        def __init__(self, base: int) -> None:
            self.base = base

        def end(self, h: int) -> tuple[int, bool] | None:
            if self.base == 0:  # the snippet: header line h
                return (h + ends[h], True) if h in ends else None
            s = next(s for s, o in cands if o == h)  # the original: the same length
            return (h + ends[s], True) if s in ends else None

    al = Aligner.__new__(Aligner)
    al.s = Doc(keys, True)
    al.sb, al.ob = FakeBlocks(0), FakeBlocks(1)
    assert al._heaviest(cands) == reference_heaviest(cands, weights)


def test_tab_levels_take_the_files_space_step() -> None:
    two = ["function f() {", "  if (x) {", "    y();", "  }", "}"]
    assert match_indent_style(["\tif (x) {", "\t\tz();", "\t}"], two, "ts", False) == [
        "  if (x) {", "    z();", "  }"]
    four = [x.replace("  ", "    ") for x in two]
    snippet = ["\tif (x) {", "\t\tz();", "\t}"]
    # a tab already counts 4 columns
    assert match_indent_style(snippet, four, "ts", False) == snippet


def test_two_space_levels_become_tabs_in_a_tab_file() -> None:
    tabs = ["func f() {", "\tif x {", "\t\ty()", "\t}", "}"]
    got = match_indent_style(["  if x {", "    z()", "  }"], tabs, "go", True)
    assert got == ["\tif x {", "\t\tz()", "\t}"]


def test_irregular_or_mixed_indentation_is_left_alone() -> None:
    tabs = ["class A:", "\tdef f(self):", "\t\treturn 1"]
    irregular = ["  def f(self):", "      return 2"]  # +4 after 2: no single step
    assert match_indent_style(irregular, tabs, "py", True) == irregular
    two = ["a:", "  b: 1", "  c:", "    d: 2"]
    mixed = ["\t  c:", "\t    d: 3"]  # tabs then spaces: columns kept
    assert match_indent_style(mixed, two, "yaml", False) == mixed


COMPOSE = "services:\n  web:\n    image: app\n    environment:\n      - DEBUG=1\n"
MAKEFILE = ".PHONY: build\nbuild:\n\tgo build ./...\ntest:\n\tgo test ./...\n"


def test_a_file_of_keys_without_code_is_guessed_as_yaml() -> None:
    assert guess_language(None, COMPOSE, "# ... existing code ...\n") == "yaml"
    assert guess_language(None, MAKEFILE, "") != "yaml"  # (tab-indented recipes)
    assert guess_language(None, "def f():\n    x: int = 1\n    return x\n", "") == "py"


def test_a_crlf_file_gets_crlf_on_its_new_lines_too() -> None:
    from relace_cli.merge import merge

    original = "def a():\r\n    return 1\r\n\r\n\r\ndef b():\r\n    return 2\r\n"
    got = merge(original, "def a():\n    x = 0\n    return 1\n# ... existing code ...\n", "py")
    assert got.text == original.replace("    return 1", "    x = 0\r\n    return 1", 1)
    assert "\n" not in got.text.replace("\r\n", "")
