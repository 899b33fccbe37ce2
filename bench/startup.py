"""Start-up cost of relace, as ratios to what any Typer program pays in this environment.

Builds a minimal three-command Typer app, then times (median of many interleaved runs):
  1. `relace --version`                         / `python -c pass`            (target <= 2.5)
  2. `relace --help`                            / minimal app `--help`        (target <= 1.25)
  3. `relace apply --engine local --stdout`     / minimal app printing a file (target <= 1.5)

Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _relace import relace_command  # noqa: E402

MINIMAL_APP = '''
import typer

app = typer.Typer()


@app.command()
def cat(path: str) -> None:
    """Print a file."""
    with open(path, encoding="utf-8") as fh:
        typer.echo(fh.read(), nl=False)


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


@app.command()
def count(path: str) -> None:
    """Count lines."""
    with open(path, encoding="utf-8") as fh:
        typer.echo(sum(1 for _ in fh))


if __name__ == "__main__":
    app()
'''

SAMPLE = """def greet(name):
    return "Hello, " + name


def farewell(name):
    return "Goodbye, " + name
"""
SNIPPET = """# ... existing code ...

def farewell(name):
    return f"Goodbye, {name}!"
"""


def time_once(cmd: list[str], cwd: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed: {proc.stderr.decode()[-500:]}")
    return elapsed


# As a user's shell would be: no RELACE_* settings, and bytecode caching on (the warm-up run
# writes the .pyc files, as `pip install` does for a regular install).
ENV = {k: v for k, v in os.environ.items()
       if not k.startswith("RELACE_") and k != "PYTHONDONTWRITEBYTECODE"}
ENV.update({"NO_COLOR": "1", "COLUMNS": "100", "RELACE_ENGINE": "local"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per command (median taken)")
    args = parser.parse_args()
    relace = relace_command()
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp, "minimal.py")
        app.write_text(MINIMAL_APP)
        sample = Path(tmp, "sample.py")
        sample.write_text(SAMPLE)
        ENV["RELACE_CONFIG_DIR"] = str(Path(tmp, "config"))
        ENV["RELACE_STATE_DIR"] = str(Path(tmp, "state"))
        py = sys.executable
        commands = {
            "bare": [py, "-c", "pass"],
            "version": [*relace, "--version"],
            "min_help": [py, str(app), "--help"],
            "help": [*relace, "--help"],
            "min_cat": [py, str(app), "cat", str(sample)],
            "apply": [
                *relace,
                "apply",
                str(sample),
                "--engine",
                "local",
                "--stdout",
                "-e",
                SNIPPET,
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm the caches (.pyc, page cache)
            time_once(cmd, tmp)
        for _ in range(args.runs):  # interleaved, so drift hits every command alike
            for name, cmd in commands.items():
                times[name].append(time_once(cmd, tmp))
    med = {name: statistics.median(values) for name, values in times.items()}
    rows = [
        ("relace --version / python -c pass", med["version"] / med["bare"], 2.5),
        ("relace --help / minimal Typer --help", med["help"] / med["min_help"], 1.25),
        (
            "relace apply --engine local --stdout / minimal Typer cat",
            med["apply"] / med["min_cat"],
            1.5,
        ),
    ]
    print(
        f"medians of {args.runs} interleaved runs (ms): "
        + ", ".join(f"{name} {value * 1000:.1f}" for name, value in med.items())
    )
    ok = True
    for label, ratio, target in rows:
        passed = ratio <= target
        ok &= passed
        print(f"  {label:<58} {ratio:5.2f}x  (target <= {target}x) {'ok' if passed else 'MISSED'}")
    print(
        f"startup: version {rows[0][1]:.2f}x, help {rows[1][1]:.2f}x, "
        f"local apply {rows[2][1]:.2f}x -> {'all targets met' if ok else 'target missed'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
