"""Turn a failed exchange into one clear line: what happened, what the server said, advice.

Pure functions over plain values (status, headers, body bytes), so they are tested without
a server and the client stays about transport.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

from relace_cli.errors import ApiError

MAX_TEXT = 200
# The config key a user would check for each endpoint kind (``relace config get <key>``).
URL_SETTINGS = {"apply": "apply_url", "embed": "embed_url", "rank": "rank_url"}
KEY_HINT = "check the key with `relace config set api_key`"
TIMEOUT_HINT = "raise `timeout`, e.g. `relace config set timeout 120`"

_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
_HTML_DROP = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Collapse whitespace and cut to *limit* characters (with an ellipsis)."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) > limit:
        return text[: limit - 1].rstrip() + "\u2026"
    return text


def status_phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def url_hint(kind: str | None) -> str:
    setting = URL_SETTINGS.get(kind or "")
    if setting:
        return f"check the URL (`relace config get {setting}`)"
    return "check the URL"


def network_hint(kind: str | None) -> str:
    setting = URL_SETTINGS.get(kind or "")
    where = f", see `relace config get {setting}`" if setting else ""
    return f"check the network and the URL{where}"


def _text_of(value: Any) -> str | None:
    """A readable string from an error field: a string, or a nested {"message": ...}."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, dict):
        for name in ("message", "error", "detail", "msg"):
            text = _text_of(value.get(name))
            if text:
                return text
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list) and value:  # e.g. FastAPI's 422 detail list
        parts = [_text_of(item) or "" for item in value]
        return "; ".join(part for part in parts if part) or None
    if value is None or value == "":
        return None
    return str(value)


def html_text(html: str) -> str:
    """The gist of an HTML error page: its title, else its text without tags."""
    title = _TITLE.search(html)
    if title and title.group(1).strip():
        return title.group(1)
    return _TAG.sub(" ", _HTML_DROP.sub(" ", html))


def decode_body(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def server_text(body: bytes, content_type: str = "") -> str:
    """The server's own words: JSON ``error``, then ``message``/``detail``, then raw text."""
    text = decode_body(body).strip()
    if not text:
        return ""
    if text[:1] in "{[":
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for name in ("error", "message", "detail"):
                found = _text_of(data.get(name))
                if found:
                    return clip(found)
    if "html" in content_type.lower() or text[:1] == "<":
        text = html_text(text)
    return clip(text)


def status_hint(status: int, kind: str | None) -> str | None:
    if status in (401, 403):
        lead = "the key was refused" if status == 401 else "the key lacks permission"
        return f"{lead}: {KEY_HINT}"
    if status == 400:
        if kind == "apply":
            return "the file may exceed the model's 128k-token context, or a parameter is invalid"
        return "the server rejected the request as invalid"
    if status in (404, 405):
        return url_hint(kind)
    if status == 408:
        return "the server timed out, retry later"
    if status == 409:
        return "conflicting request, retry later"
    if status == 413:
        return "input too large: send a smaller file or snippet"
    if status == 422:
        return "the server could not process the request: check the model name and parameters"
    if status == 423:
        return "the resource is temporarily locked, retry later"
    if status == 429:
        return "rate limited, retry later"
    if 500 <= status <= 599:
        return "server error, retry later"
    return None


# What a connection failure looks like in an exception's text -> what to tell the user.
_CONNECTION_REASONS = (
    (("incompleteread", "incomplete read"), "the connection closed mid-response"),
    (("refused",), "connection refused"),
    (
        ("name or service", "nodename", "getaddrinfo", "failed to resolve", "name resolution"),
        "host not found",
    ),
    (
        ("remotedisconnected", "without response", "remote end closed"),
        "the connection closed without a response",
    ),
    (("reset",), "connection reset"),
    (("unreachable",), "network unreachable"),
)


def connection_reason(text: str, *, truncated: bool = False) -> str:
    """A few words for a connection failure, from the (long, nested) exception text."""
    if truncated:
        return "the connection closed mid-response"
    lowered = text.lower()
    for needles, reason in _CONNECTION_REASONS:
        if any(needle in lowered for needle in needles):
            return reason
    return "connection error"


def retry_reason(status: int) -> str:
    """Short reason for a retry notice: "429 rate limited", "503 server error"."""
    if status == 429:
        return "429 rate limited"
    if 500 <= status <= 599:
        return f"{status} server error"
    return status_phrase(status).lower()


def status_error(
    status: int,
    host: str,
    body: bytes,
    *,
    content_type: str = "",
    kind: str | None = None,
    attempts: int = 1,
) -> ApiError:
    said = server_text(body, content_type)
    message = f"{host} answered {status_phrase(status)}"
    if said:
        message += f": {said}"
    if attempts > 1:
        message += f" (after {attempts} attempts)"
    return ApiError(message, status=status, hint=status_hint(status, kind))


def unexpected(
    host: str, what: str, *, kind: str | None = None, status: int | None = None
) -> ApiError:
    """A 2xx answer that is not the documented JSON: never a result."""
    return ApiError(
        f"unexpected response from {host}: {what}",
        status=status,
        hint=f"is this the Relace API? {url_hint(kind)}",
    )


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def describe_body(body: bytes, content_type: str) -> str:
    """How a non-JSON body looks, for "unexpected response" messages."""
    if not body.strip():
        return "empty body"
    kind = content_type.split(";")[0].strip() or "no content type"
    return f"not JSON ({kind}): {server_text(body, content_type)}"
