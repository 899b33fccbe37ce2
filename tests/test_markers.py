"""The elision-marker grammar: every comment syntax, and the look-alikes it must refuse."""

from __future__ import annotations

import pytest

from relace_cli.markers import find_markers, has_marker, is_marker

MARKERS = [
    "// ... existing code ...",
    "  // ... existing code ...",
    "# ... rest of code ...",
    "/* ... */",
    "/* ... existing styles ... */",
    "<!-- ... existing sections ... -->",
    "{/* ... existing code ... */}",
    "-- ...",
    "-- ... existing code ...",
    "// ...",
    "# ...",
    "// ... rest of the existing code ...",
    "// ...existing code...",
    "# ... same ...",
    "// ... unchanged ...",
    "# ... remaining methods ...",
    "// ... keep the rest ...",
    "# ... other methods ...",
    "// ... previous code ...",
    "// ... 20 more lines ...",
    "// … existing code …",
    "; ...",
    "% ... existing code ...",
    "(* ... *)",
    "# rest of the file",
    "// existing code here",
    "# Rest of code unchanged",
    "// keep existing code",
    "# existing imports",
    "/* rest of styles */",
]

NOT_MARKERS = [
    "x = 1  # ...",
    "foo();  // ... existing code ...",
    "...",
    "    ...",
    "…",
    "# Other methods",
    "# More tests",
    "// Previous implementation",
    "// Loading...",
    "# TODO: fix this...",
    "#include <stdio.h>",
    "---",
    "# rest",
    "// wait for it...",
    "<!-- Navigation -->",
    "# Existing users are migrated below, see the docs for details",
    "print('...')",
    "",
    "   ",
]


@pytest.mark.parametrize("line", MARKERS)
def test_markers(line: str) -> None:
    assert is_marker(line)


@pytest.mark.parametrize("line", NOT_MARKERS)
def test_not_markers(line: str) -> None:
    assert not is_marker(line)


def test_find_markers_numbers_lines_from_one() -> None:
    text = "a = 1\n# ... existing code ...\nb = 2\n// ...\n"
    assert find_markers(text) == [(2, "# ... existing code ..."), (4, "// ...")]
    assert has_marker(text)
    assert not has_marker("a = 1\nb = 2\n")
    assert find_markers("") == []


def test_odd_input_never_raises() -> None:
    for text in ["\r", "\ud800", "# ...\r", "x" * 100_000, "#" * 5000 + " ..."]:
        assert isinstance(is_marker(text), bool)
        assert all(isinstance(n, int) and n >= 1 for n, _line in find_markers(text))
    assert find_markers("x" * 100_000) == [] and is_marker("\ud800") is False


def test_a_jinja_comment_can_be_a_marker_and_a_jinja_tag_is_not() -> None:
    from relace_cli.markers import comment_body, is_marker

    assert is_marker("{# ... existing code ... #}")
    assert comment_body("{# a note #}") == " a note "
    assert not is_marker("{% block content %}")
    assert not is_marker("{# a note about the layout #}")
