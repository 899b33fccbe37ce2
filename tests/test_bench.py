"""The merge benchmark runs on any case file and judges results: it must not rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

BENCH = REPO / "bench" / "merge_bench.py"
ORIGINAL = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
SNIPPET = "# ... existing code ...\n\n\ndef b():\n    return 3\n"
MERGED = "def a():\n    return 1\n\n\ndef b():\n    return 3\n"


def bench(tmp_path: Path, cases: list[dict]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases))
    return subprocess.run([sys.executable, str(BENCH), str(path), "--rounds", "2"],
                          capture_output=True, text=True, timeout=120, check=False)


def test_reports_coverage_precision_abstentions_and_speed(tmp_path: Path) -> None:
    r = bench(tmp_path, [
        {"id": "ok", "language": "py", "original": ORIGINAL, "snippet": SNIPPET,
         "expected": MERGED},
        {"id": "must-abstain", "language": "py", "original": ORIGINAL,
         "snippet": "# ... existing code ...\nx = 1\n# ... existing code ...\n",
         "expected": None},
    ])
    assert r.returncode == 0, r.stderr
    assert "coverage  1/1 = 100.0%" in r.stdout
    assert "precision 1/1 = 100.0%" in r.stdout
    assert "abstained when required 1/1" in r.stdout
    assert "x 2 rounds" in r.stdout
    assert "wrong merges 0" in r.stdout and "tokens/s" in r.stdout


def test_a_wrong_merge_fails_the_run(tmp_path: Path) -> None:
    r = bench(tmp_path, [{"id": "bad-label", "language": "py", "original": ORIGINAL,
                          "snippet": SNIPPET, "expected": ORIGINAL}])
    assert r.returncode == 1
    assert "wrong merges 1" in r.stdout
