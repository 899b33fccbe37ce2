"""Comments that stand for elided code in words the marker grammar does not take."""

from __future__ import annotations

from relace_cli.merge import Abstain, Merged, merge

ROUTES = """const express = require("express");
const router = express.Router();

router.get("/", list);
router.post("/", create);
router.put("/:id", update);
router.delete("/:id", remove);

module.exports = router;
"""


def test_a_comment_standing_for_code_between_chunks_abstains() -> None:
    snippet = """const express = require("express");
const router = express.Router();

router.get("/", listAll);
// other routes unchanged

module.exports = router;
"""
    got = merge(ROUTES, snippet, language="js")
    assert isinstance(got, Abstain), got  # (it deleted post, put and delete)


def test_a_bare_fragment_with_such_a_comment_abstains() -> None:
    snippet = """// helpers unchanged
router.get("/", listAll);
"""
    assert isinstance(merge(ROUTES, snippet, language="js"), Abstain)


def test_an_ordinary_new_comment_is_kept() -> None:
    snippet = """// ... existing code ...
// list every item, newest first
router.get("/", list);
// ... existing code ...
"""
    got = merge(ROUTES, snippet, language="js")
    assert isinstance(got, Merged), got
    assert got.text == ROUTES.replace('router.get("/", list);',
                                      '// list every item, newest first\nrouter.get("/", list);')
