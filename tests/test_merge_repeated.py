"""A body shown in part before a shallower marker, and a line the original repeats placed by
the shown header it sits under: merged where the texts decide it, abstained where not."""

from __future__ import annotations

from relace_cli.merge import Abstain, Merged, merge
from tests.merging import abstains, merged

SERVICE = '''\
class OrderService:
    def get_order(self, order_id):
        order = self.session.get(Order, order_id)
        if order is None:
            return None
        return order

    def list_orders(self):
        return self.session.query(Order).all()
'''






# --- a body shown in part --------------------------------------------------------------------

def test_line_inserted_after_shown_body_lines_keeps_the_rest() -> None:
    snippet = '''\
# ... existing code ...
    def get_order(self, order_id):
        order = self.session.get(Order, order_id)
        logger.debug("fetched %s", order_id)
        # ... existing code ...
# ... existing code ...
'''
    assert merged(SERVICE, snippet, "py") == SERVICE.replace(
        "order_id)\n        if",
        'order_id)\n        logger.debug("fetched %s", order_id)\n        if')


def test_line_inserted_before_a_column_0_marker_abstains() -> None:
    # the rest of the body kept, or replaced (`mailer.enqueue(msg)` for the SMTP block)?
    snippet = '''\
# ... existing code ...
    def get_order(self, order_id):
        order = self.session.get(Order, order_id)
        logger.debug("fetched %s", order_id)
# ... existing code ...
'''
    assert "shown in part" in abstains(SERVICE, snippet, "py")


def test_first_line_edited_keeps_the_rest() -> None:
    snippet = '''\
# ... existing code ...
    def get_order(self, order_id):
        order = self.session.get(Order, int(order_id))
# ... existing code ...
'''
    assert merged(SERVICE, snippet, "py") == SERVICE.replace(
        "get(Order, order_id)", "get(Order, int(order_id))")


def test_new_first_line_unlike_the_original_still_abstains() -> None:
    # `cart.clear()` in place of the first line, or added above it? The snippet does not say
    original = "def test_add(cart):\n    cart.add(1)\n    assert len(cart) == 1\n    assert cart\n"
    snippet = ("# ... existing code ...\ndef test_add(cart):\n    cart.clear()\n"
               "# ... existing code ...\n")
    assert "shown in part" in abstains(original, snippet, "py")


def test_new_lines_ending_in_return_still_abstain() -> None:
    # a shorter body that returns: the whole new body (the rest deleted) or an insertion?
    snippet = '''\
# ... existing code ...
    def get_order(self, order_id):
        order = self.session.get(Order, order_id)
        return order or None
# ... existing code ...
'''
    assert isinstance(merge(SERVICE, snippet, "py"), Abstain)


def test_new_paragraph_after_a_blank_line_still_abstains() -> None:
    original = '''\
class ItemOut(ItemBase):
    id: int
    owner_id: int

    class Config:
        from_attributes = True


def get_item():
    pass
'''
    snippet = '''\
# ... existing code ...
class ItemOut(ItemBase):
    id: int
    owner_id: int

    model_config = ConfigDict(from_attributes=True)


# ... existing code ...
'''
    assert "shown in part" in abstains(original, snippet, "py")


def test_body_that_looks_complete_before_a_blank_line_still_abstains() -> None:
    original = '''\
class Gateway:
    def __init__(self, client, policy=None):
        self.client = client
        self.policy = policy or RetryPolicy()

    def capture(self, order):
        return self.policy.run(self.client.charge, order)
'''
    snippet = '''\
# ... existing code ...
class Gateway:
    def __init__(self, client, policy=None):
        self.client = client
        self.timeout = DEFAULT_TIMEOUT

    # ... existing code ...
'''
    assert isinstance(merge(original, snippet, "py"), Abstain)


def test_new_line_editing_a_later_line_of_the_rest_still_abstains() -> None:
    original = "def main():\n    args = parse()\n    setup()\n    run(db, cfg)\n"
    snippet = ("# ... existing code ...\ndef main():\n    args = parse()\n"
               "    run(db, cfg, verbose=args.verbose)\n# ... existing code ...\n")
    assert isinstance(merge(original, snippet, "py"), Abstain)


def test_makefile_recipe_first_line_edited_keeps_the_rest() -> None:
    original = "app:\n\tgo build\n\ntest: app\n\t./app --self-test\n\t@echo ok\n"
    snippet = ("# ... existing code ...\ntest: app\n\t./app --self-test --verbose\n"
               "# ... existing code ...\n")
    assert merged(original, snippet, "makefile") == original.replace(
        "--self-test", "--self-test --verbose")


def test_makefile_new_comment_in_recipe_still_abstains() -> None:
    original = "app:\n\tgo build\n\ntest: app\n\t./app --self-test\n\t@echo ok\n"
    snippet = "# ... existing code ...\ntest: app\n\t# run tests\n# ... existing code ...\n"
    assert isinstance(merge(original, snippet, "makefile"), Abstain)


# --- a repeated line under a shown header -------------------------------------------------------

HANDLERS = '''\
export async function createUser(req, res, next) {
  try {
    await db.user.create(req.body);
  } catch (err) {
    logger.error("createUser failed", err);
    next(err);
  }
}

export async function createProject(req, res, next) {
  try {
    await db.project.create(req.body);
  } catch (err) {
    logger.error("createProject failed", err);
    next(err);
  }
}

export async function deleteUser(req, res, next) {
  try {
    await db.user.delete(req.params.id);
  } catch (err) {
    logger.error("deleteUser failed", err);
    next(err);
  }
}
'''


def test_repeated_line_placed_by_the_unique_header_above_it() -> None:
    snippet = '''\
// ... existing code ...
export async function createProject(req, res, next) {
// ... existing code ...
  } catch (err) {
    logger.error("createProject failed", { err });
    next(err);
  }
}

export async function deleteUser(req, res, next) {
// ... existing code ...
'''
    got = merge(HANDLERS, snippet, "ts")
    assert isinstance(got, Merged), got
    assert got.text == HANDLERS.replace('"createProject failed", err',
                                        '"createProject failed", { err }')


def test_repeated_line_without_a_header_still_abstains() -> None:
    snippet = '''\
// ... existing code ...
  } catch (err) {
    logger.warn("failed", err);
    next(err);
// ... existing code ...
'''
    assert "appears 3 times" in abstains(HANDLERS, snippet, "ts")


def test_python_nested_class_placed_by_its_owner() -> None:
    original = '''\
class Customer(Model):
    name = CharField()

    class Meta:
        ordering = ["name"]
        verbose_name = "customer"


class Supplier(Model):
    name = CharField()

    class Meta:
        ordering = ["name"]
        verbose_name = "supplier"


class Order(Model):
    number = CharField()

    class Meta:
        ordering = ["number"]
'''
    snippet = '''\
# ... existing code ...
class Supplier(Model):
    # ... existing code ...
    class Meta:
        ordering = ["-name"]
        # ... existing code ...
'''
    assert merged(original, snippet, "py") == original.replace(
        'ordering = ["name"]\n        verbose_name = "supplier"',
        'ordering = ["-name"]\n        verbose_name = "supplier"')


def test_line_twice_under_its_header_still_abstains() -> None:
    original = '''\
class A:
    def f(self):
        x = 1
        return x

    def g(self):
        x = 1
        return x


class B:
    def f(self):
        x = 1
        return x
'''
    snippet = ("# ... existing code ...\nclass A:\n    # ... existing code ...\n"
               "        x = 2\n        return x\n# ... existing code ...\n")
    assert isinstance(merge(original, snippet, "py"), Abstain)


def test_unbalanced_braces_under_the_header_still_abstain() -> None:
    original = '''\
func (s *Store) Archive(id int) error {
	n := s.count(id)
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *Store) Delete(id int) error {
	n := s.count(id)
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
'''
    snippet = '''\
// ... existing code ...
func (s *Store) Archive(id int) error {
// ... existing code ...
	if n == 0 {
		return fmt.Errorf("archive %d: %w", id, ErrNotFound)
	return nil
}
// ... existing code ...
'''
    assert isinstance(merge(original, snippet, "go"), Abstain)
