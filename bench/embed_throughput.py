"""Embedding throughput: `relace embed` against a local server that takes 50 ms per request.

Starts a threaded HTTP/1.1 server on 127.0.0.1 (keep-alive, fixed latency per request), pipes
N inputs into `relace embed --lines --batch-size B --jobs J`, and compares the span the server
saw (first request received to last response sent) with the ideal
ceil(ceil(N / B) / J) x latency. Also reports the CLI's peak memory, and with --memory-check
compares it at N and 10 x N inputs (memory must stay flat).

Usage: python bench/embed_throughput.py [--inputs 10000] [--batch-size 64] [--jobs 4]
                                        [--latency 0.05] [--memory-check]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _relace import relace_command  # noqa: E402

KEY = "rlc-" + "b" * 32


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: float | None = None
        self.last: float | None = None
        self.requests = 0
        self.inputs = 0
        self.active = 0
        self.max_active = 0
        self.connections: set[tuple[str, int]] = set()


def make_handler(stats: Stats, latency: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_POST(self) -> None:  # noqa: N802
            received = time.perf_counter()
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with stats.lock:
                stats.first = received if stats.first is None else min(stats.first, received)
                stats.requests += 1
                stats.inputs += len(body["input"])
                stats.active += 1
                stats.max_active = max(stats.max_active, stats.active)
                stats.connections.add(self.client_address)
            time.sleep(latency)
            results = [
                {"index": i, "embedding": [0.5, -0.25, float(len(text) % 7)]}
                for i, text in enumerate(body["input"])
            ]
            data = json.dumps({"results": results, "usage": {"total_tokens": 1}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            with stats.lock:
                stats.active -= 1
                sent = time.perf_counter()
                stats.last = sent if stats.last is None else max(stats.last, sent)

    return Handler


PEAK = (
    "import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], stdin=sys.stdin, "
    "stdout=sys.stdout); sys.stderr.write(f'PEAK_KB {resource.getrusage("
    "resource.RUSAGE_CHILDREN).ru_maxrss}\\n'); sys.exit(p.returncode)"
)


def run_once(n: int, batch: int, jobs: int, latency: float) -> dict[str, float]:
    stats = Stats()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(stats, latency))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            inputs = Path(tmp, "inputs.txt")
            with inputs.open("w") as fh:
                for i in range(n):
                    fh.write(f"def f{i}(x): return x * {i}\n")
            env = {k: v for k, v in os.environ.items() if not k.startswith("RELACE_")}
            env.update(
                {
                    "RELACE_API_KEY": KEY,
                    "RELACE_CONFIG_DIR": str(Path(tmp, "c")),
                    "RELACE_EMBED_URL": f"http://127.0.0.1:{server.server_address[1]}",
                }
            )
            out_path = Path(tmp, "out.jsonl")
            with inputs.open("rb") as stdin, out_path.open("wb") as stdout:
                proc = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        PEAK,
                        *relace_command(),
                        "embed",
                        "--lines",
                        "--batch-size",
                        str(batch),
                        "--jobs",
                        str(jobs),
                    ],
                    stdin=stdin,
                    stdout=stdout,
                    stderr=subprocess.PIPE,
                    env=env,
                    timeout=600,
                )
            err = proc.stderr.decode()
            if proc.returncode != 0:
                raise SystemExit(f"bench: relace embed failed ({proc.returncode}): {err[-800:]}")
            peak_kb = float(
                next(line.split()[1] for line in err.splitlines() if line.startswith("PEAK_KB"))
            )
            rows = 0
            with out_path.open() as fh:
                for expected, line in enumerate(fh):
                    row = json.loads(line)
                    if row["id"] != expected:
                        raise SystemExit(f"bench: row {expected} came out as id {row['id']}")
                    rows += 1
            if rows != n:
                raise SystemExit(f"bench: {rows} rows for {n} inputs")
    finally:
        server.shutdown()
        server.server_close()
    assert stats.first is not None and stats.last is not None
    ideal = math.ceil(math.ceil(n / batch) / jobs) * latency
    span = stats.last - stats.first
    return {
        "span": span,
        "ideal": ideal,
        "efficiency": ideal / span,
        "requests": stats.requests,
        "max_active": stats.max_active,
        "connections": len(stats.connections),
        "peak_mb": peak_kb / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument(
        "--memory-check",
        action="store_true",
        help="also run 10x the inputs and compare peak memory",
    )
    args = parser.parse_args()
    r = run_once(args.inputs, args.batch_size, args.jobs, args.latency)
    print(
        f"{args.inputs} inputs, batch {args.batch_size}, jobs {args.jobs}, "
        f"{args.latency * 1000:.0f} ms/request: {r['requests']} requests, "
        f"at most {r['max_active']} in flight over {r['connections']} connections, "
        f"peak memory {r['peak_mb']:.1f} MB"
    )
    ok = r["efficiency"] >= 0.9
    summary = (
        f"embed throughput: span {r['span']:.3f} s vs ideal {r['ideal']:.3f} s = "
        f"{r['efficiency'] * 100:.1f}% of ideal (target >= 90%)"
    )
    if args.memory_check:
        big = run_once(args.inputs * 10, args.batch_size, args.jobs, args.latency)
        growth = big["peak_mb"] / r["peak_mb"]
        ok &= growth < 1.5
        summary += (
            f"; peak memory {r['peak_mb']:.1f} MB at {args.inputs} vs "
            f"{big['peak_mb']:.1f} MB at {args.inputs * 10} inputs ({growth:.2f}x)"
        )
    print(summary + (" -> ok" if ok else " -> MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
