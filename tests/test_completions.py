"""The committed shell completion scripts are current, and the bash one really completes."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_completions",
                                                  REPO / "scripts" / "gen_completions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated() -> dict[Path, str]:
    return load_generator().generate_all()


def test_committed_scripts_are_current(generated: dict[Path, str]) -> None:
    assert sorted(p.name for p in generated) == ["_relace", "relace.bash", "relace.fish"]
    for path, text in generated.items():
        assert path.exists(), f"{path.name} is missing: run python scripts/gen_completions.py"
        assert path.read_text() == text, \
            f"{path.name} is stale: run python scripts/gen_completions.py"


def test_scripts_have_the_shapes_their_shells_need(generated: dict[Path, str]) -> None:
    by_name = {p.name: t for p, t in generated.items()}
    assert by_name["_relace"].startswith("#compdef relace\n")  # autoloadable from $fpath
    assert "complete -o default -F _relace_completion relace" in by_name["relace.bash"]
    assert by_name["relace.fish"].startswith("complete --command relace ")
    assert all(t.endswith("\n") and not t.endswith("\n\n") for t in by_name.values())


def _bash_complete(words: list[str], tmp_path: Path) -> list[str]:
    """Source the committed bash script and ask it to complete *words* (last one partial)."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    shim = bindir / "relace"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m relace_cli "$@"\n')
    shim.chmod(0o755)
    quoted = " ".join(f"'{w}'" for w in words)
    script = (f"source '{REPO / 'completions' / 'relace.bash'}'\n"
              f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
              "_relace_completion relace\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_and_options(tmp_path: Path) -> None:
    assert _bash_complete(["relace", "ch"], tmp_path) == ["check"]
    assert set(_bash_complete(["relace", "rank", "--to"], tmp_path)) == {"--token-limit", "--top"}
    assert "--from-markdown" in _bash_complete(["relace", "apply", "--fr"], tmp_path)
