"""A snippet none of whose lines is unique in the original: runs of lines anchor it."""

from __future__ import annotations

from relace_cli.merge import Abstain, Merged, merge
from relace_cli.merge.runs import run_anchors
from relace_cli.merge.text import HARD, Doc

ROUTES = """router.get("/a", async (req, res) => {
  try {
    res.json(await load("a"));
  } catch (err) {
    logger.error(err);
    next(err);
  }
});

router.get("/b", async (req, res) => {
  try {
    res.json(await load("b"));
  } catch (err) {
    await client.query("ROLLBACK");
    next(err);
  }
});
"""


def test_a_pair_found_once_anchors_an_edit() -> None:
    # `} catch (err) {` is there twice, `next(err);` twice; the pair with ROLLBACK once
    snippet = """// ... existing code ...
  } catch (err) {
    await client.query("ROLLBACK");
    logger.warn("load b failed", err);
    next(err);
// ... existing code ...
"""
    got = merge(ROUTES, snippet, language="js")
    assert isinstance(got, Merged), got
    assert got.text == ROUTES.replace(
        '    await client.query("ROLLBACK");\n',
        '    await client.query("ROLLBACK");\n    logger.warn("load b failed", err);\n',
    )


def test_a_run_found_twice_still_abstains() -> None:
    snippet = """// ... existing code ...
  } catch (err) {
    next(err);
// ... existing code ...
"""
    assert isinstance(merge(ROUTES, snippet, language="js"), Abstain)


def test_a_left_over_line_found_elsewhere_abstains() -> None:
    # the pair (catch, logger.error) pins route a, but `await client.query("ROLLBACK");`
    # is route b's line: the snippet mixes the two, so nothing is merged
    snippet = """// ... existing code ...
  } catch (err) {
    logger.error(err);
    await client.query("ROLLBACK");
// ... existing code ...
"""
    assert isinstance(merge(ROUTES, snippet, language="js"), Abstain)


def test_run_anchors_map_lines_of_one_chunk_only() -> None:
    orig = Doc(["alpha", "xray", "beta", "xray", "alpha", "yank"], True)
    snip = Doc(["alpha", "yank", "# ...", "xray", "beta"], True)
    snip.kinds[2] = HARD
    # (alpha, yank) once in each text; (xray, beta) once; (yank, xray) spans the marker
    assert run_anchors(snip, orig) == [(0, 4), (1, 5), (3, 1), (4, 2)]
