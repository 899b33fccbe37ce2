"""`relace apply --from-markdown`: review findings; each test failed before its fix."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Run


def fence(path: str, code: str) -> str:
    return f"```python {path}\n{code}```\n"


def errors_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("relace: ")]


# --- all-or-nothing: every target is checked before the first write ---------------------------

@pytest.mark.parametrize("mode", [(), ("--diff",), ("--check",)])
def test_a_file_where_a_directory_must_be_writes_nothing(relace: Run, tmp_path: Path,
                                                         mode: tuple[str, ...]) -> None:
    (tmp_path / "sub").write_text("x\n")
    (tmp_path / "ans.md").write_text(fence("a.py", "a = 1\n") + fence("sub/x.py", "x = 2\n"))
    r = relace("apply", "--from-markdown", "ans.md", *mode)
    assert r.code == 2, r
    assert errors_of(r.stderr) == ["relace: cannot create sub/x.py: sub is not a directory"]
    assert "sub/x.py: would create" not in r.stderr
    assert not (tmp_path / "a.py").exists() and (tmp_path / "sub").read_text() == "x\n"
    if not mode:
        assert "nothing was written: 1 file failed" in r.stderr


def test_keep_going_still_writes_the_good_file(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "sub").write_text("x\n")
    (tmp_path / "ans.md").write_text(fence("a.py", "a = 1\n") + fence("sub/x.py", "x = 2\n"))
    r = relace("apply", "--from-markdown", "ans.md", "--keep-going")
    assert r.code == 2, r
    assert (tmp_path / "a.py").read_text() == "a = 1\n" and "a.py: created" in r.stderr


def test_a_target_inside_another_target_writes_nothing(relace: Run, tmp_path: Path) -> None:
    answer = fence("a.py", "a = 1\n") + fence("x.py", "x = 1\n") + fence("x.py/y.py", "y = 2\n")
    (tmp_path / "ans.md").write_text(answer)
    r = relace("apply", "--from-markdown", "ans.md")
    assert r.code == 2, r
    assert errors_of(r.stderr) == [
        "relace: cannot create x.py/y.py: x.py is a file of this answer, not a directory"]
    assert not (tmp_path / "a.py").exists() and not (tmp_path / "x.py").exists()


def test_a_write_failing_midway_says_what_was_written(tmp_path: Path) -> None:
    """A real I/O error after every check passed: a.py is written, the big b.py is not."""
    answer = fence("a.py", "a = 1\n") + fence("b.py", "b = 2\n" * 2000)  # 12 KB
    (tmp_path / "ans.md").write_text(answer)

    def small_files() -> None:  # every write past 8 KB fails with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    proc = subprocess.run(
        [sys.executable, "-m", "relace_cli", "apply", "--from-markdown", "ans.md"],
        cwd=tmp_path, capture_output=True, stdin=subprocess.DEVNULL, preexec_fn=small_files,
        timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert (tmp_path / "a.py").read_text() == "a = 1\n" and not (tmp_path / "b.py").exists()
    assert "nothing was written" not in err
    assert "only part of the answer was written: a.py (1 file failed" in err
    assert errors_of(err) == ["relace: cannot write b.py: File too large"]


# --- symlinks into version-control metadata ---------------------------------------------------

@pytest.mark.parametrize(("link", "target", "label"), [
    ("g", ".git", "g/hooks/pre-commit"),
    ("h", ".git/hooks", "h/pre-commit"),
    ("cfg", ".git/config", "cfg"),
    ("m", ".hg", "m/hgrc"),
])
@pytest.mark.parametrize("mode", [(), ("--diff",)])
def test_symlink_into_vcs_metadata_is_refused(relace: Run, tmp_path: Path, link: str,
                                              target: str, label: str,
                                              mode: tuple[str, ...]) -> None:
    for vcs in (".git/hooks", ".hg"):
        (tmp_path / vcs).mkdir(parents=True)
    (tmp_path / ".git" / "config").write_text("[core]\n")
    (tmp_path / link).symlink_to(target)
    (tmp_path / "ans.md").write_text(f"File: {label}\n```ini\n[core]\nfsmonitor = evil\n```\n")
    r = relace("apply", "--from-markdown", "ans.md", *mode)
    assert r.code == 2, r
    assert errors_of(r.stderr) == [
        f"relace: refusing {label}: it is inside version-control metadata (through a symlink)"]
    assert (tmp_path / ".git" / "config").read_text() == "[core]\n"
    assert os.listdir(tmp_path / ".git" / "hooks") == [] and os.listdir(tmp_path / ".hg") == []


# --- each message names its file once ---------------------------------------------------------

@pytest.mark.parametrize(("label", "code", "message"), [
    ("c.py", "# ... existing code ...\nc = 3\n", "c.py: no such file, and the snippet"),
    ("/etc/x.py", "x = 1\n", "refusing /etc/x.py: it is outside the current directory"),
    (".git/config", "x = 1\n", "refusing .git/config: it is inside version-control metadata"),
    ("sub.d", "x = 1\n", "sub.d is a directory, not a file"),
])
def test_each_message_names_the_path_once(relace: Run, tmp_path: Path, label: str, code: str,
                                          message: str) -> None:
    (tmp_path / "sub.d").mkdir()
    (tmp_path / "ans.md").write_text(f"```python {label}\n{code}```\n")
    r = relace("apply", "--from-markdown", "ans.md")
    assert r.code == 2, r
    [line] = errors_of(r.stderr)
    assert line.startswith(f"relace: {message}"), r
    assert line.count(label) == 1, line
