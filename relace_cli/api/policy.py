"""When to retry and how long to wait: pure functions plus one shared "not before" gate.

The numbers follow the official Relace SDK: 0.5 s doubling up to 8 s with jitter, and any
wait the server asks for (``Retry-After``, ``X-RateLimit-Reset``) honoured up to 60 s.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping

RETRYABLE_STATUSES = frozenset({408, 409, 423, 429})
INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_SERVER_WAIT = 60.0
# X-RateLimit-Reset: below this it is a number of seconds, above it a Unix time.
_EPOCH_THRESHOLD = 1_000_000_000


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def backoff_delay(retry: int, rand: Callable[[], float] = random.random) -> float:
    """Delay before retry number *retry* (0 for the first retry): exponential, jittered.

    The jitter only shortens the delay (by up to 25 %), so the cap stays a cap and
    clients that failed together do not come back together.
    """
    base = min(INITIAL_DELAY * (2**retry), MAX_DELAY)
    return base * (1.0 - 0.25 * rand())


def _parse_number(value: str) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return number


def _parse_http_date(value: str, now: float) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # an HTTP date is GMT even when it forgets to say so
        import datetime

        when = when.replace(tzinfo=datetime.UTC)
    return when.timestamp() - now


def server_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait the server asked for, in seconds, capped at 60 s; None if it asked nothing.

    ``Retry-After`` (seconds or an HTTP date) wins over ``X-RateLimit-Reset`` (seconds to
    wait below 10^9, a Unix time above). A time in the past means "now": 0 s.
    """
    now = time.time() if now is None else now
    wait: float | None = None
    retry_after = headers.get("Retry-After")
    if retry_after:
        wait = _parse_number(retry_after)
        if wait is None:
            wait = _parse_http_date(retry_after, now)
    if wait is None:
        reset = headers.get("X-RateLimit-Reset")
        if reset:
            number = _parse_number(reset)
            if number is not None:
                wait = number - now if number >= _EPOCH_THRESHOLD else number
    if wait is None:
        return None
    return min(max(wait, 0.0), MAX_SERVER_WAIT)


class RateGate:
    """A shared "not before" time: a 429 seen by one worker holds back every worker.

    Thread-safe. Waiting is a single sleep of the remaining time, so an injected sleep
    that does not really sleep cannot spin.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._not_before = 0.0

    def push(self, delay: float) -> None:
        """Nobody sends before *delay* seconds from now (never moves the gate earlier)."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + delay)

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._not_before - self._clock())

    def wait(self, sleep: Callable[[float], None]) -> float:
        """Sleep until the gate opens; return how long was slept (0 if it was open)."""
        remaining = self.remaining()
        if remaining > 0:
            sleep(remaining)
        return remaining
