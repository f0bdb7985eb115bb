"""Brakes on guessing keys: failed authentications counted per client address.

256-bit keys cannot be guessed, but an endpoint that answers 401 as fast as it can is still
an oracle and a cheap way to load the database. After ``limit`` failures from one address
within ``window`` seconds, that address is refused with 429 (and ``Retry-After``) until the
oldest failure leaves the window, correct key or not: the check precedes the key lookup.
The count is per process; behind several replicas each one brakes on its own.
"""

import math
import threading
import time
from collections import deque
from collections.abc import Callable

# Addresses remembered at most: a flood of spoofed sources cannot grow memory without end
# (the oldest address is forgotten first).
MAX_TRACKED_ADDRESSES = 10_000


class AuthThrottle:
    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None when it may now."""
        with self._lock:
            failures = self._recent(address)
            if failures is None or len(failures) < self.limit:
                return None
            return max(1, math.ceil(failures[0] + self.window - self._clock()))

    def record_failure(self, address: str) -> None:
        with self._lock:
            failures = self._recent(address)
            if failures is None:
                if len(self._failures) >= MAX_TRACKED_ADDRESSES:
                    del self._failures[next(iter(self._failures))]
                failures = self._failures[address] = deque()
            failures.append(self._clock())
            while len(failures) > self.limit:
                failures.popleft()

    def _recent(self, address: str) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures
