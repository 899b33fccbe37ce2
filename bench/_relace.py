"""What the bench scripts share: how to run the installed `relace` command."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def relace_command() -> list[str]:
    """The console script beside this interpreter, else the one on PATH, else `-m`."""
    script = Path(sys.executable).with_name("relace")
    if script.exists():
        return [str(script)]
    found = shutil.which("relace")
    return [found] if found else [sys.executable, "-m", "relace_cli"]
