"""Decorators and closers written right next to a marker: merged where the snippet's meaning
is clear (the stack or closer shown is the kept one, new decorators join it in a said place),
abstaining where it is not (a decorator that may replace one, a closer of a rewritten block)."""

from __future__ import annotations

from relace_cli.merge import Abstain, merge
from tests.merging import abstains, merged

PY_ROUTES = """\
@app.route("/health")
def health():
    return "ok"


@app.route("/users")
@login_required
def users():
    return []
"""

JAVA_SERVICE = """\
public class OrderService {
    public long count() {
        return repository.count();
    }

    @Deprecated
    @Transactional
    public void purge(long id) {
        repository.deleteById(id);
    }

    public String describe(Order order) {
        return order.getId();
    }
}
"""






# --- decorators ----------------------------------------------------------------------------


def test_new_definition_before_a_decorator_shown_as_context() -> None:
    snippet = """\
# ... existing code ...
    return "ok"


@app.route("/ready")
def ready():
    return "yes"


@app.route("/users")
# ... existing code ...
"""
    text = merged(PY_ROUTES, snippet, "py")
    assert text.count('@app.route("/users")') == 1
    assert text.index("def ready():") < text.index('@app.route("/users")') \
        < text.index("@login_required") < text.index("def users():")


def test_decorator_over_an_undecorated_definition_abstains() -> None:
    # its own decorator, or a new definition's with the body elided (`@Test` over a private
    # helper, `@app.route(...)` over a decorator factory)? Review 19 found both.
    snippet = """\
    // ... existing code ...
        repository.deleteById(id);
    }

    @Transactional(readOnly = true)
    // ... existing code ...
"""
    abstains(JAVA_SERVICE, snippet, "java")


def test_decorator_with_a_name_in_the_kept_stack_abstains() -> None:
    # `@Transactional(readOnly = true)` over a stack holding `@Transactional`: an edit of it?
    snippet = """\
    // ... existing code ...
        return repository.count();
    }

    @Transactional(readOnly = true)
    // ... existing code ...
"""
    assert "decorates a definition" in abstains(JAVA_SERVICE, snippet, "java")


def test_new_decorator_after_a_shown_prefix_of_the_stack_abstains() -> None:
    # added before the rest of the stack, or replacing the next one (`@Secured` where
    # `@PreAuthorize` was)?
    snippet = """\
# ... existing code ...
    return "ok"


@app.route("/users")
@admin_only
# ... existing code ...
"""
    abstains(PY_ROUTES, snippet, "py")


def test_new_decorators_among_the_whole_stack_shown() -> None:
    snippet = """\
    // ... existing code ...
        return repository.count();
    }

    @Deprecated
    @Timed("purge")
    @Transactional
    // ... existing code ...
"""
    text = merged(JAVA_SERVICE, snippet, "java")
    assert '    @Deprecated\n    @Timed("purge")\n    @Transactional\n    public void purge' in text


def test_decorator_where_the_stack_has_another_abstains() -> None:
    # `@cached_property` where the kept definition has `@property`: added, or replacing it?
    original = "class A:\n    x = 1\n\n    @property\n    def name(self):\n        return 'a'\n"
    snippet = "# ... existing code ...\n    x = 1\n\n    @cached_property\n" \
              "    # ... existing code ...\n"
    assert "decorates a definition" in abstains(original, snippet, "py")


def test_decorator_with_the_name_of_one_in_the_stack_abstains() -> None:
    # `@Roles('admin', 'owner')` after the shown prefix, where the stack has `@Roles('admin')`
    original = """\
class C {
  list() {
    return [];
  }

  @Delete(':id')
  @Roles('admin')
  remove(id: number) {
    return id;
  }
}
"""
    snippet = """\
// ... existing code ...
    return [];
  }

  @Delete(':id')
  @Roles('admin', 'owner')
  // ... existing code ...
"""
    assert "decorates a definition" in abstains(original, snippet, "ts")


def test_decorator_matching_the_second_of_the_stack_abstains() -> None:
    # `@login_required` is the stack's second line: the first one deleted, or a new stack?
    snippet = """\
# ... existing code ...
    return "ok"


@login_required
# ... existing code ...
"""
    assert "decorates a definition" in abstains(PY_ROUTES, snippet, "py")


# --- closers -------------------------------------------------------------------------------

GO_LOOP = """\
package main

func run(tags []string) {
	for _, tag := range tags {
		if err := push(tag); err != nil {
			log.Printf("tag %s: %v", tag, err)
		}
	}
	done()
}
"""


def test_closers_of_blocks_above_the_snippet_are_the_kept_ones() -> None:
    snippet = """\
// ... existing code ...
			log.Printf("tag %s: %v", tag, err)
			failed = append(failed, tag)
		}
	}
// ... existing code ...
"""
    text = merged(GO_LOOP, snippet, "go")
    assert text == GO_LOOP.replace(
        "err)\n", "err)\n\t\t\tfailed = append(failed, tag)\n")


def test_closers_after_an_edited_line_are_the_kept_ones() -> None:
    # `return 2;` twice in the original: the edited one's closers are the switch's and the
    # function's, their headers above the snippet's first line
    original = """\
int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(argv[0]);
        return 2;
    }
    switch (argv[1][0]) {
    case 'a':
        return cmd_add(argc - 2, argv + 2);
    default:
        usage(argv[0]);
        return 2;
    }
}

static int cmd_add(int argc, char **argv)
{
    return 0;
}
"""
    snippet = """\
// ... existing code ...
    default:
        usage(argv[0]);
        return 64;
    }
}
// ... existing code ...
"""
    text = merged(original, snippet, "c")
    assert text == original.replace("        return 2;\n    }\n}", "        return 64;\n    }\n}")


def test_closer_of_a_rewritten_header_abstains() -> None:
    # `func Stop` over `func Start`: a new method before it, or Start renamed? The `}` says
    # nothing about which block it closes
    original = "package svc\n\nfunc (s *Svc) Start() error {\n\ts.running = true\n\treturn nil\n}\n"
    snippet = "package svc\n\nfunc (s *Svc) Stop() error {\n\ts.running = false\n" \
              "\treturn nil\n}\n\n// ... existing code ...\n"
    assert "closes a block" in abstains(original, snippet, "go")


def test_closer_after_a_one_line_rewrite_abstains() -> None:
    # the dict closed on its first line: the `}` shown closes nothing the snippet opened
    original = 'DEFAULTS = {\n    "timeout": 30,\n    "retries": 3,\n}\n\nX = 1\n'
    snippet = 'DEFAULTS = {"timeout": 60}\n    "retries": 3,\n}\n# ... existing code ...\n'
    assert isinstance(merge(original, snippet, "py"), Abstain)
