"""The one HTTP client: a keep-alive session, auth, JSON in/out, retries, error mapping.

``requests`` is imported inside :class:`Client` only, so importing this module (and
``relace_cli.api``) costs nothing at start-up; ``relace --version`` never pays for it.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from relace_cli import __version__
from relace_cli.errors import ApiError

from . import messages
from .keys import scrub
from .policy import RateGate, backoff_delay, is_retryable_status, server_wait
from .sse import iter_sse_data

if TYPE_CHECKING:
    import requests

DONE = "[DONE]"
_STREAM_READ = 65536


def join_url(base_url: str, path: str) -> str:
    """``base_url`` + ``path`` with exactly one slash; a base that already ends in path stays."""
    base = base_url.strip().rstrip("/")
    path = "/" + path.lstrip("/")
    if base.endswith(path):
        return base
    return base + path


def host_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        return parts.netloc.rpartition("@")[2] or url  # never show user:password@
    except ValueError:
        return url


class _Failure(Exception):
    """One failed attempt: the error to raise if it was the last, and how to retry."""

    def __init__(
        self,
        error: ApiError,
        *,
        reason: str,
        retry: bool,
        wait: float | None = None,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.reason = reason
        self.retry = retry
        self.wait = wait
        self.rate_limited = rate_limited


class _BearerAuth:
    """Sets the bearer header on every request (also stops requests reading ~/.netrc)."""

    def __init__(self, api_key: str | None) -> None:
        self._key = api_key

    def __call__(self, request: Any) -> Any:
        if self._key:
            request.headers["Authorization"] = f"Bearer {self._key}"
        return request


class Client:
    """One per run: reuses connections, retries transient failures, raises ApiError."""

    def __init__(
        self,
        api_key: str | None,
        *,
        timeout: float = 60.0,
        max_retries: int = 2,
        connect_timeout: float = 5.0,
        pool_size: int = 4,
        on_retry: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import requests  # lazy on purpose: start-up time

        self.api_key = api_key.strip() if api_key else None
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.max_retries = max(0, int(max_retries))
        self.on_retry = on_retry
        self.sleep = sleep
        self.gate = RateGate()
        self._rand = random.Random()
        self._requests = requests
        self._pool_size = 0
        self._session = requests.Session()
        self._session.auth = _BearerAuth(self.api_key)
        self._session.headers.update(
            {
                "User-Agent": f"relace-cli/{__version__}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
        )
        self.ensure_pool(pool_size)

    # -- lifecycle -------------------------------------------------------------------
    def ensure_pool(self, size: int) -> None:
        """Keep at least *size* connections per host (call before starting threads)."""
        size = max(1, int(size))
        if size <= self._pool_size:
            return
        from requests.adapters import HTTPAdapter

        for prefix in ("https://", "http://"):
            self._session.mount(prefix, HTTPAdapter(pool_connections=4, pool_maxsize=size))
        self._pool_size = size

    @property
    def pool_size(self) -> int:
        return self._pool_size

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- public calls ----------------------------------------------------------------
    def post_json(self, url: str, body: dict, *, kind: str | None = None) -> dict:
        """POST *body* as JSON and return the JSON object answered (retrying what is transient).

        *kind* ("apply", "embed", "rank") only sharpens the advice in error messages.
        """
        host = host_of(url)
        response = self._request(url, body, kind=kind, stream=False)
        return self._clean(lambda: parse_json_object(response, host, kind=kind))

    def post_stream(
        self, url: str, body: dict, *, kind: str | None = None, include_done: bool = False
    ) -> Iterator[str]:
        """POST and yield each server-sent-events ``data:`` payload until ``[DONE]``.

        Retries happen only before the response starts; a break after that is an ApiError.
        With *include_done* the ``[DONE]`` itself is yielded last, so a caller can tell a
        finished stream from one that just stopped. A plain JSON answer is yielded whole
        (and counts as finished).
        """
        host = host_of(url)
        response = self._request(url, body, kind=kind, stream=True)
        try:
            content_type = response.headers.get("Content-Type", "").lower()
            if "json" in content_type and "event-stream" not in content_type:
                yield self._clean(lambda: self._read_all(response, host)).decode("utf-8", "replace")
                if include_done:
                    yield DONE
                return
            for payload in iter_sse_data(self._chunks(response, host)):
                if payload.strip() == DONE:
                    if include_done:
                        yield DONE
                    return
                yield payload
        finally:
            response.close()

    # -- transport -------------------------------------------------------------------
    def _request(
        self, url: str, body: dict, *, kind: str | None, stream: bool
    ) -> requests.Response:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Accept": "text/event-stream"} if stream else None
        attempts = self.max_retries + 1
        slept_for_retry = False
        for attempt in range(attempts):
            if not slept_for_retry:
                self.gate.wait(self.sleep)
            slept_for_retry = False
            try:
                return self._attempt(
                    url, data, headers, kind=kind, stream=stream, attempt=attempt + 1
                )
            except _Failure as failure:
                if not failure.retry or attempt + 1 >= attempts:
                    raise self._scrubbed(failure.error) from None
                wait = failure.wait
                if wait is None:
                    wait = backoff_delay(attempt, self._rand.random)
                if failure.rate_limited:
                    self.gate.push(wait)
                wait = max(wait, self.gate.remaining())
                if self.on_retry is not None:
                    self.on_retry(
                        scrub(f"retrying in {wait:.1f} s ({failure.reason})", self.api_key)
                    )
                self.sleep(wait)
                slept_for_retry = True
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        url: str,
        data: bytes,
        headers: dict[str, str] | None,
        *,
        kind: str | None,
        stream: bool,
        attempt: int,
    ) -> requests.Response:
        host = host_of(url)
        try:
            response = self._session.post(
                url,
                data=data,
                headers=headers,
                stream=stream,
                timeout=(self.connect_timeout, self.timeout),
            )
            if not stream or response.status_code >= 300:
                response.content  # noqa: B018  (read the whole body now: may fail, retried)
        except self._requests.exceptions.RequestException as exc:
            raise self._transport_failure(exc, host, kind, attempt) from None
        status = response.status_code
        if 200 <= status < 300:
            return response
        retryable = is_retryable_status(status)
        error = messages.status_error(
            status,
            host,
            response.content,
            content_type=response.headers.get("Content-Type", ""),
            kind=kind,
            attempts=attempt,
        )
        wait = server_wait(response.headers) if retryable else None
        raise _Failure(
            error,
            reason=messages.retry_reason(status),
            retry=retryable,
            wait=wait,
            rate_limited=status == 429,
        )

    def _transport_failure(
        self, exc: BaseException, host: str, kind: str | None, attempt: int
    ) -> _Failure:
        exceptions = self._requests.exceptions
        after = f" (after {attempt} attempts)" if attempt > 1 else ""
        if isinstance(exc, exceptions.ConnectTimeout):
            error = ApiError(
                f"cannot connect to {host}: no answer within {self.connect_timeout:g} s{after}",
                hint=messages.network_hint(kind),
            )
            return _Failure(error, reason="connect timeout", retry=True)
        if _is_read_timeout(exc, exceptions):
            error = ApiError(
                f"{host} did not answer within {self.timeout:g} s{after}",
                hint=messages.TIMEOUT_HINT,
            )
            return _Failure(error, reason="read timeout", retry=True)
        if isinstance(exc, exceptions.SSLError):
            error = ApiError(
                f"TLS error talking to {host}: {messages.clip(str(exc), 120)}",
                hint="check the URL and the system's certificates",
            )
            return _Failure(error, reason="TLS error", retry=False)
        if isinstance(exc, (exceptions.ConnectionError, exceptions.ChunkedEncodingError)):
            reason = messages.connection_reason(
                str(exc), truncated=isinstance(exc, exceptions.ChunkedEncodingError)
            )
            error = ApiError(
                f"connection to {host} failed: {reason}{after}",
                hint=messages.network_hint(kind),
            )
            return _Failure(error, reason=reason, retry=True)
        if isinstance(
            exc,
            (
                exceptions.InvalidURL,
                exceptions.MissingSchema,
                exceptions.InvalidSchema,
                exceptions.InvalidHeader,
            ),
        ):
            error = ApiError(
                f"invalid request to {host}: {messages.clip(str(exc), 120)}",
                hint=messages.url_hint(kind),
            )
            return _Failure(error, reason="invalid URL", retry=False)
        if isinstance(exc, exceptions.ContentDecodingError):
            return _Failure(
                messages.unexpected(host, "undecodable body", kind=kind),
                reason="bad body",
                retry=False,
            )
        error = ApiError(
            f"request to {host} failed: {messages.clip(str(exc), 120)}",
            hint=messages.url_hint(kind),
        )
        return _Failure(error, reason="request failed", retry=False)

    def _read_all(self, response: requests.Response, host: str) -> bytes:
        return b"".join(self._chunks(response, host))

    def _chunks(self, response: requests.Response, host: str) -> Iterator[bytes]:
        """Bytes as they arrive (read1: no waiting for a full buffer)."""
        raw = response.raw
        import urllib3

        try:
            while True:
                chunk = raw.read1(_STREAM_READ)
                if not chunk:
                    return
                yield chunk
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
                raise ApiError(
                    f"{host} stopped sending for more than {self.timeout:g} s mid-response",
                    hint=messages.TIMEOUT_HINT,
                ) from None
            raise ApiError(
                f"response was cut off: the connection to {host} broke mid-stream",
                hint="retry; check the network",
            ) from None

    def _clean(self, thunk: Callable[[], Any]) -> Any:
        try:
            return thunk()
        except ApiError as error:
            raise self._scrubbed(error) from None

    def _scrubbed(self, error: ApiError) -> ApiError:
        message = scrub(error.message, self.api_key)
        hint = scrub(error.hint, self.api_key) if error.hint else error.hint
        if message == error.message and hint == error.hint:
            return error
        return ApiError(message, status=error.status, hint=hint)


def _is_read_timeout(exc: BaseException, exceptions: Any) -> bool:
    if isinstance(exc, exceptions.ReadTimeout):
        return True
    # requests wraps a timeout while reading the body in a ConnectionError.
    import urllib3

    inner = exc.args[0] if exc.args else None
    return isinstance(inner, urllib3.exceptions.ReadTimeoutError)


def parse_json_object(response: requests.Response, host: str, *, kind: str | None = None) -> dict:
    """The body as a JSON object, or an ApiError: a 204, an HTML page or a list is no result."""
    body = response.content or b""
    content_type = response.headers.get("Content-Type", "")
    status = response.status_code
    if not body.strip():
        what = f"empty body ({messages.status_phrase(status)})"
        raise messages.unexpected(host, what, kind=kind, status=status)
    try:
        data = json.loads(body)
    except ValueError:
        what = messages.describe_body(body, content_type)
        raise messages.unexpected(host, what, kind=kind, status=status) from None
    if not isinstance(data, dict):
        what = f"a JSON {messages.json_type(data)}, not an object"
        raise messages.unexpected(host, what, kind=kind, status=status)
    return data
