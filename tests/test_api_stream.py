"""Server-sent events: the parser on its own, and streaming apply against real servers."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from relace_cli.api import Client, apply_code_stream
from relace_cli.api.sse import SSEDecoder, iter_sse_data
from relace_cli.errors import ApiError
from tests.servers import (
    RawServer,
    Request,
    delta,
    json_reply,
    sequence,
    sse_event,
    sse_handler,
    sse_head,
)

KEY = "rlc-0123456789abcdefghijklmnopqrstuv"


def stream(url: str, client: Client | None = None) -> list[str]:
    client = client or Client(KEY, sleep=lambda s: None, timeout=2.0)
    return list(apply_code_stream(client, url, initial_code="a\n", edit_snippet="b\n"))


# -- the parser ---------------------------------------------------------------------------
def test_parser_follows_the_spec() -> None:
    raw = (
        b": comment\r\nevent: message\r\nid: 1\r\ndata: one\r\n\r\n"
        b"data:two\ndata:  three\n\n"
        b"retry: 10\rdata: four\r\r"
        b"data: [DONE]\n\n"
    )
    assert list(iter_sse_data([raw])) == ["one", "two\n three", "four", "[DONE]"]


def test_parser_delivers_a_last_event_without_blank_line() -> None:
    assert list(iter_sse_data([b"data: a\n\ndata: b"])) == ["a", "b"]


def test_parser_yields_as_soon_as_an_event_completes() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == ["x"]
    assert decoder.close() == []


def test_parser_handles_bom_and_split_utf8() -> None:
    raw = "\ufeffdata: h\u00e9llo \u2603\n\n".encode()
    pieces = [raw[i : i + 1] for i in range(len(raw))]
    assert list(iter_sse_data(pieces)) == ["h\u00e9llo \u2603"]


EVENT_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"))


@given(
    payloads=st.lists(EVENT_TEXT, max_size=6),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_parser_is_indifferent_to_chunking(
    payloads: list[str], line_end: str, cuts: list[int]
) -> None:
    raw = "".join(f"data: {p}{line_end}{line_end}" for p in payloads).encode()
    bounds = sorted({min(c, len(raw)) for c in cuts} | {0, len(raw)})
    chunks = [raw[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert list(iter_sse_data(chunks)) == payloads


# -- streaming apply ----------------------------------------------------------------------
def test_stream_request_and_chunks(httpserver: HTTPServer) -> None:
    body = "".join(sse_event(item).decode() for item in [delta("x = "), delta("2\n"), "[DONE]"])
    httpserver.expect_oneshot_request(
        "/v1/code/apply",
        json={"initial_code": "a\n", "edit_snippet": "b\n", "stream": True},
        headers={"Accept": "text/event-stream", "Authorization": f"Bearer {KEY}"},
    ).respond_with_data(body, content_type="text/event-stream")
    assert stream(httpserver.url_for("/")) == ["x = ", "2\n"]


def test_stream_with_merged_code_chunk() -> None:
    events = [delta("x = "), {"mergedCode": "x = 2\n", "usage": {"total_tokens": 3}}]
    with RawServer(sse_handler(events)) as server:
        assert "".join(stream(server.url)) == "x = 2\n"
    with RawServer(sse_handler([{"mergedCode": "whole\n"}])) as server:
        assert stream(server.url) == ["whole\n"]


def test_stream_finish_stop_without_done_is_complete() -> None:
    with RawServer(sse_handler([delta("a"), delta("b", "stop")], done=False)) as server:
        assert stream(server.url) == ["a", "b"]


def test_truncated_stream_is_cut_off() -> None:
    with RawServer(sse_handler([delta("a"), delta("b")], done=False)) as server:
        with pytest.raises(ApiError, match="response was cut off: .* without \\[DONE\\]"):
            stream(server.url)


def test_stream_finish_length_is_cut_off() -> None:
    with RawServer(sse_handler([delta("a"), delta("b", "length")])) as server:
        with pytest.raises(ApiError, match="cut off.*finish_reason length") as info:
            stream(server.url)
    assert "128k" in str(info.value)


def test_stream_broken_mid_body_is_cut_off() -> None:
    def handle(conn: socket.socket, request: Request) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 500\r\n\r\n"
        )
        conn.sendall(sse_event(delta("a")))

    with RawServer(handle) as server:
        with pytest.raises(ApiError, match="cut off: the connection to .* broke mid-stream"):
            stream(server.url)


def test_stream_error_event() -> None:
    with RawServer(sse_handler([delta("a"), {"error": "model overloaded"}])) as server:
        with pytest.raises(ApiError, match="error mid-stream: model overloaded"):
            stream(server.url)


def test_stream_non_json_chunk() -> None:
    with RawServer(sse_handler(["<html>"])) as server:
        with pytest.raises(ApiError, match="unexpected response.*not JSON"):
            stream(server.url)


def test_stream_chunks_arrive_as_sent() -> None:
    """The first chunk reaches the caller while the server still holds the rest back."""
    released = threading.Event()
    waited: list[bool] = []

    def handle(conn: socket.socket, request: Request) -> None:
        conn.sendall(sse_head() + sse_event(delta("first")))
        waited.append(released.wait(3))
        for text in ("second", "third"):
            time.sleep(0.1)  # slow, but each gap is under the 0.3 s read timeout
            conn.sendall(sse_event(delta(text)))
        conn.sendall(b"data: [DONE]\n\n")

    with RawServer(handle) as server:
        client = Client(KEY, timeout=0.3)
        chunks = apply_code_stream(client, server.url, initial_code="a", edit_snippet="b")
        assert next(chunks) == "first"
        released.set()
        assert list(chunks) == ["second", "third"]
    assert waited == [True]


def test_stream_stalling_past_timeout() -> None:
    def handle(conn: socket.socket, request: Request) -> None:
        conn.sendall(sse_head() + sse_event(delta("first")))
        time.sleep(1.0)

    with RawServer(handle) as server:
        client = Client(KEY, timeout=0.3)
        with pytest.raises(ApiError, match="stopped sending for more than 0.3 s") as info:
            stream(server.url, client)
    assert "timeout" in str(info.value)


def test_stream_retried_before_first_byte() -> None:
    handler = sequence(
        json_reply(429, {"error": "busy"}, headers={"Retry-After": "2"}),
        sse_handler([delta("ok")]),
    )
    slept: list[float] = []
    with RawServer(handler) as server:
        client = Client(KEY, sleep=slept.append, timeout=2.0)
        assert stream(server.url, client) == ["ok"]
        assert len(server.requests) == 2
    assert slept == [2.0]


def test_stream_error_status_is_reported() -> None:
    with RawServer(json_reply(401, {"error": "bad key"})) as server:
        with pytest.raises(ApiError, match="401 Unauthorized: bad key") as info:
            stream(server.url)
    assert info.value.status == 401


def test_stream_answered_with_plain_json() -> None:
    with RawServer(json_reply(200, {"mergedCode": "all\n"})) as server:
        assert stream(server.url) == ["all\n"]


def test_post_stream_stops_at_done() -> None:
    with RawServer(sse_handler(["a", "b"])) as server:
        client = Client(KEY)
        assert list(client.post_stream(server.url, {"q": 1})) == ["a", "b"]
        assert list(client.post_stream(server.url, {}, include_done=True)) == ["a", "b", "[DONE]"]
        assert json.loads(server.requests[0].body) == {"q": 1}
