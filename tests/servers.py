"""A tiny threaded raw-socket HTTP server for what a well-behaved server cannot do.

Each connection is handed to ``handler(conn, request)``: it may answer properly, sleep
past the client's timeout, lie about Content-Length, drop the connection, or trickle
server-sent events. One request per connection (``Connection: close``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    when: float = field(default_factory=time.monotonic)
    connection: int = 0  # which connection carried it (counts from 1)

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[socket.socket, Request], None]


def read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Request(method, path, headers, body)


def response_bytes(
    status: int,
    body: bytes = b"",
    *,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    content_length: int | None = None,
    keep_alive: bool = False,
) -> bytes:
    """Head and body; *content_length* may lie (claim more than is sent)."""
    connection = "keep-alive" if keep_alive else "close"
    lines = [f"HTTP/1.1 {status} Whatever", f"Connection: {connection}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    length = len(body) if content_length is None else content_length
    lines.append(f"Content-Length: {length}")
    lines.extend(f"{k}: {v}" for k, v in (headers or {}).items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def send_json(conn: socket.socket, status: int, value: Any, **kwargs: Any) -> None:
    conn.sendall(response_bytes(status, json.dumps(value).encode(), **kwargs))


class RawServer:
    """Serve *handler* on 127.0.0.1 in background threads; records every request."""

    def __init__(self, handler: Handler, *, keep_alive: bool = False) -> None:
        self.handler = handler
        self.keep_alive = keep_alive
        self.connections = 0
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with self.lock:
            self.connections += 1
            number = self.connections
        with conn:
            try:
                while True:
                    request = read_request(conn)
                    if request is None:
                        return
                    request.connection = number
                    with self.lock:
                        self.requests.append(request)
                        self.active += 1
                        self.max_active = max(self.max_active, self.active)
                    try:
                        self.handler(conn, request)
                    finally:
                        with self.lock:
                            self.active -= 1
                    if not self.keep_alive:
                        return
            except OSError:  # the client went away: not the server's problem
                pass


def closed_port_url() -> str:
    """A URL on which nothing listens: connecting is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def sse_head() -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n"
    )


def sse_event(value: Any) -> bytes:
    data = value if isinstance(value, str) else json.dumps(value)
    return f"data: {data}\n\n".encode()


def delta(text: str, finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}


def sse_handler(events: Iterable[Any], *, done: bool = True, pause: float = 0.0) -> Handler:
    """Answer with these events (dicts or raw strings), *pause* s apart, then maybe [DONE]."""
    items = list(events)

    def handle(conn: socket.socket, request: Request) -> None:
        conn.sendall(sse_head())
        for item in items:
            conn.sendall(sse_event(item))
            if pause:
                time.sleep(pause)
        if done:
            conn.sendall(b"data: [DONE]\n\n")

    return handle


def sequence(*handlers: Handler) -> Handler:
    """The n-th request gets the n-th handler (the last one repeats)."""
    count = 0
    lock = threading.Lock()

    def handle(conn: socket.socket, request: Request) -> None:
        nonlocal count
        with lock:
            index = min(count, len(handlers) - 1)
            count += 1
        handlers[index](conn, request)

    return handle


def json_reply(status: int, value: Any, **kwargs: Any) -> Handler:
    def handle(conn: socket.socket, request: Request) -> None:
        send_json(conn, status, value, **kwargs)

    return handle


def raw_reply(data: bytes) -> Handler:
    def handle(conn: socket.socket, request: Request) -> None:
        conn.sendall(data)

    return handle


def drop(conn: socket.socket, request: Request) -> None:
    """Read the request, answer nothing, close: a dropped connection."""


def sleepy(seconds: float, then: Handler | None = None) -> Handler:
    def handle(conn: socket.socket, request: Request) -> None:
        time.sleep(seconds)
        if then is not None:
            then(conn, request)

    return handle
