"""Last resorts when no line of the snippet anchors: a bare label (`default:`, `else`) that
occurs once in the original, and lines kept as a wrap though a new block holds them."""

from __future__ import annotations

from tests.merging import abstains, merged

REDUCER = """export function reducer(state, action) {
  switch (action.type) {
    case "increment":
      return { ...state, count: state.count + 1 };
    default:
      return state;
  }
}
"""






def test_unique_label_with_agreeing_closers_anchors() -> None:
    snippet = ("// ... existing code ...\n    default:\n      throw new Error(\"unknown\");\n"
               "  }\n}\n")
    assert merged(REDUCER, snippet, "js") == REDUCER.replace(
        "      return state;", '      throw new Error("unknown");')


def test_label_found_twice_still_abstains() -> None:
    original = REDUCER + REDUCER.replace("reducer", "other")
    snippet = "// ... existing code ...\n    default:\n      throw new Error(\"x\");\n  }\n}\n"
    abstains(original, snippet, "js")


def test_label_whose_closers_disagree_still_abstains() -> None:
    # three closers shown, the original's `default:` is followed by two only
    snippet = ("// ... existing code ...\n    default:\n      throw new Error(\"x\");\n"
               "  }\n}\n}\n")
    abstains(REDUCER, snippet, "js")
    # the closers at other depths than the original's
    snippet = "// ... existing code ...\n    default:\n      throw new Error(\"x\");\n}\n"
    abstains(REDUCER, snippet, "js")


def test_label_without_closers_still_abstains() -> None:
    snippet = "// ... existing code ...\n    default:\n      throw new Error(\"x\");\n// ...\n"
    abstains(REDUCER, snippet, "js")


def test_label_not_right_after_a_marker_still_abstains() -> None:
    snippet = "    case \"reset\":\n      return {};\n    default:\n      return null;\n  }\n}\n"
    abstains(REDUCER, snippet, "js")


ROUTER = """class EventRouter
  def route(event)
    case event.type
    when "push"
      handle_push(event)
    else
      ignore(event)
    end
  end
end
"""


def test_label_over_its_matched_body_is_the_originals() -> None:
    snippet = ("class EventRouter\n  def route(event)\n    case event.type\n"
               "    # ... existing code ...\n    when \"release\"\n      handle_release(event)\n"
               "    else\n      ignore(event)\n    end\n  end\nend\n")
    assert merged(ROUTER, snippet, "rb") == ROUTER.replace(
        "    else\n", "    when \"release\"\n      handle_release(event)\n    else\n")


def test_label_over_lines_of_another_branch_still_abstains() -> None:
    # `else` shown over `handle_push(event)`: the original's `else` holds other lines
    snippet = ("class EventRouter\n  def route(event)\n    case event.type\n"
               "    # ... existing code ...\n    else\n      handle_push(event)\n    end\n"
               "  end\nend\n")
    abstains(ROUTER, snippet, "rb")


SERVICE = """public class InvoiceService {
    public Invoice issue(Customer customer) {
        Invoice invoice = new Invoice(customer);
        invoices.save(invoice);
        mailer.send(customer.email(), "Your invoice", invoice.render());
        return invoice;
    }

    public void cancel(long id) {
        Invoice invoice = invoices.findById(id).orElseThrow();
        invoice.cancel();
        invoices.save(invoice);
    }
}
"""


def test_wrap_next_to_a_repeated_line() -> None:
    snippet = ("// ... existing code ...\n        invoices.save(invoice);\n"
               "        if (customer.wantsEmail()) {\n"
               "            mailer.send(customer.email(), \"Your invoice\", invoice.render());\n"
               "        }\n// ... existing code ...\n")
    assert merged(SERVICE, snippet, "java") == SERVICE.replace(
        "        mailer.send(customer.email(), \"Your invoice\", invoice.render());\n",
        "        if (customer.wantsEmail()) {\n"
        "            mailer.send(customer.email(), \"Your invoice\", invoice.render());\n"
        "        }\n")


def test_new_method_copying_a_line_still_abstains() -> None:
    # a new method repeats a line of `issue`: a copy, no wrap (its depth is a method body's)
    snippet = ("// ... existing code ...\n        invoices.save(invoice);\n    }\n\n"
               "    public void resend(Customer customer, Invoice invoice) {\n"
               "        mailer.send(customer.email(), \"Your invoice\", invoice.render());\n"
               "    }\n}\n")
    abstains(SERVICE, snippet, "java")
