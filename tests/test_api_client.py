"""The client against real local servers: headers, statuses, retries, errors, key hygiene."""

from __future__ import annotations

import json
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from relace_cli import __version__
from relace_cli.api import ApplyResult, Client, apply_code
from relace_cli.errors import ApiError
from tests.servers import (
    RawServer,
    closed_port_url,
    drop,
    json_reply,
    raw_reply,
    response_bytes,
    sequence,
    sleepy,
)

KEY = "rlc-0123456789abcdefghijklmnopqrstuv"
OK = {"mergedCode": "merged\n", "usage": {"prompt_tokens": 3, "completion_tokens": 2}}


class Sleeps:
    """An injected sleep: records, never really sleeps."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make(**kwargs: object) -> tuple[Client, Sleeps, list[str]]:
    sleeps = Sleeps()
    notices: list[str] = []
    options: dict = {"sleep": sleeps, "on_retry": notices.append, "timeout": 2.0}
    options.update(kwargs)
    return Client(KEY, **options), sleeps, notices


def call(client: Client, url: str) -> ApplyResult:
    return apply_code(client, url, initial_code="a\n", edit_snippet="b\n")


def test_sends_documented_request(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/v1/code/apply",
        method="POST",
        json={
            "initial_code": "x = 1\n",
            "edit_snippet": "x = 2\n",
            "model": "relace-apply-3",
            "instruction": "set x to 2",
            "stream": False,
        },
        headers={
            "Authorization": f"Bearer {KEY}",
            "Content-Type": "application/json",
            "User-Agent": f"relace-cli/{__version__}",
        },
    ).respond_with_json(OK)
    client, sleeps, _ = make()
    with client:
        result = apply_code(
            client,
            httpserver.url_for("/"),
            initial_code="x = 1\n",
            edit_snippet="x = 2\n",
            model="relace-apply-3",
            instruction="set x to 2",
        )
    assert result == ApplyResult("merged\n", {"prompt_tokens": 3, "completion_tokens": 2})
    assert sleeps.calls == []
    httpserver.check_assertions()


def test_optional_fields_left_out_and_unicode_kept(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/v1/code/apply",
        json={"initial_code": "é = '☃'\n", "edit_snippet": "…", "stream": False},
    ).respond_with_json({"mergedCode": "ok"})
    client, _, _ = make()
    base = httpserver.url_for("").rstrip("/")  # no trailing slash this time
    result = apply_code(client, base, initial_code="é = '☃'\n", edit_snippet="…")
    assert result.merged == "ok" and result.usage == {}


def test_no_key_sends_no_authorization(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v1/code/apply").respond_with_json(OK)
    with Client(None) as client:
        call(client, httpserver.url_for("/"))
    request, _ = httpserver.log[0]
    assert "Authorization" not in request.headers


def test_one_session_keeps_connections_alive() -> None:
    with RawServer(json_reply(200, OK, keep_alive=True), keep_alive=True) as server:
        client, _, _ = make()
        for _ in range(3):
            call(client, server.url)
        assert len(server.requests) == 3
        assert {request.connection for request in server.requests} == {1}


@pytest.mark.parametrize("status", [200, 201])
def test_success_statuses(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/v1/code/apply").respond_with_json(OK, status=status)
    assert call(make()[0], httpserver.url_for("/")).merged == "merged\n"


# status -> (retried?, words the advice must contain)
STATUSES = {
    400: (False, "128k-token context"),
    401: (False, "relace config set api_key"),
    403: (False, "relace config set api_key"),
    404: (False, "relace config get apply_url"),
    405: (False, "relace config get apply_url"),
    409: (True, "retry later"),
    413: (False, "input too large"),
    422: (False, "model name"),
    423: (True, "retry later"),
    429: (True, "rate limited, retry later"),
    500: (True, "server error, retry later"),
    502: (True, "server error, retry later"),
    503: (True, "server error, retry later"),
}


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_error_statuses(httpserver: HTTPServer, status: int) -> None:
    retried, advice = STATUSES[status]
    httpserver.expect_request("/v1/code/apply").respond_with_json(
        {"error": f"server says {status}"}, status=status
    )
    client, sleeps, notices = make()
    with pytest.raises(ApiError) as info:
        call(client, httpserver.url_for("/"))
    error = info.value
    assert error.status == status and error.exit_code == 3
    line = str(error)
    assert "\n" not in line
    assert str(status) in line and f"server says {status}" in line and advice in line
    assert len(httpserver.log) == (3 if retried else 1)
    assert len(sleeps.calls) == len(notices) == (2 if retried else 0)
    if retried:
        assert "after 3 attempts" in line


def test_204_is_not_a_result(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/code/apply").respond_with_data("", status=204)
    with pytest.raises(ApiError, match=r"unexpected response from .*empty body \(204"):
        call(make()[0], httpserver.url_for("/"))


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        ("", "application/json", "empty body"),
        ("<html><title>Login</title><p>hi</p></html>", "text/html", "not JSON (text/html): Login"),
        ('{"mergedCode": "x"', "application/json", "not JSON (application/json)"),
        ('["x"]', "application/json", "a JSON array, not an object"),
        ('{"merged": "x"}', "application/json", "no `mergedCode`"),
        ('{"mergedCode": null}', "application/json", "`mergedCode` is null, not a string"),
        ('{"mergedCode": ["x"]}', "application/json", "`mergedCode` is array"),
    ],
)
def test_malformed_success_is_an_error(
    httpserver: HTTPServer, body: str, content_type: str, words: str
) -> None:
    httpserver.expect_request("/v1/code/apply").respond_with_data(body, content_type=content_type)
    client, sleeps, _ = make()
    with pytest.raises(ApiError) as info:
        call(client, httpserver.url_for("/"))
    assert str(info.value).startswith(f"unexpected response from {httpserver.host}:")
    assert words in str(info.value)
    assert sleeps.calls == []  # not retried: a wrong URL does not fix itself


@pytest.mark.parametrize(
    ("body", "content_type", "said"),
    [
        ('{"error": "bad key"}', "application/json", ": bad key"),
        ('{"message": "from message"}', "application/json", ": from message"),
        ('{"detail": [{"msg": "field required"}]}', "application/json", ": field required"),
        ('{"error": {"message": "nested"}}', "application/json", ": nested"),
        ("plain   words\n\n here", "text/plain", ": plain words here"),
        ("<html><body><h1>Bad   Request</h1></body></html>", "text/html", ": Bad Request"),
        ("", "text/plain", "400 Bad Request ("),
    ],
)
def test_server_text_in_message(
    httpserver: HTTPServer, body: str, content_type: str, said: str
) -> None:
    httpserver.expect_request("/v1/code/apply").respond_with_data(
        body, status=400, content_type=content_type
    )
    with pytest.raises(ApiError) as info:
        call(make()[0], httpserver.url_for("/"))
    assert said in str(info.value)


def test_long_error_text_is_clipped(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/code/apply").respond_with_data("x " * 1000, status=500)
    with pytest.raises(ApiError) as info:
        call(make(max_retries=0)[0], httpserver.url_for("/"))
    assert len(str(info.value)) < 320 and "…" in str(info.value)


def test_retry_after_honoured_then_success(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/v1/code/apply").respond_with_json(
        {"error": "slow down"}, status=429, headers={"Retry-After": "3"}
    )
    httpserver.expect_ordered_request("/v1/code/apply").respond_with_json(OK)
    client, sleeps, notices = make()
    assert call(client, httpserver.url_for("/")).merged == "merged\n"
    assert sleeps.calls == [3.0]
    assert notices == ["retrying in 3.0 s (429 rate limited)"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Reset": "7"}, 7.0),
        ({"X-RateLimit-Reset": "__NOW+5__"}, 5.0),
        ({"Retry-After": "3600"}, 60.0),
        ({"X-RateLimit-Reset": "86400"}, 60.0),
        ({"Retry-After": "2", "X-RateLimit-Reset": "9"}, 2.0),
    ],
)
def test_server_wait_forms_and_cap(
    httpserver: HTTPServer, headers: dict[str, str], expected: float
) -> None:
    headers = {k: v.replace("__NOW+5__", str(int(time.time()) + 5)) for k, v in headers.items()}
    httpserver.expect_ordered_request("/v1/code/apply").respond_with_json(
        {}, status=429, headers=headers
    )
    httpserver.expect_ordered_request("/v1/code/apply").respond_with_json(OK)
    client, sleeps, _ = make()
    call(client, httpserver.url_for("/"))
    assert len(sleeps.calls) == 1
    assert sleeps.calls[0] == pytest.approx(expected, abs=1.1)


def test_backoff_without_server_wait(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/code/apply").respond_with_data("oops", status=503)
    client, sleeps, notices = make(max_retries=4)
    with pytest.raises(ApiError, match="503"):
        call(client, httpserver.url_for("/"))
    assert len(httpserver.log) == 5
    for retry, slept in enumerate(sleeps.calls):
        base = min(0.5 * 2**retry, 8.0)
        assert 0.75 * base <= slept <= base
    assert notices[0].startswith("retrying in 0.") and notices[0].endswith("(503 server error)")


def test_retry_exhaustion_on_429(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/code/apply").respond_with_json(
        {"error": "rate limit exceeded"}, status=429, headers={"Retry-After": "1"}
    )
    client, sleeps, _ = make(max_retries=2)
    with pytest.raises(ApiError) as info:
        call(client, httpserver.url_for("/"))
    assert len(httpserver.log) == 3 and sleeps.calls == [1.0, 1.0]
    assert info.value.status == 429
    assert str(info.value) == (
        f"{httpserver.host}:{httpserver.port} answered 429 Too Many Requests: rate limit exceeded "
        "(after 3 attempts) (rate limited, retry later)"
    )


def test_no_retries_when_max_retries_is_zero(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/code/apply").respond_with_data("", status=502)
    client, sleeps, _ = make(max_retries=0)
    with pytest.raises(ApiError):
        call(client, httpserver.url_for("/"))
    assert len(httpserver.log) == 1 and sleeps.calls == []


def test_read_timeout_is_retried_then_reported() -> None:
    with RawServer(sleepy(1.0, json_reply(200, OK))) as server:
        client, sleeps, notices = make(timeout=0.3, max_retries=1)
        started = time.monotonic()
        with pytest.raises(ApiError) as info:
            call(client, server.url)
        assert time.monotonic() - started < 1.5
        assert len(server.requests) == 2
    assert "did not answer within 0.3 s" in str(info.value)
    assert "relace config set timeout" in str(info.value)
    assert info.value.status is None
    assert notices[0].endswith("(read timeout)")


def test_read_timeout_then_success() -> None:
    with RawServer(sequence(sleepy(1.0), json_reply(200, OK))) as server:
        client, _, _ = make(timeout=0.3)
        assert call(client, server.url).merged == "merged\n"


def test_truncated_body_is_retried_like_a_connection_error() -> None:
    body = json.dumps(OK).encode()
    truncated = response_bytes(200, body[:10], content_length=len(body))
    with RawServer(raw_reply(truncated)) as server:
        client, sleeps, notices = make()
        with pytest.raises(ApiError) as info:
            call(client, server.url)
        assert len(server.requests) == 3
    assert "closed mid-response" in str(info.value) and "127.0.0.1" in str(info.value)
    assert len(sleeps.calls) == 2 and "closed mid-response" in notices[0]


def test_truncated_body_then_success() -> None:
    body = json.dumps(OK).encode()
    truncated = raw_reply(response_bytes(200, body[:10], content_length=len(body)))
    with RawServer(sequence(truncated, json_reply(200, OK))) as server:
        assert call(make()[0], server.url).merged == "merged\n"


def test_dropped_connection_is_retried() -> None:
    with RawServer(sequence(drop, drop, json_reply(201, OK))) as server:
        client, sleeps, notices = make()
        assert call(client, server.url).merged == "merged\n"
        assert len(server.requests) == 3
    assert len(sleeps.calls) == 2
    assert "closed without a response" in notices[0]


def test_connection_refused_names_host() -> None:
    url = closed_port_url()
    client, sleeps, _ = make()
    with pytest.raises(ApiError) as info:
        call(client, url)
    host = url.removeprefix("http://")
    assert str(info.value).startswith(f"connection to {host} failed: connection refused")
    assert "check the network" in str(info.value) and "apply_url" in str(info.value)
    assert len(sleeps.calls) == 2


def test_invalid_url_is_an_api_error_not_retried() -> None:
    client, sleeps, _ = make()
    with pytest.raises(ApiError, match="apply_url"):
        call(client, "not a url")
    assert sleeps.calls == []


def test_keyboard_interrupt_propagates(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/code/apply").respond_with_data("", status=503)

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    client = Client(KEY, sleep=interrupted)
    with pytest.raises(KeyboardInterrupt):
        call(client, httpserver.url_for("/"))


def test_key_never_in_messages(httpserver: HTTPServer) -> None:
    def echo(request: object) -> Response:
        return Response(
            json.dumps({"error": f"invalid key {KEY} (Bearer {KEY})"}),
            status=429,
            headers={"Retry-After": "0"},
        )

    httpserver.expect_request("/v1/code/apply").respond_with_handler(echo)
    client, _, notices = make()
    with pytest.raises(ApiError) as info:
        call(client, httpserver.url_for("/"))
    text = str(info.value) + repr(info.value.args) + " ".join(notices)
    assert KEY not in text
    assert "rlc-…stuv" in str(info.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422, 500])
def test_key_never_in_any_status_message(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/v1/code/apply").respond_with_data(
        f"<html><title>{KEY}</title></html>", status=status, content_type="text/html"
    )
    with pytest.raises(ApiError) as info:
        call(make(max_retries=0)[0], httpserver.url_for("/"))
    assert KEY not in str(info.value) and KEY[4:] not in str(info.value)


def test_pool_grows_for_concurrency() -> None:
    client = Client(KEY, pool_size=2)
    assert client.pool_size == 2
    client.ensure_pool(8)
    assert client.pool_size == 8
    adapter = client._session.get_adapter("https://example.com/")
    assert adapter._pool_maxsize == 8
    client.close()
