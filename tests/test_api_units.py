"""Pure parts of the API layer: key masking, wait parsing, backoff, messages, imports."""

from __future__ import annotations

import email.utils
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relace_cli.api import join_url, mask_key
from relace_cli.api.keys import scrub
from relace_cli.api.messages import clip, server_text, status_error
from relace_cli.api.policy import RateGate, backoff_delay, is_retryable_status, server_wait

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("rlc-0123456789abcdefghijklmnopqrstuv", "rlc-…stuv"),
        ("sk-or-v1-0123456789abcdef", "sk-…cdef"),
        ("plainkey0123456789", "…6789"),
        ("rlc-short", "rlc-…"),
        ("", "(not set)"),
        (None, "(not set)"),
    ],
)
def test_mask_key(key: str | None, masked: str) -> None:
    assert mask_key(key) == masked


@given(st.text(min_size=16, max_size=60).filter(lambda k: k.strip() == k and len(set(k)) > 4))
def test_masked_key_never_reveals_the_key(key: str) -> None:
    assert key not in mask_key(key)
    assert key not in scrub(f"before {key} after {key}", key)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({}, None),
        ({"Retry-After": "2.5"}, 2.5),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "120"}, 60.0),
        ({"Retry-After": email.utils.formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"Retry-After": email.utils.formatdate(NOW - 30, usegmt=True)}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "soon", "X-RateLimit-Reset": "4"}, 4.0),
        ({"X-RateLimit-Reset": "999999999"}, 60.0),
        ({"X-RateLimit-Reset": str(int(NOW) + 12)}, 12.0),
        ({"X-RateLimit-Reset": str(int(NOW) - 12)}, 0.0),
        ({"X-RateLimit-Reset": "nan"}, None),
    ],
)
def test_server_wait(headers: dict[str, str], wait: float | None) -> None:
    assert server_wait(headers, now=NOW) == (pytest.approx(wait) if wait is not None else None)


def test_backoff_doubles_with_jitter_and_caps() -> None:
    assert [backoff_delay(n, lambda: 0.0) for n in range(6)] == [0.5, 1, 2, 4, 8, 8]
    assert backoff_delay(0, lambda: 1.0) == 0.375
    assert backoff_delay(20, lambda: 0.5) <= 8


def test_retryable_statuses() -> None:
    assert [s for s in range(100, 600) if is_retryable_status(s)] == [408, 409, 423, 429] + list(
        range(500, 600)
    )


def test_rate_gate() -> None:
    now = [100.0]
    gate = RateGate(clock=lambda: now[0])
    slept: list[float] = []
    assert gate.wait(slept.append) == 0 and slept == []
    gate.push(5)
    gate.push(2)  # never earlier
    now[0] = 101.0
    assert gate.wait(slept.append) == 4.0 and slept == [4.0]


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://x.run", "https://x.run/v1/code/apply"),
        ("https://x.run/", "https://x.run/v1/code/apply"),
        ("https://x.run/v1/code/apply", "https://x.run/v1/code/apply"),
        ("https://x.run/v1/code/apply/", "https://x.run/v1/code/apply"),
        (" https://x.run/prefix// ", "https://x.run/prefix/v1/code/apply"),
    ],
)
def test_join_url(base: str, url: str) -> None:
    assert join_url(base, "/v1/code/apply") == url


def test_clip() -> None:
    assert clip("  a\n\t b  ") == "a b"
    assert clip("x" * 300) == "x" * 199 + "…"


def test_server_text_title_and_scripts() -> None:
    page = b"<html><head><style>p{}</style></head><body><p>Gateway  down</p></body></html>"
    assert server_text(page, "text/html") == "Gateway down"
    assert server_text(b'{"error": "", "message": "m"}') == "m"
    assert server_text(b"\xff\xfe bad utf8") == "\ufffd\ufffd bad utf8"


def test_status_error_unknown_status() -> None:
    error = status_error(599, "h", b"")
    assert str(error) == "h answered HTTP 599 (server error, retry later)"


@pytest.mark.parametrize("module", ["relace_cli.api", "relace_cli.api.keys"])
def test_import_is_cheap(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "heavy = [m for m in ('requests', 'urllib3', 'concurrent.futures') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
