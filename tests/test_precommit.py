"""`relace check` as a pre-commit hook, run by the real pre-commit in a real git repository."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

MARKED = "def a():\n    return 1\n\n\n# ... existing code ...\n"
FIXED = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No user or system git config, a private pre-commit cache, no repository above."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("GIT_", "PRE_COMMIT")) and k != "VIRTUAL_ENV"}
    base.update({
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": str(tmp_path),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
    })
    return base


def run(args: list[str], cwd: Path, env: dict[str, str],
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def git(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(["git", *args], cwd, env)


def new_repo(path: Path, env: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    for args in (["init", "-q"], ["config", "user.name", "Test"],
                 ["config", "user.email", "test@example.com"],
                 ["config", "commit.gpgsign", "false"]):
        assert git(path, env, *args).returncode == 0
    return path


def pre_commit(*args: str) -> list[str]:
    return [sys.executable, "-m", "pre_commit", *args]


def relace_entry() -> str:
    script = Path(sys.executable).parent / "relace"
    if script.exists():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m relace_cli"


def commit_count(repo: Path, env: dict[str, str]) -> int:
    proc = git(repo, env, "rev-list", "--count", "HEAD")
    return int(proc.stdout) if proc.returncode == 0 else 0


def test_local_hook_refuses_a_commit_with_a_marker_then_accepts_the_fix(
    tmp_path: Path, env: dict[str, str]
) -> None:
    repo = new_repo(tmp_path / "repo", env)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: relace-check\n"
        "        name: relace check\n"
        f"        entry: {relace_entry()} check\n"
        "        language: system\n"
        "        types: [text]\n"
    )
    assert run(pre_commit("install"), repo, env).returncode == 0
    assert git(repo, env, "add", ".pre-commit-config.yaml").returncode == 0
    first = git(repo, env, "commit", "-q", "-m", "config")
    assert first.returncode == 0, first.stdout + first.stderr

    (repo / "app.py").write_text(MARKED)
    (repo / "logo.png").write_bytes(b"\x89PNG\x00\x00# ... existing code ...\n")  # not text
    git(repo, env, "add", "app.py", "logo.png")
    refused = git(repo, env, "commit", "-m", "half-applied edit")
    assert refused.returncode != 0
    report = refused.stdout + refused.stderr
    assert "app.py:5: # ... existing code ..." in report
    assert "logo.png" not in report
    assert "Failed" in report
    assert commit_count(repo, env) == 1

    (repo / "app.py").write_text(FIXED)
    git(repo, env, "add", "app.py")
    accepted = git(repo, env, "commit", "-m", "merged edit")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr
    assert commit_count(repo, env) == 2


def copy_of_this_repo(dest: Path, env: dict[str, str]) -> Path:
    """The project's files (tracked and untracked, not ignored) committed in a new repo."""
    from relace_cli import walk

    names = walk.git_files(str(REPO))
    if names is None:  # an unpacked sdist: take the tree
        names = list(walk.tree_files(str(REPO)))
    new_repo(dest, env)
    for name in names:
        rel = Path(name).relative_to(REPO)
        if rel.parts[0] in ("tests", "bench", "examples"):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(name, target)
    assert (dest / ".pre-commit-hooks.yaml").exists()
    assert git(dest, env, "add", "-A").returncode == 0
    done = git(dest, env, "commit", "-q", "--no-verify", "-m", "snapshot")
    assert done.returncode == 0, done.stderr
    return dest


@pytest.mark.slow
def test_the_published_hook_definition_works(tmp_path: Path, env: dict[str, str]) -> None:
    """pre-commit builds its own venv from this repo (pip, so it needs the package index)."""
    source = copy_of_this_repo(tmp_path / "relace-cli", env)
    work = new_repo(tmp_path / "work", env)
    (work / "x.py").write_text(MARKED)
    (work / "clean.py").write_text(FIXED)
    git(work, env, "add", "x.py", "clean.py")
    proc = run(pre_commit("try-repo", str(source), "relace-check", "--files", "x.py",
                          "clean.py"), work, env, timeout=240)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 1, report
    assert "x.py:5: # ... existing code ..." in report
    assert "clean.py:" not in report
    (work / "x.py").write_text(FIXED)
    proc = run(pre_commit("try-repo", str(source), "relace-check", "--files", "x.py"),
               work, env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_apply_check_as_a_local_hook(tmp_path: Path, env: dict[str, str]) -> None:
    """The README's second recipe: refuse commits while an edit snippet is not yet merged."""
    original = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
    snippet = "# ... existing code ...\n\ndef b():\n    return 3\n"
    repo = new_repo(tmp_path / "repo", env)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: relace-apply-check\n"
        "        name: edit snippet is merged\n"
        f"        entry: {relace_entry()} apply --engine local --check mod.py patches/mod.edit.py\n"
        "        language: system\n"
        "        pass_filenames: false\n"
        r"        files: ^(mod\.py|patches/mod\.edit\.py)$" "\n"
    )
    assert run(pre_commit("install"), repo, env).returncode == 0
    (repo / "patches").mkdir()
    (repo / "patches" / "mod.edit.py").write_text(snippet)
    (repo / "mod.py").write_text(original)
    git(repo, env, "add", ".")
    refused = git(repo, env, "commit", "-m", "snippet not merged yet")
    assert refused.returncode != 0 and "would change" in refused.stdout + refused.stderr
    (repo / "mod.py").write_text(original.replace("return 2", "return 3"))
    git(repo, env, "add", ".")
    accepted = git(repo, env, "commit", "-m", "merged")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
