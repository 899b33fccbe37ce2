"""Python statement shapes a merge must not introduce (merge/pyshape.py)."""

from __future__ import annotations

import pytest

from relace_cli.merge import Abstain, merge
from relace_cli.merge.pyshape import new_problem, problems


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("if x:\ny = 1\n", "`if x:` would have no body"),
        ("try:\n    a()\nb()\n", "`try:` would have no `except` or `finally`"),
        ("x = 1\nexcept ValueError:\n    pass\n", "`except ValueError:` would follow no fitting"),
        ('def f():\n    """New."""\n    """Old."""\n    return 1\n',
         "`def f():` would have two docstrings"),
    ],
)
def test_problems_found(text: str, problem: str) -> None:
    assert any(p.startswith(problem) for p in problems(text.splitlines()))


@pytest.mark.parametrize(
    "text",
    [
        "if x:\n    y = 1\nelif z:\n    y = 2\nelse:\n    y = 3\n",
        "try:\n    a()\nexcept E:\n    b()\nelse:\n    c()\nfinally:\n    d()\n",
        'def f():\n    """Doc.\n\n    if not: a header\n    """\n    return 1\n',
        "for x in y:\n    # a comment\n    pass\nelse:\n    done()\n",
    ],
)
def test_valid_shapes_have_no_problem(text: str) -> None:
    assert not problems(text.splitlines())


def test_only_problems_the_merge_adds_count() -> None:
    orig = ["if x:", "y = 1", "z = 2"]  # (already odd: judged against itself)
    out = ["if x:", "y = 1", "z = 3"]
    assert new_problem(out, [0, 1, -1], orig) is None
    out = ["if x:", "y = 1", "if w:", "z = 2"]
    assert new_problem(out, [0, 1, -1, 2], orig) == "`if w:` would have no body"


def test_a_new_docstring_above_the_old_one_abstains() -> None:
    original = 'def to_cents(amount):\n    """Convert."""\n    return int(amount * 100)\n'
    snippet = ('def to_cents(amount):\n    """\n    Convert an amount to cents.\n    """\n'
               "    # ... existing code ...\n")
    got = merge(original, snippet, language="py")
    assert isinstance(got, Abstain)
