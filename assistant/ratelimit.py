"""A per-key sliding-window rate limit, shared by the HTTP API (per client address) and the bots (per user).

The requests counted are kept in the feedback store's database when a location is given: its SQLite
file (`<data_dir>/feedback.sqlite3`, table `rate_hits`) or KHUYENCONG_STORE_URL (store.py), so that
every server worker (on PostgreSQL: every machine) counts against one budget and a restart forgets
nothing; in memory of this process when not (tests, one-off use).

Each check is one short write transaction, so two processes never both take the last slot: it
starts by locking the key, with an upsert of the key's row in `rate_keys` (INSERT … ON CONFLICT DO
UPDATE, which on PostgreSQL holds the row's lock until the commit, and waits for the lock of another
transaction on the same key); on SQLite the transaction's BEGIN IMMEDIATE has locked the whole file
already. A key's requests older than the window go when it is checked, and the keys not checked for
a window (with their requests) now and then: the tables hold little more than the last window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Connection, Float, Index, MetaData, Table, Text, delete, func, select

from .store import MEMORY, Database, Location

__all__ = ["Rate", "RateLimiter"]

PRUNE_EVERY = 500  # checks between deletions of every key's expired rows

METADATA = MetaData()
rate_hits = Table(
    "rate_hits",
    METADATA,
    Column("scope", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("stamp", Float, nullable=False),
    Index("rate_hits_by_key", "scope", "key", "stamp"),
    Index("rate_hits_by_stamp", "stamp"),
)
rate_keys = Table(  # one row per key checked in the last window: what a check locks
    "rate_keys",
    METADATA,
    Column("scope", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("seen", Float, nullable=False),
    Index("rate_keys_by_seen", "seen"),
)


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
    store:
        The feedback store's location (a SQLite file or a storage URL), shared by every process that
        limits the same clients; None keeps the counts in this process's memory.
    scope:
        Which budget: the API's per-address one and the bots' per-user one live side by side.
    """

    def __init__(
        self, rate: Rate, clock: Callable[[], float] = time.time, store: Location | None = None, scope: str = "api"
    ) -> None:
        self.rate = rate
        self.clock = clock
        self.scope = scope
        self._lock = threading.Lock()  # the in-memory database is one connection
        self._checks = 0
        self._db = Database(MEMORY if store is None else store, METADATA, durable=False)  # counts need no fsync

    def wait_for(self, key: str) -> float:
        """0 when `key` may go on now (and counts this request); otherwise the seconds to wait."""
        if self.rate.requests <= 0:
            return 0.0
        now = self.clock()
        since = now - self.rate.seconds
        hits = rate_hits.c
        mine = (hits.scope == self.scope, hits.key == key)
        with self._lock, self._db.write() as db:  # SQLite: waits (up to 30 s) for another process's check
            seen = self._db.insert(rate_keys).values(scope=self.scope, key=key, seen=now)
            db.execute(seen.on_conflict_do_update(index_elements=["scope", "key"], set_={"seen": seen.excluded.seen}))
            db.execute(delete(rate_hits).where(*mine, hits.stamp <= since))
            count, oldest = db.execute(select(func.count(), func.min(hits.stamp)).where(*mine)).one()
            if count >= self.rate.requests:
                wait = float(oldest) + self.rate.seconds - now
            else:
                wait = 0.0
                db.execute(rate_hits.insert().values(scope=self.scope, key=key, stamp=now))
            self._checks += 1
            if self._checks % PRUNE_EVERY == 0:
                self._prune(db, since)
        return max(wait, 0.0)

    def _prune(self, db: Connection, since: float) -> None:
        """Forget the keys not seen for a window, and their requests. The keys' rows go first: every
        transaction locks a key's row before its requests, so two never wait for each other."""
        keys = rate_keys.c
        db.execute(delete(rate_keys).where(keys.scope == self.scope, keys.seen <= since))
        known = select(keys.key).where(keys.scope == self.scope)
        db.execute(delete(rate_hits).where(rate_hits.c.scope == self.scope, rate_hits.c.key.not_in(known)))

    def close(self) -> None:
        """Close the connections."""
        self._db.close()
