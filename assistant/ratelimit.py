"""A per-key sliding-window rate limit, shared by the HTTP API (per client address) and the bots (per user).

In memory of one process: with several server workers each keeps its own count.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import LRUCache

__all__ = ["MAX_KEYS", "Rate", "RateLimiter"]

MAX_KEYS = 10_000  # keys remembered; the least recently seen are forgotten first


@dataclass(frozen=True)
class Rate:
    """At most `requests` per key in any `seconds`; 0 requests means no limit."""

    requests: int
    seconds: float = 60.0

    @classmethod
    def parse(cls, value: str) -> Rate:
        """`N/SECONDS` (`60/60`), or `N` for N per minute; raises ValueError on anything else."""
        count, _, seconds = value.strip().partition("/")
        rate = cls(int(count), float(seconds) if seconds else 60.0)
        if rate.requests < 0 or rate.seconds <= 0:
            raise ValueError(value)
        return rate

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}"


class RateLimiter:
    """Counts requests per key over the last `rate.seconds`; remembers at most `max_keys` keys."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self.clock = clock
        self.max_keys = max_keys
        self._seen: LRUCache[str, deque[float]] = LRUCache(max_keys)  # the least recently seen forgotten first
        self._lock = threading.Lock()

    def wait_for(self, key: str) -> float:
        """0 when `key` may go on now (and counts this request); otherwise the seconds to wait."""
        if self.rate.requests <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            stamps = self._seen.get(key)
            if stamps is None:
                stamps = self._seen[key] = deque()
            while stamps and stamps[0] <= now - self.rate.seconds:
                stamps.popleft()
            if len(stamps) >= self.rate.requests:
                return stamps[0] + self.rate.seconds - now
            stamps.append(now)
            return 0.0
