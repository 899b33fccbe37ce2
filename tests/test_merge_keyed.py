"""A snippet that only sets values (no marker, no line of it in the original): the names
it sets anchor it, when each is set exactly once in the original."""

from __future__ import annotations

import pytest

from relace_cli.merge import Abstain, Merged, merge
from relace_cli.merge.keyed import setting

CONFIG_PY = '''"""Settings."""
import os

TIMEOUT = 30
RETRIES = 3

def url():
    return os.environ.get("URL", "http://localhost")
'''


def test_a_lone_constant_replaces_the_one_line_that_sets_it() -> None:
    got = merge(CONFIG_PY, "TIMEOUT = 60\n", language="py")
    assert isinstance(got, Merged)
    assert got.strategy == "keyed"
    assert got.text == CONFIG_PY.replace("TIMEOUT = 30", "TIMEOUT = 60")


def test_two_neighbouring_settings_are_replaced_together() -> None:
    got = merge(CONFIG_PY, "TIMEOUT = 10\nRETRIES = 5\n", language="py")
    assert isinstance(got, Merged)
    assert got.text == CONFIG_PY.replace("30", "10").replace("= 3\n", "= 5\n")


def test_settings_out_of_the_original_order_abstain() -> None:
    assert isinstance(merge(CONFIG_PY, "RETRIES = 5\nTIMEOUT = 10\n", language="py"), Abstain)


def test_the_original_indentation_is_kept() -> None:
    original = "class Config {\n    static readonly LIMIT = 10;\n    name = 'x';\n}\n"
    got = merge(original, "static readonly LIMIT = 20;\n", language="ts")
    assert isinstance(got, Merged)
    assert got.text == original.replace("10", "20")


@pytest.mark.parametrize(
    ("original", "snippet", "language"),
    [
        # set twice: which one?
        ("x = 1\ndef f():\n    x = 2\n    return x\n", "x = 3\n", "py"),
        # a marker around the line: an edit, or a new line among the elided ones?
        (CONFIG_PY, "# ... existing code ...\nTIMEOUT = 60\n# ... existing code ...\n", "py"),
        # sectioned configuration: which section?
        ('[package]\nversion = "0.1.0"\n[tool]\nname = "x"\n', 'version = "0.2.0"\n', "toml"),
        # a line that sets nothing
        (CONFIG_PY, "print(TIMEOUT)\n", "py"),
        # a different left-hand side (a type added) is not the same setting
        (CONFIG_PY, "TIMEOUT: int = 60\n", "py"),
    ],
)
def test_unclear_settings_abstain(original: str, snippet: str, language: str) -> None:
    assert isinstance(merge(original, snippet, language=language), Abstain)


@pytest.mark.parametrize(
    ("line", "language", "name"),
    [
        ("MAX = 5", "py", "MAX"),
        ("export const PAGE_SIZE = 50;", "ts", "export const PAGE_SIZE"),
        ("limit := 10", "go", "limit"),
        ("#define BUF_CAP 8192", "h", "#define BUF_CAP"),
        ("ARG PY_VERSION=3.12", "dockerfile", "ARG PY_VERSION"),
        ("replicas: 3", "yaml", "replicas:"),
        ("if x == 1", "py", None),
        ("return a <= b", "js", None),
        ("items = [", "py", None),  # the value goes on below
        ("spec:", "yaml", None),
    ],
)
def test_setting_names(line: str, language: str, name: str | None) -> None:
    assert setting(line, language) == name
