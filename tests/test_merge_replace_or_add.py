"""A new line written next to a matched line, where the original has another line in that
place: replaced when both could not be meant (replace.py), else the merge still abstains."""

from __future__ import annotations

import pytest

from relace_cli.merge import Abstain, Merged, merge
from relace_cli.merge.replace import replaces
from tests.merging import merged as _merged


@pytest.mark.parametrize(("new", "old"), [
    ("#define BUF_SIZE 512", "#define BUF_SIZE 256"),
    ("--primary: #2563eb;", "--primary: #3b82f6;"),
    ("#[derive(Debug, Clone, Default)]", "#[derive(Debug, Clone)]"),
    ("#[derive(Debug, Clone)]", "#[derive(Debug, Clone, PartialEq)]"),
    ("const [step, setStep] = useState(0);", "const [step, setStep] = useState(1);"),
    ("res, err := s.db.ExecContext(ctx, q2, id)", "res, err := s.db.ExecContext(ctx, q1, id)"),
    ("size_t cap = min;", "size_t cap = 1;"),
    ("id SERIAL PRIMARY KEY,", "id INTEGER PRIMARY KEY,"),
    ("balance NUMERIC(14, 2) DEFAULT 0", "balance NUMERIC(12, 2) DEFAULT 0"),
    ("pub id: u128,", "pub id: u64,"),
    ("requests==2.31.0", "requests==2.28.1"),
    ('"django==4.2.11",', '"django==4.2.7",'),
    ("- uses: actions/checkout@v5", "- uses: actions/checkout@v4"),
    ("- DEBUG=0", "- DEBUG=1"),
    ("ENV NODE_ENV=staging", "ENV NODE_ENV=production"),
    ("case KindA, KindD:", "case KindA:"),
])
def test_same_name_twice_is_a_replacement(new: str, old: str) -> None:
    assert replaces(new, old)


@pytest.mark.parametrize(("new", "old"), [
    ("#define BUF_CAP 512", "#define BUF_SIZE 256"),  # another macro
    ("#[derive(Serialize)]", "#[derive(Debug, Clone)]"),  # no trait in common
    ("created_at TIMESTAMP NOT NULL,", "id SERIAL PRIMARY KEY,"),  # another column
    ("created_at TIMESTAMP,", "created_at TIMESTAMP"),  # a comma added: a column after it
    ("- run: make lint", "- run: make test"),  # another step
    ('"127.0.0.1",', '"0.0.0.0",'),  # positional items: either may be meant
    ("EXPOSE 8080", "EXPOSE 3000"),  # a second port is fine
    ("err = s.normalize(u)", "err = s.insert(ctx, u)"),  # a step of a sequence
    ("return x + 1;", "return x;"),
    ("case KindD:", "case KindA:"),  # another label
    ("- PORT=80", "- DEBUG=1"),
    ("pub name: String,", "pub id: u64,"),
    ("django==4.2.11", "flask==3.0.0"),
])
def test_other_pairs_are_not(new: str, old: str) -> None:
    assert not replaces(new, old)




def test_derive_edited_above_the_struct() -> None:
    original = "use std::fmt;\n\n#[derive(Debug, Clone)]\npub struct Lexer {\n    pos: usize,\n}\n"
    snippet = "// ... existing code ...\n#[derive(Debug, Clone, Default)]\npub struct Lexer {\n" \
        "// ... existing code ...\n"
    assert _merged(original, snippet, "rs") == original.replace("Clone)]", "Clone, Default)]")


def test_sql_column_type_edited_before_a_marker() -> None:
    original = "CREATE TABLE t (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL,\n" \
        "    body TEXT\n);\n"
    snippet = "CREATE TABLE t (\n    id SERIAL PRIMARY KEY,\n    -- ... existing code ...\n);\n"
    assert _merged(original, snippet, "sql") == original.replace("INTEGER", "SERIAL")


def test_compose_env_edited_before_a_marker() -> None:
    original = "services:\n  web:\n    environment:\n      - DEBUG=1\n      - DB=postgres\n" \
        "    ports:\n      - \"80:80\"\n"
    snippet = "services:\n  web:\n    environment:\n      - DEBUG=0\n# ... existing code ...\n"
    assert _merged(original, snippet, "yaml") == original.replace("DEBUG=1", "DEBUG=0")


def test_new_column_after_a_kept_one_is_added() -> None:
    original = "CREATE TABLE t (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL\n);\n"
    snippet = "CREATE TABLE t (\n    id INTEGER PRIMARY KEY,\n    email TEXT,\n" \
        "    -- ... existing code ...\n);\n"
    got = merge(original, snippet, "sql")
    assert not isinstance(got, Merged) or "name TEXT NOT NULL" in got.text


@pytest.mark.parametrize(("original", "snippet", "lang"), [
    # a positional argument or list item: replaced, or one more?
    ('run(\n    "0.0.0.0",\n    8000,\n)\n',
     'run(\n    "127.0.0.1",\n    # ... existing code ...\n)\n', "py"),
    # a second EXPOSE is legal
    ("FROM node:20\nCOPY . .\nEXPOSE 3000\nUSER node\n",
     "# ... existing code ...\nCOPY . .\nEXPOSE 8080\n# ... existing code ...\n", "dockerfile"),
    # the image of a file that starts with the snippet: a line put first, or the FROM edited?
    ("FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n",
     "FROM python:3.12-slim\n# ... existing code ...\n", "dockerfile"),
])
def test_still_abstains(original: str, snippet: str, lang: str) -> None:
    assert isinstance(merge(original, snippet, lang), Abstain)


def test_indented_block_shown_in_part_before_a_shallower_marker_abstains() -> None:
    # (no bracket ends the steps: whether the rest of them stays is not said)
    original = "jobs:\n  test:\n    steps:\n      - uses: actions/checkout@v4\n" \
        "      - run: pytest\n  lint:\n    steps:\n      - run: ruff\n"
    snippet = "# ... existing code ...\n  test:\n    steps:\n      - uses: actions/checkout@v5\n" \
        "# ... existing code ...\n"
    got = merge(original, snippet, "js")  # (a wrong language: the indentation is all there is)
    assert not isinstance(got, Merged) or "- run: pytest" in got.text
