"""Closing lines right after an anchor, next to elided code: the snippet's `}` is the
original's closer of the anchor's block when the lines between are the original's own
(`return` / `}` / a new block), when a new clause opens there (`} else if (...) {` / ... /
`}`), or when the header of that block was edited in place; anything less clear abstains."""

from __future__ import annotations

from relace_cli.merge import Abstain, merge
from tests.merging import merged

GO_HANDLER = """\
package api

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
\tvar req CreateRequest
\tif req.Name == "" {
\t\thttp.Error(w, "name required", http.StatusBadRequest)
\t\treturn
\t}
\titem, err := s.store.Create(r.Context(), req.Name)
\tjson.NewEncoder(w).Encode(item)
}
"""

JAVA_PLACE = """\
public class OrderService {
    public Order place(Order order) {
        if (order.getItems().isEmpty()) {
            throw new IllegalArgumentException("empty order");
        }
        return repo.save(order);
    }
}
"""

JAVA_CTOR = """\
public class OrderController {
    private final OrderService service;

    public OrderController(OrderService service) {
        this.service = service;
    }

    public List<Order> list() {
        return service.all();
    }
}
"""




def test_context_lines_then_closer_then_new_block() -> None:
    snippet = (
        "// ... existing code ...\n"
        '\t\thttp.Error(w, "name required", http.StatusBadRequest)\n'
        "\t\treturn\n"
        "\t}\n"
        "\tif len(req.Name) > 64 {\n"
        '\t\thttp.Error(w, "name too long", http.StatusBadRequest)\n'
        "\t\treturn\n"
        "\t}\n"
        "// ... existing code ...\n"
    )
    want = GO_HANDLER.replace(
        "\titem, err",
        '\tif len(req.Name) > 64 {\n\t\thttp.Error(w, "name too long", '
        "http.StatusBadRequest)\n\t\treturn\n\t}\n\titem, err")
    assert merged(GO_HANDLER, snippet, "go") == want


def test_new_line_then_context_lines_then_closer() -> None:
    original = "fn keywords() -> Map {\n    let mut m = Map::new();\n    m.insert(\"fn\", 2);\n" \
               "    m\n}\n\nfn other() {\n    run();\n}\n"
    snippet = "// ... existing code ...\n    m.insert(\"fn\", 2);\n    m.insert(\"if\", 3);\n" \
              "    m\n}\n// ... existing code ...\n"
    assert merged(original, snippet, "rs") == original.replace(
        '    m.insert("fn", 2);\n', '    m.insert("fn", 2);\n    m.insert("if", 3);\n')


def test_context_lines_that_differ_abstain() -> None:
    # `return nil` is not the original's `return`: an edit of it, or a line added before it?
    snippet = (
        "// ... existing code ...\n"
        '\t\thttp.Error(w, "name required", http.StatusBadRequest)\n'
        "\t\treturn nil\n"
        "\t}\n"
        "\tif len(req.Name) > 64 {\n"
        "\t\treturn\n"
        "\t}\n"
        "// ... existing code ...\n"
    )
    assert isinstance(merge(GO_HANDLER, snippet, "go"), Abstain)


def test_new_else_if_clause_ends_with_the_original_closer() -> None:
    snippet = (
        "// ... existing code ...\n"
        "        if (order.getItems().isEmpty()) {\n"
        '            throw new IllegalArgumentException("empty order");\n'
        "        } else if (order.getItems().size() > 100) {\n"
        '            throw new IllegalArgumentException("too many items");\n'
        "        }\n"
        "// ... existing code ...\n"
    )
    want = JAVA_PLACE.replace(
        '"empty order");\n        }\n',
        '"empty order");\n        } else if (order.getItems().size() > 100) {\n'
        '            throw new IllegalArgumentException("too many items");\n        }\n')
    assert merged(JAVA_PLACE, snippet, "java") == want


def test_new_clause_before_an_original_else_on_its_own_line_abstains() -> None:
    # the original goes on `}` / `else {`: which clause comes first is not said
    original = JAVA_PLACE.replace(
        '"empty order");\n        }\n',
        '"empty order");\n        }\n        else {\n            log();\n        }\n')
    snippet = (
        "// ... existing code ...\n"
        '            throw new IllegalArgumentException("empty order");\n'
        "        } else if (order.getItems().size() > 100) {\n"
        '            throw new IllegalArgumentException("too many items");\n'
        "        }\n"
        "// ... existing code ...\n"
    )
    assert isinstance(merge(original, snippet, "java"), Abstain)


def test_new_clause_whose_block_is_not_closed_before_the_marker_abstains() -> None:
    snippet = (
        "// ... existing code ...\n"
        '            throw new IllegalArgumentException("empty order");\n'
        "        } else if (order.getItems().size() > 100) {\n"
        '            throw new IllegalArgumentException("too many items");\n'
        "// ... existing code ...\n"
    )
    assert isinstance(merge(JAVA_PLACE, snippet, "java"), Abstain)


def test_field_added_under_an_edited_constructor_header() -> None:
    snippet = (
        "// ... existing code ...\n"
        "    private final OrderService service;\n"
        "    private final Clock clock;\n"
        "\n"
        "    public OrderController(OrderService service, Clock clock) {\n"
        "        this.service = service;\n"
        "        this.clock = clock;\n"
        "    }\n"
        "// ... existing code ...\n"
    )
    want = JAVA_CTOR.replace(
        "    private final OrderService service;\n",
        "    private final OrderService service;\n    private final Clock clock;\n",
    ).replace("(OrderService service) {", "(OrderService service, Clock clock) {").replace(
        "        this.service = service;\n",
        "        this.service = service;\n        this.clock = clock;\n")
    assert merged(JAVA_CTOR, snippet, "java") == want


def test_closer_after_a_closer_anchor_pinned_by_a_distinctive_line() -> None:
    original = (
        "class PostController\n{\n"
        "    public function show(Post $post)\n    {\n"
        "        return view('posts.show', [\n"
        "            'related' => $post->related()->get(),\n"
        "        ]);\n    }\n\n"
        "    public function store(Request $request)\n    {\n"
        "        return redirect()->route('posts.index');\n    }\n}\n"
    )
    snippet = (
        "    // ... existing code ...\n"
        "            'related' => $post->related()->get(),\n"
        "        ]);\n    }\n\n"
        "    public function create()\n    {\n"
        "        return view('posts.create');\n    }\n\n"
        "    // ... existing code ...\n"
    )
    want = original.replace(
        "    public function store",
        "    public function create()\n    {\n        return view('posts.create');\n"
        "    }\n\n    public function store")
    assert merged(original, snippet, "php") == want


def test_new_clause_with_unshown_lines_before_the_closer_abstains() -> None:
    # `audit();` sits between the anchor and the `}`: does the clause follow it, or replace it?
    original = JAVA_PLACE.replace('"empty order");\n', '"empty order");\n            audit();\n')
    snippet = (
        "// ... existing code ...\n"
        '            throw new IllegalArgumentException("empty order");\n'
        "        } else if (order.getItems().size() > 100) {\n"
        '            throw new IllegalArgumentException("too many items");\n'
        "        }\n"
        "// ... existing code ...\n"
    )
    assert isinstance(merge(original, snippet, "java"), Abstain)
