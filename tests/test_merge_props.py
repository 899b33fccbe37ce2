"""Property tests: the engine merges exactly what was meant, or abstains; it never raises."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from relace_cli.merge import Abstain, Merged, merge

WORDS = ["alpha", "beta", "gamma", "delta", "load", "save", "x", "y", "count", "items"]
NEW = ["fresh", "novel", "added", "other_thing", "zeta"]
MARKERS = ["# ... existing code ...", "// ...", "/* ... rest of code ... */"]

# derandomized: CI must be reproducible (explore with `pytest --hypothesis-seed=N`)
FAST = settings(max_examples=80, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@st.composite
def code_line(draw: st.DrawFn, words: list[str], tabs: bool = False) -> str:
    # (a tab in a file indented with spaces is converted on purpose, so keep to one style)
    indent = draw(st.sampled_from(["", "", "\t", "\t\t"] if tabs else ["", "", "  ", "    "]))
    body = " ".join(draw(st.lists(st.sampled_from(words), min_size=1, max_size=4)))
    shape = draw(st.sampled_from(["{} = {}", "{}({})", "if {} {{", "}}", "{} {}", "{}: {}"]))
    a, b = draw(st.sampled_from(words)), body
    text = shape.format(a, b) if "{}" in shape else shape.replace("}}", "}")
    return indent + text


@st.composite
def edit(draw: st.DrawFn) -> tuple[str, str, str]:
    tabs = draw(st.booleans())
    raw = draw(st.lists(code_line(WORDS, tabs), min_size=3, max_size=30))
    # distinct lines (but `}` repeats): the intended edit must be expressible by context
    lines = [x if x.strip() == "}" else f"{x} v{i}" for i, x in enumerate(raw)]
    n = len(lines)
    a = draw(st.integers(0, n - 1))
    b = draw(st.integers(a, min(n if a else n - 1, a + 5)))
    new = draw(st.lists(code_line(NEW, tabs), min_size=0 if b > a else 1, max_size=4))
    # new code that opens a block it does not close (or the reverse) changes which `}` of the
    # original closes what: the line-level splice below is then no longer the one meaning
    assume(sum(x.endswith("{") for x in new) == sum(x.strip() == "}" for x in new))
    k = draw(st.integers(1, 3))
    marker = draw(st.sampled_from(MARKERS))
    before = lines[max(0, a - k):a]
    after = lines[b:b + k]
    # context made only of `}` says nothing about where the edit sits
    assume(not before or any(x.strip() != "}" for x in before))
    assume(not after or any(x.strip() != "}" for x in after))
    snippet = ([marker] if a - k > 0 else []) + before + new + after
    if b + k < n:
        snippet.append(marker)
    elif a - k <= 0:
        # no marker at all would make it a bare fragment, another game: add one that elides
        # nothing, unless the edit runs to the end (then nothing can be said with a marker)
        assume(b < n)
        snippet.append(marker)
    original = "\n".join(lines) + "\n"
    intended = "\n".join(lines[:a] + new + lines[b:]) + "\n"
    return original, "\n".join(snippet) + "\n", intended


@FAST
@given(edit())
def test_merges_exactly_or_abstains(case: tuple[str, str, str]) -> None:
    original, snippet, intended = case
    got = merge(original, snippet, None)
    if isinstance(got, Merged):
        assert got.text == intended, (original, snippet)
    else:
        assert isinstance(got, Abstain) and got.reason and "\n" not in got.reason


@FAST
@given(edit(), st.sampled_from(["py", "js", "go", None]))
def test_idempotent(case: tuple[str, str, str], lang: str | None) -> None:
    original, snippet, _ = case
    once = merge(original, snippet, lang)
    if not isinstance(once, Merged):
        return
    twice = merge(once.text, snippet, lang)
    if isinstance(twice, Merged):
        assert twice.text == once.text


@FAST
@given(st.lists(code_line(WORDS), min_size=0, max_size=20), st.sampled_from(MARKERS),
       st.booleans())
def test_marker_only_snippet_changes_nothing(lines: list[str], marker: str, nl: bool) -> None:
    original = "\n".join(lines) + ("\n" if nl and lines else "")
    got = merge(original, marker + "\n", None)
    assert isinstance(got, Merged) and got.text == original


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.text(max_size=200),
       st.sampled_from([None, "py", "js", "tsx", "md", "html", "rs", "", "weird"]))
def test_never_raises(original: str, snippet: str, lang: str | None) -> None:
    got = merge(original, snippet, lang)
    assert isinstance(got, Merged | Abstain)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["{", "}", "(", ")", "  x", "\tdef f():", "# ...", "",
                                 "<div>", "</div>", "end", "\r", "\ud800", "// ... rest ..."]),
                max_size=25),
       st.lists(st.sampled_from(["{", "}", "  x", "# ... existing code ...", "y", "",
                                 "// remove f", "\ud800", "\r"]), max_size=12))
def test_never_raises_structured(orig: list[str], snip: list[str]) -> None:
    got = merge("\n".join(orig), "\n".join(snip), None)
    assert isinstance(got, Merged | Abstain)


def test_edge_inputs() -> None:
    assert isinstance(merge("", "", None), Abstain)
    assert merge("", "print(1)\n", "py") == Merged("print(1)\n", "whole-file")
    assert isinstance(merge("", "# ... existing code ...\nx = 1\n", "py"), Abstain)
    assert merge("a\nb\n", "# ... existing code ...\n", "py").text == "a\nb\n"
    assert merge("a\nb", "# ... existing code ...\n", "py").text == "a\nb"
    big = "".join(f"line_{i} = {i}\n" for i in range(20000))
    got = merge(big, "# ... existing code ...\nline_10000 = -1\n# ... existing code ...\n")
    assert isinstance(got, Merged | Abstain)


def test_final_newline_follows_original() -> None:
    original = "def f():\n    return 1\n\ndef g():\n    return 2"
    got = merge(original, "# ... existing code ...\ndef g():\n    return 3", "py")
    assert isinstance(got, Merged) and got.text == original.replace("return 2", "return 3")


def test_preserves_trailing_whitespace_on_untouched_lines() -> None:
    original = "a = 1   \nb = 2\t\nc = 3\n"
    got = merge(original, "a = 1\nb = 20\nc = 3\n", "py")
    assert isinstance(got, Merged) and got.text == "a = 1   \nb = 20\nc = 3\n"


def test_import_is_cheap_and_clean() -> None:
    import subprocess
    import sys

    code = ("import sys, relace_cli.merge as m; "
            "bad = [x for x in ('typer', 'rich', 'requests') if x in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
