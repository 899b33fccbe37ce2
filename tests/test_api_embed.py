"""Embed and rank against real local servers: shapes, ordering, concurrency, shared backoff."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from relace_cli.api import Client, RankResult, embed, embed_many, rank
from relace_cli.errors import ApiError
from tests.servers import RawServer, Request, send_json

KEY = "rlc-0123456789abcdefghijklmnopqrstuv"


def client(**kwargs: object) -> Client:
    options: dict = {"sleep": lambda seconds: None, "timeout": 2.0}
    options.update(kwargs)
    return Client(KEY, **options)


def results_for(inputs: list[str], *, nested: bool = False) -> dict:
    """Embeddings [float(text)], in shuffled order, like a server free to reorder."""
    items = [{"index": i, "embedding": [float(text)]} for i, text in enumerate(inputs)]
    random.shuffle(items)
    return {"results": [items] if nested else items, "usage": {"total_tokens": len(inputs)}}


# -- embed --------------------------------------------------------------------------------
@pytest.mark.parametrize("nested", [False, True])
def test_embed_orders_by_index(httpserver: HTTPServer, nested: bool) -> None:
    inputs = [str(i) for i in range(10)]
    body = {"results": [], "usage": {"total_tokens": 10}}
    items = [{"index": i, "embedding": [float(i)]} for i in reversed(range(10))]
    body["results"] = [items] if nested else items
    httpserver.expect_oneshot_request(
        "/v1/code/embed",
        method="POST",
        json={"model": "relace-embed-v1", "input": inputs, "output_dtype": "binary"},
        headers={"Authorization": f"Bearer {KEY}"},
    ).respond_with_json(body)
    vectors, usage = embed(client(), httpserver.url_for("/"), inputs, dtype="binary")
    assert vectors == [[float(i)] for i in range(10)]
    assert usage == {"total_tokens": 10}


@pytest.mark.parametrize(
    ("results", "words"),
    [
        ([{"index": 0, "embedding": [1.0]}], "no embedding for input 1 of 2"),
        ([{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [2.0]}], "two embeddings"),
        ([{"embedding": [1.0]}, {"index": 1, "embedding": [2.0]}], "bad index (None)"),
        ([{"index": 0, "embedding": [1.0]}, {"index": 2, "embedding": [2.0]}], "bad index (2)"),
        ([{"index": 0}, {"index": 1, "embedding": [2.0]}], "no embedding vector for index 0"),
        ("nope", "no `results` list"),
    ],
)
def test_embed_rejects_bad_results(httpserver: HTTPServer, results: object, words: str) -> None:
    httpserver.expect_request("/v1/code/embed").respond_with_json({"results": results})
    with pytest.raises(ApiError, match="unexpected response") as info:
        embed(client(), httpserver.url_for("/"), ["a", "b"])
    assert words in str(info.value)
    assert "embed_url" in str(info.value)


def test_embed_nothing_sends_nothing(httpserver: HTTPServer) -> None:
    assert embed(client(), httpserver.url_for("/"), []) == ([], {})
    assert httpserver.log == []


# -- embed_many ---------------------------------------------------------------------------
class EmbedServer(RawServer):
    """Answers in shuffled order after a random delay; optionally one 429 first.

    Counts requests being worked on (up to the moment the answer is sent, so a client
    that sends its next request at once is never counted twice).
    """

    def __init__(self, *, delay: float = 0.03, fail_first_with_429: bool = False) -> None:
        super().__init__(self.answer)
        self.delay = delay
        self.fail_first = fail_first_with_429
        self.rejected: list[float] = []
        self.working = 0
        self.max_working = 0
        self.count_lock = threading.Lock()

    def answer(self, conn: socket.socket, request: Request) -> None:
        inputs = request.json()["input"]
        with self.count_lock:
            reject = self.fail_first and not self.rejected
            if reject:
                self.rejected.append(time.monotonic())
            self.working += 1
            self.max_working = max(self.max_working, self.working)
        try:
            time.sleep(0 if reject else random.uniform(0, self.delay))
        finally:
            with self.count_lock:
                self.working -= 1
        if reject:
            send_json(conn, 429, {"error": "rate limit"}, headers={"Retry-After": "1"})
        else:
            send_json(conn, 200, results_for(inputs, nested=random.random() < 0.5))


def counting(n: int, seen: list[int]) -> Iterator[str]:
    for i in range(n):
        seen[0] = i + 1
        yield str(i)


def test_embed_many_keeps_input_order_under_concurrency() -> None:
    with EmbedServer() as server:
        c = client(pool_size=1)
        got = list(embed_many(c, server.url, (str(i) for i in range(200)), batch_size=7, jobs=4))
        assert c.pool_size >= 4
    assert got == [(i, [float(i)]) for i in range(200)]
    assert len(server.requests) == 29  # ceil(200 / 7)
    assert 1 < server.max_working <= 4
    sizes = [len(r.json()["input"]) for r in server.requests]
    assert sorted(sizes) == [4] + [7] * 28


def test_embed_many_reads_inputs_lazily() -> None:
    seen = [0]
    with EmbedServer(delay=0.01) as server:
        results = embed_many(client(), server.url, counting(10_000, seen), batch_size=10, jobs=2)
        first = next(results)
        assert first == (0, [0.0])
        assert seen[0] <= 2 * 2 * 10 + 10  # at most ~2*jobs batches read ahead
        results.close()


def test_embed_many_shared_backoff_on_429() -> None:
    """One 429 holds every worker back instead of failing the run; no row is lost."""
    sleeps: list[tuple[str, float]] = []

    def sleep(seconds: float) -> None:
        sleeps.append((threading.current_thread().name, seconds))
        time.sleep(min(seconds, 0.05))

    notices: list[str] = []
    with EmbedServer(delay=0.05, fail_first_with_429=True) as server:
        c = client(sleep=sleep, on_retry=notices.append)
        got = list(embed_many(c, server.url, (str(i) for i in range(120)), batch_size=5, jobs=4))
    assert got == [(i, [float(i)]) for i in range(120)]
    assert len(server.rejected) == 1 and len(server.requests) == 24 + 1
    assert notices == ["retrying in 1.0 s (429 rate limited)"]
    waiting_threads = {name for name, _ in sleeps}
    assert len(waiting_threads) >= 2  # the other workers waited at the shared gate too
    assert all(0 < seconds <= 1.0 for _, seconds in sleeps)


def test_embed_many_failure_raises() -> None:
    def handle(conn: socket.socket, request: Request) -> None:
        inputs = request.json()["input"]
        if "13" in inputs:
            send_json(conn, 413, {"error": "batch too large"})
        else:
            send_json(conn, 200, results_for(inputs))

    with RawServer(handle) as server:
        results = embed_many(client(), server.url, (str(i) for i in range(40)), batch_size=4)
        got = []
        with pytest.raises(ApiError, match="413 Request Entity Too Large: batch too large"):
            for item in results:
                got.append(item)
    assert got == [(i, [float(i)]) for i in range(12)]


def test_embed_many_empty() -> None:
    assert list(embed_many(client(), "http://127.0.0.1:9", iter([]))) == []


# -- rank ---------------------------------------------------------------------------------
def test_rank(httpserver: HTTPServer) -> None:
    codebase = [{"filename": "a.py", "content": "x"}, {"filename": "b.py", "content": "y"}]
    httpserver.expect_oneshot_request(
        "/v2/code/rank",
        json={"query": "where is x", "codebase": codebase, "token_limit": 500},
    ).respond_with_json(
        {
            "results": [{"filename": "a.py", "score": 0.9}, {"filename": "b.py", "score": 0}],
            "usage": {"total_tokens": 12},
        }
    )
    result = rank(client(), httpserver.url_for("/"), "where is x", codebase, token_limit=500)
    assert result == RankResult([("a.py", 0.9), ("b.py", 0.0)], {"total_tokens": 12})


@pytest.mark.parametrize(
    "body",
    [["a.py"], {"results": "a.py"}, {"results": [{"filename": "a.py"}]}, {"results": ["a.py"]}],
)
def test_rank_rejects_other_shapes(httpserver: HTTPServer, body: object) -> None:
    httpserver.expect_request("/v2/code/rank").respond_with_data(json.dumps(body))
    with pytest.raises(ApiError, match="unexpected response .* rank_url"):
        rank(client(), httpserver.url_for("/"), "q", [])
