"""Snippets no line of which is in the original, anchored by the one name they set: JSON keys,
style-sheet variables, Makefile variables (no marker), and a JS/TS `const`/`let` or a JSON key
between two markers (a declaration its scope cannot repeat)."""

from __future__ import annotations

import pytest

from relace_cli.merge import Abstain, merge
from relace_cli.merge.keyed import setting
from tests.merging import merged as _merged

PACKAGE = """{
  "name": "web",
  "version": "1.0.0",
  "scripts": {
    "test": "vitest run",
    "lint": "eslint ."
  },
  "devDependencies": {
    "vite": "^5.2.0"
  }
}
"""

SERVER_JS = """'use strict';

const express = require('express');

const PORT = process.env.PORT || 3000;
const app = express();

app.listen(PORT);
"""

STYLES_CSS = """:root {
  --primary: #3366ff;
  --gap: 16px;
}

.btn {
  color: var(--primary);
}
"""

MAKEFILE = """PYTHON ?= python3
VENV := .venv

test:
\t$(PYTHON) -m pytest
"""

M = "// ... existing code ...\n"




def test_a_bare_json_key_replaces_its_one_line() -> None:
    got = _merged(PACKAGE, '"version": "1.0.1",\n', "json")
    assert got == PACKAGE.replace('"1.0.0"', '"1.0.1"')


def test_a_json_key_keeps_the_original_comma() -> None:
    got = _merged(PACKAGE, '    "vite": "^5.3.0",\n', "json")  # (the last key: no comma)
    assert got == PACKAGE.replace("^5.2.0", "^5.3.0")


def test_a_json_key_between_markers_at_its_own_column() -> None:
    got = _merged(PACKAGE, f'  {M}    "test": "node --test",\n  {M}', "json")
    assert got == PACKAGE.replace("vitest run", "node --test")


def test_a_js_const_between_markers() -> None:
    got = _merged(SERVER_JS, f"{M}const PORT = process.env.PORT || 8080;\n{M}", "js")
    assert got == SERVER_JS.replace("3000", "8080")


def test_a_css_variable_and_a_make_variable() -> None:
    assert _merged(STYLES_CSS, "  --primary: #2255ee;\n", "css") == \
        STYLES_CSS.replace("#3366ff", "#2255ee")
    assert _merged(MAKEFILE, "PYTHON ?= python3.12\n", "mk") == \
        MAKEFILE.replace("python3\n", "python3.12\n")


@pytest.mark.parametrize(
    ("original", "snippet", "language"),
    [
        # between markers at another column: maybe a new key in another object
        (PACKAGE, f'{M}"test": "node --test",\n{M}', "json"),
        # a JSON key set in two objects: which one?
        ('{\n  "a": {"name": "x"},\n  "name": "y"\n}\n', '"name": "z"\n', "json"),
        # `var` (and a plain assignment) may be repeated: an edit, or a new line?
        ("var limit = 5;\nrun(limit);\n", f"{M}var limit = 10;\n{M}", "js"),
        # a `let` set again elsewhere (`limit = n;`): which line?
        ("let limit = 5;\nfunction set(n) {\n  limit = n;\n}\n",
         f"{M}let limit = 10;\n{M}", "js"),
        # one marker only: maybe an addition after the elided code
        (SERVER_JS, f"{M}const PORT = 8080;\n", "js"),
        # the original's statement goes on below its first line
        ("const rows = await db\n  .select('*');\n", f"{M}const rows = await replica;\n{M}",
         "ts"),
        ("const rows = await db\n  .select('*');\n", "const rows = await replica\n", "ts"),
        # a #define or a dotenv line between markers: redefining is allowed, so maybe new
        ("#define CAP 64\n#define MAX 9\n", f"{M}#define CAP 128\n{M}", "h"),
        ("A=1\nREDIS_HOST=localhost\n", "# ... existing code ...\nREDIS_HOST=redis\n"
         "# ... existing code ...\n", "env"),
        # a CSS property, not a variable: many rules may set it
        (STYLES_CSS, "  color: red;\n", "css"),
        # `+=` adds to a Makefile variable: not an edit of its line
        ("CFLAGS = -O2\nall:\n\tcc $(CFLAGS)\n", "CFLAGS += -g\n", "mk"),
        # a style variable set in two rules
        (":root { --primary: #000; }\n.dark {\n  --primary: #fff;\n}\n",
         "  --primary: #111;\n", "css"),
    ],
)
def test_unclear_settings_still_abstain(original: str, snippet: str, language: str) -> None:
    assert isinstance(merge(original, snippet, language=language), Abstain)


@pytest.mark.parametrize(
    ("line", "language", "name"),
    [
        ('"version": "1.0.1",', "json", '"version":'),
        ('"scripts": {', "json", None),  # the value goes on below
        ("--primary: #2255ee;", "css", "--primary:"),
        ("$primary: #225588;", "scss", "$primary:"),
        ("color: red;", "css", None),
        ("PYTHON ?= python3.12", "mk", "PYTHON"),
        ("VENV := .venv", "mk", "VENV"),
        ("CFLAGS += -g", "mk", None),
    ],
)
def test_setting_names(line: str, language: str, name: str | None) -> None:
    assert setting(line, language) == name
