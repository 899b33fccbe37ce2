"""Masking of API keys: no message, log line or notice may ever carry a whole key.

Kept free of heavy imports so the CLI's config display can reuse it at start-up.
"""

from __future__ import annotations

_ELLIPSIS = "\u2026"


def mask_key(key: str | None) -> str:
    """Return a display form of *key* that identifies it without revealing it.

    ``rlc-`` + 32 characters becomes ``rlc-…abcd`` (the last four characters). A short
    key shows nothing of itself: four characters of an eight-character key is half of it.
    """
    if not key:
        return "(not set)"
    key = key.strip()
    dash = key.find("-")
    prefix = key[: dash + 1] if 0 < dash <= 4 else ""
    if len(key) - len(prefix) < 12:
        return f"{prefix}{_ELLIPSIS}"
    return f"{prefix}{_ELLIPSIS}{key[-4:]}"


def scrub(text: str, key: str | None) -> str:
    """Replace every occurrence of *key* in *text* (a server may echo it back) by its mask."""
    if not key or not text:
        return text
    key = key.strip()
    if len(key) < 4 or key not in text:
        return text
    return text.replace(key, mask_key(key))
