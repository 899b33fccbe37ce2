"""Start-up hygiene: heavy modules are imported only by the commands that need them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SNIPPET = "# ... existing code ...\n\ndef b():\n    return 3\n"


def imported_modules(args: list[str], cwd: Path) -> set[str]:
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "relace_cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert names, "no -X importtime output"
    return names


def top_level(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize(
    ("args", "absent"),
    [
        (["--version"], {"requests", "rich", "typer", "urllib3"}),
        (["--help"], {"requests", "urllib3"}),
        (
            ["apply", "{file}", "--engine", "local", "--stdout", "-e", SNIPPET],
            {"requests", "rich", "urllib3"},
        ),
        (["check", "{file}"], {"requests", "rich", "urllib3"}),
    ],
)
def test_heavy_modules_are_not_imported(tmp_path: Path, args: list[str], absent: set[str]) -> None:
    f = tmp_path / "m.py"
    f.write_text("def a():\n    return 1\n\n\ndef b():\n    return 2\n")
    args = [a.replace("{file}", str(f)) for a in args]
    loaded = top_level(imported_modules(args, tmp_path))
    assert not absent & loaded, f"{' '.join(args[:2])} imported {sorted(absent & loaded)}"


def test_merge_engine_imports_only_the_standard_library(tmp_path: Path) -> None:
    code = (
        "import sys; import relace_cli.merge, relace_cli.guards, relace_cli.files; "
        "print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert not {"typer", "rich", "requests", "urllib3"} & top_level(set(out))


def test_top_level_help_summaries_match_the_commands() -> None:
    """`relace --help` shows COMMANDS' one-line help without importing the command modules."""
    import importlib

    from relace_cli.cli.app import COMMANDS

    for name, (module, attribute, group, short) in COMMANDS.items():
        target = getattr(importlib.import_module(module), attribute)
        if group:
            real = target.info.help
        else:
            real = (target.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        assert " ".join(real.split()) == short, f"update COMMANDS[{name!r}] in cli/app.py"


def test_top_level_help_imports_no_command_module(tmp_path: Path) -> None:
    loaded = imported_modules(["--help"], tmp_path)
    assert not {m for m in loaded if m.startswith("relace_cli.cli.") and m.endswith("_cmd")}
