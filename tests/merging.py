"""Helpers shared by the merge engine's rule tests: a merge that must happen, or must not."""

from __future__ import annotations

from relace_cli.merge import Abstain, Merged, merge


def merged(original: str, snippet: str, lang: str) -> str:
    """The merged text; fails the test when the engine abstains."""
    got = merge(original, snippet, lang)
    assert isinstance(got, Merged), got
    return got.text


def abstains(original: str, snippet: str, lang: str) -> str:
    """The one-line reason; fails the test when the engine merges."""
    got = merge(original, snippet, lang)
    assert isinstance(got, Abstain), got
    assert got.reason and "\n" not in got.reason
    return got.reason
