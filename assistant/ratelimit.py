"""A per-key sliding-window rate limit, shared by the HTTP API (per client address) and the bots (per user).

The requests counted are kept in SQLite: in the feedback store's file (`<data_dir>/feedback.sqlite3`,
table `rate_hits`) when a path is given, so that every server worker on the machine counts against
one budget and a restart forgets nothing; in memory of this process when not (tests, one-off use).
Each check is one short write transaction (BEGIN IMMEDIATE), so two processes never both take the
last slot. The table holds at most the requests of the last window: a key's old rows go when it is
checked, everyone's now and then.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Rate", "RateLimiter"]

PRUNE_EVERY = 500  # checks between deletions of every key's expired rows

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_hits (scope TEXT NOT NULL, key TEXT NOT NULL, stamp REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rate_hits_by_key ON rate_hits (scope, key, stamp);
CREATE INDEX IF NOT EXISTS rate_hits_by_stamp ON rate_hits (stamp);
"""


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
    """Counts requests per key over the last `rate.seconds`.

    Parameters
    ----------
    rate:
        The limit.
    clock:
        Seconds since the epoch (wall time: processes and restarts share it).
    path:
        SQLite file shared by every process that limits the same clients (the feedback store's);
        None keeps the counts in this process's memory.
    scope:
        Which budget: the API's per-address one and the bots' per-user one live side by side.
    """

    def __init__(
        self, rate: Rate, clock: Callable[[], float] = time.time, path: Path | None = None, scope: str = "api"
    ) -> None:
        self.rate = rate
        self.clock = clock
        self.scope = scope
        self._lock = threading.Lock()
        self._checks = 0
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            ":memory:" if path is None else str(path), check_same_thread=False, timeout=30, isolation_level=None
        )
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # counts need no fsync; WAL keeps the file sound
        self._db.executescript(_SCHEMA)

    def wait_for(self, key: str) -> float:
        """0 when `key` may go on now (and counts this request); otherwise the seconds to wait."""
        if self.rate.requests <= 0:
            return 0.0
        now = self.clock()
        since = now - self.rate.seconds
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # waits (up to 30 s) for another process's check
            try:
                self._db.execute(
                    "DELETE FROM rate_hits WHERE scope = ? AND key = ? AND stamp <= ?", (self.scope, key, since)
                )
                count, oldest = self._db.execute(
                    "SELECT COUNT(*), MIN(stamp) FROM rate_hits WHERE scope = ? AND key = ?", (self.scope, key)
                ).fetchone()
                if count >= self.rate.requests:
                    wait = float(oldest) + self.rate.seconds - now
                else:
                    wait = 0.0
                    self._db.execute("INSERT INTO rate_hits VALUES (?, ?, ?)", (self.scope, key, now))
                self._checks += 1
                if self._checks % PRUNE_EVERY == 0:  # keys not seen for a window
                    self._db.execute("DELETE FROM rate_hits WHERE scope = ? AND stamp <= ?", (self.scope, since))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return max(wait, 0.0)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
