"""Shared fixtures: every test runs with its own config and state directories, no real key."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

KEY = "rlc-" + "k" * 28 + "wxyz"  # a well-formed fake key; only its last 4 may ever be printed
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("RELACE_") or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELACE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("RELACE_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


class Result:
    def __init__(self, proc: subprocess.CompletedProcess[bytes]) -> None:
        self.code = proc.returncode
        self.out_bytes = proc.stdout
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"<exit {self.code} stdout={self.stdout[:300]!r} stderr={self.stderr[:500]!r}>"


Run = Callable[..., Result]


@pytest.fixture
def relace(tmp_path: Path) -> Run:
    """Run the real CLI in a subprocess (stdin closed unless `input` is given, as in CI)."""

    def run(
        *args: str,
        input: bytes | str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 60,
    ) -> Result:
        full_env = dict(os.environ)
        full_env.update(env or {})
        data = input.encode() if isinstance(input, str) else input
        proc = subprocess.run(
            [sys.executable, "-m", "relace_cli", *args],
            input=data,
            stdin=subprocess.DEVNULL if data is None else None,
            capture_output=True,
            env=full_env,
            cwd=cwd or tmp_path,
            timeout=timeout,
        )
        return Result(proc)

    return run


def default_sigint() -> None:
    """For Popen(preexec_fn=...): a test run started in the background inherits an ignored
    SIGINT, and Python keeps it ignored; restore the default so the CLI sees Ctrl-C."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def drain_pty(leader: int) -> bytes:
    """Everything a child wrote to the pseudo-terminal, until it closed its end."""
    import os

    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child side is closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return b"".join(chunks)
