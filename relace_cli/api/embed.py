"""The embed endpoint: one batch, and many batches sent concurrently in input order.

``embed_many`` reads its inputs lazily and keeps at most ``2 * jobs`` batches in memory;
all workers share the client, so a 429 in one batch holds back every worker (the client's
rate gate) instead of failing the run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from . import messages
from .apply import clean_usage
from .client import Client, host_of, join_url

if TYPE_CHECKING:
    from concurrent.futures import Future

EMBED_PATH = "/v1/code/embed"
DEFAULT_MODEL = "relace-embed-v1"


def _flatten(results: list[Any]) -> list[Any]:
    items: list[Any] = []
    for item in results:
        if isinstance(item, list):  # one documented example nests results one level deeper
            items.extend(item)
        else:
            items.append(item)
    return items


def parse_embeddings(data: dict[str, Any], count: int, host: str) -> list[list]:
    """Vectors ordered by their ``index``: every index 0..count-1 exactly once, or ApiError."""
    results = data.get("results", data.get("data"))
    if not isinstance(results, list):
        raise messages.unexpected(host, "no `results` list in the JSON", kind="embed")
    vectors: list[Any] = [None] * count
    for item in _flatten(results):
        if not isinstance(item, dict):
            raise messages.unexpected(
                host, "an embedding result that is not an object", kind="embed"
            )
        index = item.get("index")
        vector = item.get("embedding")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
            raise messages.unexpected(
                host, f"an embedding with a bad index ({index!r}) for {count} inputs", kind="embed"
            )
        if vectors[index] is not None:
            raise messages.unexpected(host, f"two embeddings for index {index}", kind="embed")
        if not isinstance(vector, list | str):  # str: binary encodings are undocumented
            raise messages.unexpected(host, f"no embedding vector for index {index}", kind="embed")
        vectors[index] = vector
    missing = [i for i, vector in enumerate(vectors) if vector is None]
    if missing:
        shown = ", ".join(map(str, missing[:5])) + ("\u2026" if len(missing) > 5 else "")
        raise messages.unexpected(host, f"no embedding for input {shown} of {count}", kind="embed")
    return vectors


def embed(
    client: Client,
    base_url: str,
    inputs: list[str],
    *,
    model: str = DEFAULT_MODEL,
    dtype: str = "float",
) -> tuple[list[list], dict]:
    """Embed one batch; returns the vectors in input order and the usage block."""
    inputs = list(inputs)
    if not inputs:
        return [], {}
    url = join_url(base_url, EMBED_PATH)
    body = {"model": model, "input": inputs, "output_dtype": dtype}
    data = client.post_json(url, body, kind="embed")
    return parse_embeddings(data, len(inputs), host_of(url)), clean_usage(data.get("usage"))


def _batches(inputs: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(inputs)
    while batch := list(islice(iterator, size)):
        yield batch


def embed_many(
    client: Client,
    base_url: str,
    inputs: Iterable[str],
    *,
    batch_size: int = 64,
    jobs: int = 4,
    model: str = DEFAULT_MODEL,
    dtype: str = "float",
) -> Iterator[tuple[int, list]]:
    """Yield ``(input_index, vector)`` in input order, batches sent up to *jobs* at a time.

    The next batch in order is yielded as soon as it is done, while later ones are in
    flight. A failed batch (after the client's retries) raises; nothing is skipped.
    """
    from concurrent.futures import ThreadPoolExecutor

    batch_size = max(1, int(batch_size))
    jobs = max(1, int(jobs))
    client.ensure_pool(jobs)
    batches = _batches(inputs, batch_size)
    window: deque[tuple[int, Future[tuple[list[list], dict]]]] = deque()
    executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="relace-embed")
    start = 0
    clean = False
    try:
        while True:
            while len(window) < 2 * jobs:
                batch = next(batches, None)
                if batch is None:
                    break
                future = executor.submit(embed, client, base_url, batch, model=model, dtype=dtype)
                window.append((start, future))
                start += len(batch)
            if not window:
                break
            offset, future = window.popleft()
            vectors, _usage = future.result()
            for i, vector in enumerate(vectors):
                yield offset + i, vector
        clean = True
    finally:
        for _, future in window:
            future.cancel()
        executor.shutdown(wait=clean, cancel_futures=True)
