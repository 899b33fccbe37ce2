"""The README's first command must keep working: the bundled example merges offline."""

from __future__ import annotations

import re

from tests.conftest import REPO, Run


def test_readme_starts_with_the_two_setup_commands() -> None:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert block is not None
    lines = block.group(1).strip().splitlines()
    assert len(lines) == 2
    assert "relace apply examples/" in lines[0] and "--diff" in lines[0]
    assert "pip install -e '.[test]'" in lines[1] and "pytest" in lines[1]


def test_bundled_example_merges_offline(relace: Run) -> None:
    before = (REPO / "examples" / "greet.py").read_bytes()
    r = relace("apply", "examples/greet.py", "examples/greet.edit.py", "--diff", cwd=REPO)
    assert r.code == 0, r
    assert "+def shout(name: str) -> str:" in r.stdout
    assert "local engine" in r.stderr
    assert (REPO / "examples" / "greet.py").read_bytes() == before
