"""Existing lines wrapped in a new block (`if x:` / `try {` written above lines of the
original, which move one level deeper)."""

from __future__ import annotations

from relace_cli.merge import Abstain, Merged, merge

PY = """def sync(db, items):
    db.connect()
    for item in items:
        db.save(item)
    db.commit()
    return len(items)
"""

JS = """function sync(db, items) {
  db.connect();
  for (const item of items) {
    db.save(item);
  }
  db.commit();
  return items.length;
}
"""


def test_python_lines_wrapped_in_try() -> None:
    snippet = """def sync(db, items):
    # ... existing code ...
    try:
        db.commit()
    except db.Error:
        db.rollback()
        raise
    return len(items)
"""
    got = merge(PY, snippet, language="py")
    assert isinstance(got, Merged), got
    wrapped = (
        "    try:\n        db.commit()\n"
        "    except db.Error:\n        db.rollback()\n        raise\n"
    )
    assert got.text == PY.replace("    db.commit()\n", wrapped)


def test_js_lines_wrapped_in_if_keep_the_rest() -> None:
    snippet = """function sync(db, items) {
  // ... existing code ...
  if (items.length) {
    db.commit();
  }
  // ... existing code ...
}
"""
    got = merge(JS, snippet, language="js")
    assert isinstance(got, Merged), got
    wrapped = "  if (items.length) {\n    db.commit();\n  }\n"
    assert got.text == JS.replace("  db.commit();\n", wrapped)


def test_a_new_python_header_without_a_body_abstains() -> None:
    # `if ready:` over `db.commit()` at the same depth: no wrap, and no valid Python
    snippet = """def sync(db, items):
    # ... existing code ...
    if ready:
    db.commit()
    return len(items)
"""
    assert isinstance(merge(PY, snippet, language="py"), Abstain)


def test_wrapped_lines_must_be_the_originals_in_a_row() -> None:
    # db.save() and db.commit() are not neighbours in the original (the loop's header and
    # the commit's depth differ): not a wrap of both
    snippet = """def sync(db, items):
    # ... existing code ...
    with db.transaction():
        db.save(item)
        db.commit()
    # ... existing code ...
"""
    assert isinstance(merge(PY, snippet, language="py"), Abstain)
