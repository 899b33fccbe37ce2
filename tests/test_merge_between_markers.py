"""A closer alone between two markers (`anchor` / new line / `# ...` / `]` / `# ...`): it ends
the block around the anchor, so the new line joins that block right after the anchor. Merged
only when the original has exactly one such end; else the merge still abstains."""

from __future__ import annotations

from relace_cli.merge import Abstain, merge
from tests.merging import merged as _merged

SETTINGS = """\
import os

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DB_NAME", "shop"),
        "USER": os.environ.get("DB_USER", "shop"),
    }
}

DEBUG = False
"""




def test_list_item_added_before_a_closer_between_markers() -> None:
    snippet = (
        "# ... existing code ...\n"
        '    "django.contrib.staticfiles",\n'
        '    "django_filters",\n'
        "    # ... existing code ...\n"
        "]\n"
        "# ... existing code ...\n"
    )
    want = SETTINGS.replace('staticfiles",\n', 'staticfiles",\n    "django_filters",\n')
    assert _merged(SETTINGS, snippet, "py") == want


def test_two_closers_end_the_two_blocks_around_the_anchor() -> None:
    snippet = (
        "# ... existing code ...\n"
        '        "NAME": os.environ.get("DB_NAME", "shop"),\n'
        '        "PASSWORD": os.environ.get("DB_PASSWORD", ""),\n'
        "        # ... existing code ...\n"
        "    }\n"
        "}\n"
        "# ... existing code ...\n"
    )
    want = SETTINGS.replace('"shop"),\n        "USER"',
                            '"shop"),\n        "PASSWORD": os.environ.get("DB_PASSWORD", ""),'
                            '\n        "USER"')
    assert _merged(SETTINGS, snippet, "py") == want


def test_kwarg_added_before_the_call_closer_in_js() -> None:
    original = (
        "function build(data) {\n"
        "  return make({\n"
        "    name: data.name,\n"
        "    email: data.email,\n"
        "    tags: data.tags,\n"
        "  });\n"
        "}\n"
        "\n"
        "export default build;\n"
    )
    snippet = (
        "// ... existing code ...\n"
        "    email: data.email,\n"
        "    phone: data.phone,\n"
        "    // ... existing code ...\n"
        "  });\n"
        "// ... existing code ...\n"
    )
    want = original.replace("data.email,\n", "data.email,\n    phone: data.phone,\n")
    assert _merged(original, snippet, "js") == want


def test_new_line_like_an_elided_one_still_abstains() -> None:
    # `max_retries=3,` may rename `retries=3,` or be added next to it: not said
    original = (
        "def connect(\n"
        "    host,\n"
        "    timeout=10,\n"
        "    retries=3,\n"
        "    ssl=False,\n"
        "):\n"
        "    return host\n"
    )
    snippet = (
        "# ... existing code ...\n"
        "    timeout=10,\n"
        "    max_retries=3,\n"
        "    # ... existing code ...\n"
        "):\n"
        "# ... existing code ...\n"
    )
    assert isinstance(merge(original, snippet, "py"), Abstain)


def test_closer_at_a_depth_no_block_around_the_anchor_ends_still_abstains() -> None:
    # the `]` is written as deep as the anchor: it ends no block around it
    snippet = (
        "# ... existing code ...\n"
        '    "django.contrib.staticfiles",\n'
        '    "django_filters",\n'
        "    # ... existing code ...\n"
        "    ]\n"
        "# ... existing code ...\n"
    )
    assert isinstance(merge(SETTINGS, snippet, "py"), Abstain)


def test_closer_after_a_bare_brace_anchor_still_abstains() -> None:
    # the line above the gap is a `}`: too common to take a depth from
    original = (
        "func TestItems(t *testing.T) {\n"
        "\ttests := []struct {\n"
        "\t\tname string\n"
        "\t}{\n"
        '\t\t{name: "list"},\n'
        "\t}\n"
        "\tfor _, tc := range tests {\n"
        "\t\trun(t, tc)\n"
        "\t}\n"
        "}\n"
    )
    snippet = (
        "// ... existing code ...\n"
        "\t}\n"
        '\tlog.Println("done")\n'
        "\t// ... existing code ...\n"
        "}\n"
        "// ... existing code ...\n"
    )
    assert isinstance(merge(original, snippet, "go"), Abstain)


def test_code_between_markers_that_is_not_a_closer_still_abstains() -> None:
    snippet = (
        "# ... existing code ...\n"
        '    "django.contrib.staticfiles",\n'
        "    # ... existing code ...\n"
        'DEBUG = os.environ.get("DEBUG") == "1"\n'
        "# ... existing code ...\n"
    )
    got = merge(SETTINGS, snippet, "py")
    assert isinstance(got, Abstain)
    assert "sits between two markers" in got.reason
