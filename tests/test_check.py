"""`relace check`: leftover elision markers, found in real files and real git repositories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from relace_cli import walk
from relace_cli.cli.check_cmd import new_markers, scan_file
from relace_cli.errors import InputError
from tests.conftest import Run

MARKED = "def a():\n    return 1\n# ... existing code ...\n"
CLEAN = "def a():\n    return 1\n"


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user or system git config; no repository above tmp_path is ever found."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
         "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )
    return proc.stdout


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    return path


# -- the pure part: one table of cases ---------------------------------------------------
CASES = [
    ("python", "x = 1\n# ... existing code ...\n", [(2, "# ... existing code ...")]),
    ("js", "  // ... rest of code ...\nfoo();\n", [(1, "// ... rest of code ...")]),
    ("html", "<p>\n<!-- ... existing sections ... -->\n",
     [(2, "<!-- ... existing sections ... -->")]),
    ("prose mention", 'print("# ... existing code ...")\n', []),
    ("clean", CLEAN, []),
    ("crlf", "a\r\n# ... existing code ...\r\n", [(2, "# ... existing code ...")]),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_scan_file_and_command_agree(name: str, text: str, expected: list, relace: Run,
                                     tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_bytes(text.encode())
    assert scan_file(str(f)) == expected
    r = relace("check", "f.txt")
    assert r.code == (1 if expected else 0), r
    assert r.stdout == "".join(f"f.txt:{n}: {m}\n" for n, m in expected)


def test_new_markers_counts_per_text_and_prefers_added_lines() -> None:
    committed = "# ... existing code ...\nx = 1\n"
    current = "# ... existing code ...\nx = 1\n# ... existing code ...\n// ... rest ...\n"
    found = [(1, "# ... existing code ..."), (3, "# ... existing code ..."),
             (4, "// ... rest ...")]
    assert new_markers(committed, current, found) == [(3, "# ... existing code ..."),
                                                      (4, "// ... rest ...")]
    # A new marker inserted *above* an old one: the added line is the one reported.
    current = "# ... existing code ...\n# ... existing code ...\nx = 1\n"
    found = [(1, "# ... existing code ..."), (2, "# ... existing code ...")]
    assert len(new_markers(committed, current, found)) == 1
    assert new_markers(committed, committed, [(1, "# ... existing code ...")]) == []


# -- the command ----------------------------------------------------------------------------
def test_reports_every_marker_and_exits_1(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(MARKED)
    (tmp_path / "b.ts").write_text("// ... existing code ...\nx();\n// ... rest of file ...\n")
    (tmp_path / "c.py").write_text(CLEAN)
    r = relace("check", "a.py", "b.ts", "c.py")
    assert r.code == 1, r
    assert r.stdout == ("a.py:3: # ... existing code ...\n"
                        "b.ts:1: // ... existing code ...\n"
                        "b.ts:3: // ... rest of file ...\n")
    assert "3 unmerged elision markers" in r.stderr


def test_clean_files_exit_0_silently(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "c.py").write_text(CLEAN)
    r = relace("check", "c.py")
    assert (r.code, r.stdout, r.stderr) == (0, "", "")


def test_missing_path_exits_2(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(MARKED)
    r = relace("check", "a.py", "nope.py")
    assert r.code == 2, r
    assert r.stderr.startswith("relace: nope.py: no such file") and r.stdout == ""


def test_binary_files_are_skipped_silently(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01# ... existing code ...\n")
    r = relace("check", "blob.bin")
    assert (r.code, r.stdout, r.stderr) == (0, "", "")


def test_undecodable_text_is_still_scanned(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "l1.py").write_bytes("s = 'caf\xe9'\n# ... existing code ...\n".encode("latin-1"))
    r = relace("check", "l1.py")
    assert r.code == 1 and r.stdout == "l1.py:2: # ... existing code ...\n", r


def test_utf16_file_with_bom_is_text(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "w.py").write_bytes("x = 1\n# ... existing code ...\n".encode("utf-16"))
    r = relace("check", "w.py")
    assert r.code == 1 and r.stdout == "w.py:2: # ... existing code ...\n", r


def test_no_path_scans_current_dir_respecting_gitignore(relace: Run, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("build/\n*.log\n")
    (repo / "src").mkdir()
    (repo / "src" / "tracked.py").write_text(MARKED)
    (repo / "untracked.py").write_text(MARKED)
    (repo / "build").mkdir()
    (repo / "build" / "gen.py").write_text(MARKED)
    (repo / "x.log").write_text(MARKED)
    git(repo, "add", "src/tracked.py")
    r = relace("check", cwd=repo)
    assert r.code == 1, r
    assert r.stdout == ("src/tracked.py:3: # ... existing code ...\n"
                        "untracked.py:3: # ... existing code ...\n")
    r = relace("check", "src", cwd=repo)
    assert r.stdout == "src/tracked.py:3: # ... existing code ...\n"


def test_outside_git_skips_hidden_and_tool_dirs(relace: Run, tmp_path: Path) -> None:
    tree = tmp_path / "plain"
    for d in (".venv/lib", ".git", "node_modules/pkg", "src/.hidden", "src/pkg"):
        (tree / d).mkdir(parents=True)
        (tree / d / "m.py").write_text(MARKED)
    r = relace("check", "plain")
    assert r.code == 1, r
    assert r.stdout == "plain/src/pkg/m.py:3: # ... existing code ...\n"


def test_an_ignored_file_named_explicitly_is_checked(relace: Run, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("*.gen.py\n")
    (repo / "x.gen.py").write_text(MARKED)
    assert relace("check", cwd=repo).code == 0
    assert relace("check", "x.gen.py", cwd=repo).code == 1


def test_new_only_ignores_committed_markers(relace: Run, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "pkg").mkdir()
    old = repo / "pkg" / "old.py"
    old.write_text("# ... existing code ...\nx = 1\n")  # e.g. a documented example
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    r = relace("check", "--new-only", cwd=repo)
    assert (r.code, r.stdout) == (0, ""), r
    old.write_text("# ... existing code ...\nx = 1\n# ... existing code ...\ny = 2\n")
    (repo / "new.py").write_text(MARKED)
    r = relace("check", "--new-only", cwd=repo)
    assert r.code == 1, r
    assert r.stdout == ("new.py:3: # ... existing code ...\n"
                        "pkg/old.py:3: # ... existing code ...\n")
    r = relace("check", "--new-only", "old.py", cwd=repo / "pkg")  # HEAD path from a subdir
    assert r.stdout == "old.py:3: # ... existing code ...\n"
    r = relace("check", cwd=repo)  # without --new-only, everything counts
    assert r.stdout.count("\n") == 3


def test_new_only_in_a_repo_without_commits_counts_all(relace: Run, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "a.py").write_text(MARKED)
    r = relace("check", "--new-only", cwd=repo)
    assert r.code == 1 and r.stdout == "a.py:3: # ... existing code ...\n", r


def test_new_only_outside_git_counts_all(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(MARKED)
    r = relace("check", "--new-only", "a.py")
    assert r.code == 1 and r.stdout == "a.py:3: # ... existing code ...\n", r


def test_check_imports_neither_requests_nor_rich(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(MARKED)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "relace_cli", "check",
                           "a.py"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    assert "relace_cli.markers" in imported  # the probe works
    heavy = {m for m in imported if m.split(".")[0] in ("requests", "rich", "urllib3")}
    assert not heavy


def test_walk_expand_dedupes_and_reports_missing(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.py").write_text("x")
    monkeypatch.chdir(tmp_path)
    assert walk.expand(["d", "d/a.py", "./d/a.py"]) == ["d/a.py"]
    with pytest.raises(InputError):
        walk.expand(["missing"])


def test_python_string_text_is_no_marker(relace: Run, tmp_path: Path) -> None:
    # a template or docstring example line that reads like a marker is text in Python; the
    # same line in a TypeScript template literal is still reported (only Python is parsed)
    (tmp_path / "t.py").write_text('HOOK = """\n# ... your code here ...\n"""\n'
                                   "# ... existing code ...\n")
    (tmp_path / "t.ts").write_text("const t = `\n// ... your code here ...\n`;\n")
    r = relace("check", "t.py", "t.ts")
    assert r.code == 1, r
    assert r.stdout == ("t.py:4: # ... existing code ...\n"
                        "t.ts:2: // ... your code here ...\n")
