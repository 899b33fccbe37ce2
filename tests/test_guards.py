"""The guards: each one positive and negative, the golden cases, and robustness."""

from __future__ import annotations

import json
import sys
import types
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relace_cli import guards
from relace_cli.guards import GUARD_NAMES, check_merge, check_untouched

CASES_FILE = Path("/work/shared/cases/continue.jsonl")
CASES = (
    [json.loads(line) for line in CASES_FILE.read_text().splitlines() if line.strip()]
    if CASES_FILE.exists() else []
)
needs_cases = pytest.mark.skipif(not CASES, reason="continue.jsonl not available")

ORIGINAL = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(40))


def run(original: str, merged: str, snippet: str = "", *, language: str | None = "py",
        remote: bool = False, disabled: frozenset[str] = frozenset()) -> guards.Checked:
    return check_merge(original, merged, snippet, language=language, remote=remote,
                       disabled=disabled)


def names(checked: guards.Checked) -> list[str]:
    return [f.guard for f in checked.failures]


def test_guard_names_are_the_public_contract() -> None:
    assert GUARD_NAMES == ("markers", "truncation", "fence", "syntax", "untouched")


# --- golden cases --------------------------------------------------------------------

@needs_cases
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
@pytest.mark.parametrize("remote", [False, True])
def test_expected_outputs_pass_every_guard(case: dict, remote: bool) -> None:
    checked = run(case["original"], case["expected"], case["snippet"],
                  language=case["language"], remote=remote)
    assert checked.failures == []
    assert checked.text == case["expected"]


@needs_cases
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_emptied_file_fails(case: dict) -> None:
    checked = run(case["original"], "", case["snippet"], language=case["language"])
    assert "truncation" in names(checked)


@needs_cases
@pytest.mark.parametrize("case", [c for c in CASES if len(c["original"].splitlines()) >= 25],
                         ids=lambda c: c["id"])
def test_dropping_the_second_half_fails(case: dict) -> None:
    lines = case["expected"].split("\n")
    half = "\n".join(lines[: len(lines) // 2]) + "\n"
    checked = run(case["original"], half, case["snippet"], language="txt")
    assert names(checked) == ["truncation"], case["id"]


# --- markers -------------------------------------------------------------------------

def test_new_marker_fails_and_names_the_line() -> None:
    merged = ORIGINAL.replace("    return x + 3\n", "    # ... existing code ...\n")
    checked = run(ORIGINAL, merged, "# ... existing code ...\n")
    [failure] = [f for f in checked.failures if f.guard == "markers"]
    assert failure.message == (
        "the result still contains the marker `# ... existing code ...` (line 11)")


def test_marker_already_in_the_original_may_stay_once() -> None:
    original = "a = 1\n# ... rest of code ...\nb = 2\n"
    assert run(original, original.replace("b = 2", "b = 3")).failures == []
    doubled = original + "# ... rest of code ...\n"
    assert names(run(original, doubled)) == ["markers"]


def test_markers_guard_can_be_disabled() -> None:
    merged = ORIGINAL + "# ... existing code ...\n"
    assert run(ORIGINAL, merged, disabled=frozenset({"markers"})).failures == []


# --- truncation ----------------------------------------------------------------------

def test_second_half_dropped_reports_the_count() -> None:
    lines = ORIGINAL.split("\n")
    merged = "\n".join(lines[:60]) + "\n"
    checked = run(ORIGINAL, merged, "def f3(x):\n    return x + 33\n")
    [failure] = checked.failures
    assert failure.guard == "truncation"
    assert failure.message == (
        "the result drops 40 of 80 original lines that the snippet does not account for")


def test_targeted_edit_passes() -> None:
    snippet = "# ... existing code ...\ndef f3(x):\n    return x * 3\n# ... existing code ...\n"
    merged = ORIGINAL.replace("    return x + 3\n", "    return x * 3\n")
    assert run(ORIGINAL, merged, snippet).failures == []


def test_region_replaced_by_the_snippet_is_accounted_for() -> None:
    # The snippet replaces f3..f20 by one function: the lines between its anchors go away.
    snippet = "def f2(x):\n    return x + 2\n\ndef g(x):\n    return x\n\ndef f21(x):\n"
    lines = ORIGINAL.split("\n")
    merged = "\n".join(lines[:9] + ["def g(x):", "    return x", ""] + lines[63:])
    assert run(ORIGINAL, merged, snippet).failures == []


def test_complete_replacement_without_markers_passes() -> None:
    snippet = "".join(f"def g{i}(y):\n    return y - {i}\n\n" for i in range(30))
    assert run(ORIGINAL, snippet, snippet).failures == []


def test_lost_snippet_lines_fail() -> None:
    snippet = "# ... existing code ...\n" + "".join(f"def new{i}():\n    pass\n" for i in range(20))
    merged = ORIGINAL + "".join(f"def new{i}():\n    pass\n" for i in range(5))
    checked = run(ORIGINAL, merged, snippet)
    messages = [f.message for f in checked.failures]
    assert messages == ["the result lacks 15 of 40 lines of the snippet"]


def test_remote_reply_cut_mid_line_fails() -> None:
    merged = ORIGINAL.rsplit("\n", 3)[0] + "\n    retu"
    checked = run(ORIGINAL, merged, remote=True, language=None)
    assert names(checked) == ["truncation"]
    assert "ends in the middle of line" in checked.failures[0].message
    # The local engine is not streamed: only the line count matters there.
    assert run(ORIGINAL, merged, remote=False, language=None).failures == []


def test_remote_reply_without_final_newline_on_a_whole_line_passes() -> None:
    merged = ORIGINAL.rstrip("\n")
    assert run(ORIGINAL, merged, remote=True, language=None).failures == []


# --- fence ---------------------------------------------------------------------------

def test_fenced_reply_is_unwrapped_with_a_note() -> None:
    checked = run(ORIGINAL, "```python\n" + ORIGINAL + "```\n")
    assert checked.failures == []
    assert checked.text == ORIGINAL
    assert checked.notes == ["removed a Markdown code fence around the reply"]


def test_fence_in_the_original_is_left_alone() -> None:
    original = "```text\nhello\n```\n"
    merged = "```text\nhello world\n```\n"
    checked = run(original, merged, language="md")
    assert checked.text == merged and checked.failures == [] and checked.notes == []


def test_unclosed_fence_fails() -> None:
    checked = run(ORIGINAL, "```py\n" + ORIGINAL)
    assert "fence" in names(checked)
    assert "never closed" in checked.failures[0].message


def test_stray_closing_fence_fails() -> None:
    checked = run(ORIGINAL, ORIGINAL + "```\n", language=None)
    assert names(checked) == ["fence"]


def test_fence_disabled_leaves_text() -> None:
    merged = "```\n" + ORIGINAL + "```\n"
    checked = run(ORIGINAL, merged, disabled=frozenset({"fence", "syntax"}))
    assert checked.text == merged and checked.notes == []


def test_markdown_with_inner_code_blocks_is_not_a_fence() -> None:
    original = "# Title\n\n```py\nx = 1\n```\n\ntext\n"
    merged = original + "\n```py\ny = 2\n```\n"
    checked = run(original, merged, language="md")
    assert checked.failures == [] and checked.text == merged


# --- syntax --------------------------------------------------------------------------

def test_python_syntax_error_fails_with_line() -> None:
    merged = ORIGINAL.replace("def f7(x):", "def f7(x)")
    [failure] = run(ORIGINAL, merged).failures
    assert failure.guard == "syntax"
    assert failure.message.startswith("the result does not parse as Python (line 22: ")
    assert failure.message.endswith("although the original does")


def test_python_original_that_does_not_parse_is_not_held_against_the_result() -> None:
    assert run("def (:\n", "def ((:\n").failures == []


def test_python_syntax_warnings_are_silenced() -> None:
    original = 'x = "\\d"\n'
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a leaked SyntaxWarning would raise here
        assert run(original, original + 'y = "\\w"\n').failures == []


@pytest.mark.parametrize(("language", "original", "broken", "name"), [
    ("json", '{"a": 1,\n "b": 2}\n', '{"a": 1,\n "b": 2\n', "JSON"),
    ("toml", 'a = 1\n[t]\nb = "x"\n', 'a = 1\n[t\nb = "x"\n', "TOML"),
])
def test_json_and_toml(language: str, original: str, broken: str, name: str) -> None:
    assert run(original, original, language=language).failures == []
    checked = run(original, broken, language=language, disabled=frozenset({"truncation"}))
    [failure] = checked.failures
    assert failure.guard == "syntax"
    assert f"does not parse as {name} (" in failure.message


def test_yaml_without_pyyaml_is_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # makes `import yaml` fail
    checked = run("a: 1\n", "a: [\n", language="yaml")
    assert checked.failures == []
    assert checked.notes == ["syntax check skipped: PyYAML not installed"]


def test_yaml_with_pyyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("yaml")

    class YAMLError(Exception):
        pass

    def safe_load_all(text: str):  # type: ignore[no-untyped-def]
        if "[" in text:
            raise YAMLError("unclosed")
        yield text

    fake.YAMLError = YAMLError  # type: ignore[attr-defined]
    fake.safe_load_all = safe_load_all  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "yaml", fake)
    [failure] = run("a: 1\n", "a: [\n", language="yml").failures
    assert failure.message.startswith("the result does not parse as YAML")


def test_code_without_parser_gets_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tree_sitter", None)
    checked = run("package main\n", "package main\n", language="go")
    assert checked.notes == ["syntax check skipped for .go (no parser installed)"]
    assert run("hello\n", "hello world\n", language="md").notes == []


# --- untouched -----------------------------------------------------------------------

def test_crlf_to_lf_on_an_untouched_line_fails() -> None:
    original = b"a = 1\r\nb = 2\r\nc = 3\r\n"
    new = b"a = 1\r\nb = 2\nc = 4\r\n"
    failure = check_untouched(original, new, encoding="utf-8")
    assert failure is not None and failure.guard == "untouched"
    assert failure.message == ("line 2 was not part of the edit but its line ending changed "
                               "(CRLF → LF)")


def test_real_edit_with_same_endings_passes() -> None:
    original = b"a = 1\r\nb = 2\r\nc = 3\r\n"
    assert check_untouched(original, b"a = 1\r\nb = 22\r\nc = 3\r\nd\r\n", encoding="utf-8") is None


def test_mixed_endings_kept_pass_and_changed_fail() -> None:
    original = b"one\r\ntwo\nthree\r\nfour\n"
    assert check_untouched(original, b"one\r\ntwo\nTHREE\r\nfour\n", encoding="utf-8") is None
    failure = check_untouched(original, b"one\r\ntwo\r\nTHREE\r\nfour\n", encoding="utf-8")
    assert failure is not None and "line 2" in failure.message and "LF → CRLF" in failure.message


def test_trailing_whitespace_change_fails() -> None:
    failure = check_untouched(b"x = 1   \ny = 2\n", b"x = 1\ny = 3\n", encoding="utf-8")
    assert failure is not None
    assert failure.message == "line 1 was not part of the edit but its trailing whitespace changed"


def test_appending_after_a_last_line_without_newline_passes() -> None:
    assert check_untouched(b"a\nb", b"a\nb\nc\n", encoding="utf-8") is None


def test_untouched_utf16_and_odd_encodings() -> None:
    original = "a\r\nb\r\n".encode("utf-16")
    assert check_untouched(original, "a\r\nB\r\n".encode("utf-16"), encoding="utf-16") is None
    assert check_untouched(b"\xff\xfe", b"\x00", encoding="no-such-codec") is None


# --- robustness and speed ------------------------------------------------------------

_TOKENS = [*"ab{}()[]:#./ \t`~\"'=", "\n", "\r\n", "...", "```", "// ... existing code ...",
           "def f(x):", "    return x"]
texts = st.lists(st.sampled_from(_TOKENS), max_size=60).map("".join) | st.text(max_size=100)


@settings(max_examples=300, deadline=None)
@given(original=texts, merged=texts, snippet=texts,
       language=st.sampled_from([None, "py", "json", "toml", "yaml", "js", "md", ""]),
       remote=st.booleans())
def test_check_merge_never_raises(original: str, merged: str, snippet: str,
                                  language: str | None, remote: bool) -> None:
    checked = check_merge(original, merged, snippet, language=language, remote=remote)
    assert all(f.guard in GUARD_NAMES for f in checked.failures)
    assert all("\n" not in f.message for f in checked.failures)
    assert not any("failed unexpectedly" in f.message for f in checked.failures)


@settings(max_examples=200, deadline=None)
@given(original=st.binary(max_size=200), new=st.binary(max_size=200),
       encoding=st.sampled_from(["utf-8", "latin-1", "utf-16", "ascii"]))
def test_check_untouched_never_raises(original: bytes, new: bytes, encoding: str) -> None:
    check_untouched(original, new, encoding=encoding)


@settings(max_examples=100, deadline=None)
@given(original=texts, remote=st.booleans())
def test_identity_merge_passes(original: str, remote: bool) -> None:
    original = original.replace("\r", "")
    checked = check_merge(original, original, "", language="py", remote=remote)
    assert checked.failures == [] and checked.text == original
    assert check_untouched(original.encode(), original.encode(), encoding="utf-8") is None


def test_large_file_passes_every_guard() -> None:
    # (its speed is measured by bench/merge_bench.py --large, not by a timed test)
    original = "".join(f"function f{i}(x) {{\n  return x + {i};\n}}\n\n" for i in range(14000))
    assert len(original) > 500_000
    merged = original.replace("return x + 77;", "return x * 77;")
    snippet = "// ... existing code ...\nfunction f77(x) {\n  return x * 77;\n}\n// ...\n"
    checked = check_merge(original, merged, snippet, language="txt", remote=True)
    raw = original.replace("\n", "\r\n").encode()
    assert check_untouched(raw, merged.replace("\n", "\r\n").encode(), encoding="utf-8") is None
    assert checked.failures == []


def test_a_crashing_guard_refuses_instead_of_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(guards, "check_markers", boom)
    [failure] = run(ORIGINAL, ORIGINAL).failures
    assert failure.guard == "markers" and "--no-guard markers" in failure.message


SMALL = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
SMALL_SNIPPET = "# ... existing code ...\n\ndef b():\n    return 3\n"


@pytest.mark.parametrize(("merged", "ok"), [
    ("def a():\n    return 1\n\n\ndef b():\n    return 3\n", True),
    ("def a():\n    return 1\n", False),  # cut short: the snippet never made it in
    ("", False),
    ("def b():\n    return 3\n", True),  # half gone, but the snippet's edit is there
])
def test_small_files(merged: str, ok: bool) -> None:
    checked = run(SMALL, merged, SMALL_SNIPPET, remote=True)
    assert (checked.failures == []) is ok, checked.failures
    if not ok:
        assert names(checked) == ["truncation"]


def test_one_line_file_edit_and_emptying() -> None:
    assert run("x = 1\n", "y = 2\n", "# ...\ny = 2\n").failures == []
    assert names(run("x = 1\n", "", "# ...\ny = 2\n")) == ["truncation"]


# --- real parsers, when the `syntax` extra is installed (it is in the test extras) ---------


@pytest.mark.parametrize(
    ("language", "original", "broken"),
    [
        ("js", "function a() {\n  return 1;\n}\n", "function a() {\n  return (1;\n}\n"),
        ("ts", "const x: number = 1;\n", "const x: number = ;\n"),
        ("tsx", "export const A = () => <div>hi</div>;\n",
         "export const A = () => <div>hi</div>);\n"),
        ("py", "def f():\n    return 1\n", "def f(:\n    return 1\n"),
    ],
)
def test_tree_sitter_and_ast_catch_a_broken_result(language: str, original: str,
                                                  broken: str) -> None:
    if language != "py":
        pytest.importorskip("tree_sitter")
    checked = check_merge(original, broken, broken, language=language, remote=False,
                          disabled=frozenset({"truncation"}))
    assert [f.guard for f in checked.failures] == ["syntax"]
    fine = check_merge(original, original, original, language=language, remote=False)
    assert fine.failures == [] and not any("skipped" in n for n in fine.notes)


def test_real_pyyaml_catches_broken_yaml() -> None:
    pytest.importorskip("yaml")
    checked = check_merge("a: 1\nb: [1, 2]\n", "a: 1\nb: [1, 2\n", "b: [1, 2", language="yaml",
                          remote=False, disabled=frozenset({"truncation"}))
    assert [f.guard for f in checked.failures] == ["syntax"]
    assert "YAML" in checked.failures[0].message


def test_original_that_does_not_parse_is_not_held_against_the_result() -> None:
    pytest.importorskip("tree_sitter")
    broken = "function a( {\n"
    checked = check_merge(broken, broken + "// more\n", "// more\n", language="js",
                          remote=False, disabled=frozenset({"truncation"}))
    assert checked.failures == []


def test_markers_guard_reads_python_strings_as_text() -> None:
    original = "def f():\n    return 1\n"
    merged = 'X = """\n# ... your code here ...\n"""\n\n\ndef f():\n    return 1\n'
    assert guards.check_markers(original, merged, "py") is None
    failure = guards.check_markers(original, merged, "js")  # (not Python: a marker)
    assert failure is not None and "your code here" in failure.message
    left = merged + "# ... existing code ...\n"  # outside the string: still a marker
    assert guards.check_markers(original, left, "py") is not None
