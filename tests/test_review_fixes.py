"""Findings of an end-to-end review of the CLI: each test failed before its fix."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from relace_cli.markers import is_marker
from relace_cli.merge import Abstain, merge
from tests.conftest import Run

JS = "const a = 1;\n\nfunction f() {\n  return 1;\n}\n"


# --- a snippet pasted with its Markdown fence ------------------------------------------------

def test_fenced_snippet_is_unwrapped(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "x.js").write_text(JS)
    (tmp_path / "s").write_text("```js\nfunction f() {\n  return 2;\n}\n```\n")
    r = relace("apply", "x.js", "s", "--engine", "local")
    assert r.code == 0, r
    assert (tmp_path / "x.js").read_text() == JS.replace("return 1", "return 2")
    assert "removed a Markdown code fence around the snippet" in r.stderr


def test_fence_inside_prose_is_refused_and_the_file_kept(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "x.js").write_text(JS)
    (tmp_path / "s").write_text("Here is the fix:\n```js\nfunction f() {\n  return 2;\n}\n```\n")
    r = relace("apply", "x.js", "s", "--engine", "local")
    assert r.code == 2, r
    assert "Markdown code fence on line 2" in r.stderr and r.stderr.count("\n") == 1
    assert (tmp_path / "x.js").read_text() == JS


def test_markdown_file_keeps_its_own_fences(relace: Run, tmp_path: Path) -> None:
    doc = "# Use\n\n```sh\npip install x\n```\n\n## More\n\nText.\n"
    (tmp_path / "README.md").write_text(doc)
    snippet = "```sh\npip install x\n```\n\n## More\n\nNew text.\n"
    r = relace("apply", "README.md", "-e", snippet, "--engine", "local", "--stdout")
    assert r.code == 0, r
    assert r.stdout == doc.replace("Text.", "New text.")


# --- comments that end with an ellipsis are not markers ------------------------------------

@pytest.mark.parametrize("line", [
    "# retry a few more times...", "# TODO: handle other cases...", "## Read more...",
    "// Loading...", "# Load more...",
])
def test_ordinary_comment_with_trailing_ellipsis(line: str) -> None:
    assert not is_marker(line)


@pytest.mark.parametrize("line", [
    "# ... rest of code ...", "// rest of code...", "# existing code...", "// ... 20 more lines",
    "# other methods...", "# unchanged...", "// etc...",
])
def test_markers_still_found(line: str) -> None:
    assert is_marker(line)


def test_check_passes_ordinary_comments(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("# retry a few more times...\nx = 1\n")
    r = relace("check", "a.py")
    assert r.code == 0, r


def test_engine_keeps_a_trailing_ellipsis_comment() -> None:
    original = "def f():\n    a = 1\n    b = 2\n    return a + b\n"
    snippet = ("def f():\n    a = 1\n    # TODO: handle other cases...\n    b = 2\n"
               "    # ... existing code ...\n")
    got = merge(original, snippet, "py")
    assert not isinstance(got, Abstain), got
    assert got.text == original.replace("    b = 2", "    # TODO: handle other cases...\n    b = 2")


# --- exit codes when stdout fails --------------------------------------------------------------

def test_check_still_fails_when_the_reader_stops_early(tmp_path: Path) -> None:
    (tmp_path / "many.py").write_text("# ... existing code ...\n" * 20000)
    proc = subprocess.Popen([sys.executable, "-m", "relace_cli", "check", "many.py"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    proc.wait(timeout=60)
    assert proc.returncode == 1


def test_json_to_a_full_device_says_the_file_was_written(relace: Run, tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    (tmp_path / "h.py").write_text("def h():\n    return 1\n")
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "relace_cli", "apply", "h.py", "-e",
             "def h():\n    return 2\n", "--engine", "local", "--json"],
            cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "h.py was written" in err and "internal error" not in err
    assert "return 2" in (tmp_path / "h.py").read_text()


def test_closed_stdout_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "h.py").write_text("def h():\n    return 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "relace_cli", "apply", "h.py", "-e", "def h():\n    return 2\n",
         "--engine", "local", "--stdout"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(1), timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert b"standard output is closed; nothing was written" in proc.stderr


def test_a_failed_write_leaves_the_file_and_is_no_internal_error(tmp_path: Path) -> None:
    big = "x = 1\n" * 500  # 3 KB: its backup fits, the merged 5 KB does not
    (tmp_path / "big.py").write_text(big)

    def small_files() -> None:  # every write past 4 KB fails with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    snippet = "x = 1\n# ... existing code ...\n" + "y = 2\n" * 350
    proc = subprocess.run(
        [sys.executable, "-m", "relace_cli", "apply", "big.py", "-e", snippet,
         "--engine", "local", "--no-guard", "truncation"],
        cwd=tmp_path, capture_output=True, stdin=subprocess.DEVNULL, preexec_fn=small_files,
        timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "cannot write big.py" in err and "the file is unchanged" in err
    assert (tmp_path / "big.py").read_text() == big
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.py", "state"]  # no temp file


# --- encodings and line endings --------------------------------------------------------------

def test_changed_coding_cookie_reencodes_the_file(relace: Run, tmp_path: Path) -> None:
    body = 'import os\n\nname = "café"\n\n\ndef f():\n    return name\n'
    (tmp_path / "l1.py").write_bytes(("# -*- coding: latin-1 -*-\n" + body).encode("latin-1"))
    snippet = "# -*- coding: utf-8 -*-\nimport os\n# ... existing code ...\n"
    r = relace("apply", "l1.py", "-e", snippet, "--engine", "local")
    assert r.code == 0, r
    assert (tmp_path / "l1.py").read_bytes() == ("# -*- coding: utf-8 -*-\n" + body).encode()


def test_form_feed_in_a_mixed_endings_file(relace: Run, tmp_path: Path) -> None:
    raw = b'x = "a\x0cb"\r\ny = 2\n\n\ndef b():\r\n    return 2\n'
    (tmp_path / "m.py").write_bytes(raw)
    r = relace("apply", "m.py", "-e", "# ... existing code ...\ndef b():\n    return 3\n",
               "--engine", "local")
    assert r.code == 0, r
    assert (tmp_path / "m.py").read_bytes() == raw.replace(b"return 2", b"return 3")


def test_snippet_decoding_error_does_not_suggest_encoding_flag(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "s.py").write_bytes("x = 'é'\n".encode("latin-1"))
    r = relace("apply", "a.py", "s.py", "--engine", "local")
    assert r.code == 2, r
    assert "s.py is not valid utf-8" in r.stderr and "--encoding" not in r.stderr


def test_abstention_names_a_repeated_anchor() -> None:
    original = "def a():\n    log('x')\n\n\ndef b():\n    log('x')\n"
    snippet = "# ... existing code ...\n    log('x')\n    more()\n# ... existing code ...\n"
    got = merge(original, snippet, "py")
    assert isinstance(got, Abstain)
    assert "appears 2 times" in got.reason
