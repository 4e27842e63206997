"""Where the state shared by server processes lives: SQLite files (the default) or PostgreSQL.

The feedback store (answers, votes, chat events already taken, reminders, admin jobs), the rate
limits and the shared conversations each open a `Database` over one *location*:

- a `Path`: a SQLite file (WAL), as under `<data_dir>` when KHUYENCONG_STORE_URL is not set;
  every process on the machine that opens the same file shares the state;
- a storage URL (KHUYENCONG_STORE_URL): `sqlite:///path/to/file.sqlite3`, or
  `postgresql://user:password@host:5432/database` (the `[postgres]` extra: psycopg 3), which every
  machine that serves can share.

The stores are written once, in SQLAlchemy Core: the same tables, statements and transactions on
both dialects. What differs is said here only: how a transaction that writes takes its lock
(SQLite: `BEGIN IMMEDIATE`, the whole file; PostgreSQL: the rows it writes, or a row lock taken
with an upsert, see ratelimit.py), and how two processes creating the tables at once are kept apart.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ResourceClosedError
from sqlalchemy.pool import StaticPool

from .errors import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "STORE_URL_FORM",
    "STORE_URL_VARIABLE",
    "Database",
    "Location",
    "check_store_url",
    "engine_url",
    "is_store_url",
    "shown_url",
]

Location = Path | str  # a SQLite file, or a storage URL
STORE_URL_VARIABLE = "KHUYENCONG_STORE_URL"
MEMORY = "sqlite://"  # a SQLite database in this process's memory (a rate limiter with no store)
SCHEMES = ("sqlite", "postgresql", "postgres")
_DDL_LOCK = 0x6B63_5354  # pg_advisory_xact_lock key: one process creates the tables at a time ("kcST")
_WRITE = "kc_write"  # execution option of a connection whose transaction writes
STORE_URL_FORM = (
    "sqlite:///đường/dẫn/tệp.sqlite3 hoặc postgresql://người_dùng:mật_khẩu@máy:5432/tên_csdl, hoặc để trống "
    "(SQLite trong KHUYENCONG_DATA_DIR) / a sqlite:/// or postgresql:// URL naming a database, or empty"
)


def shown_url(url: str) -> str:
    """`url` with its password (if any) replaced by ***, fit for a message or a log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def is_store_url(url: str) -> bool:
    """True when `url` names a store this program opens: sqlite:///FILE or postgresql://…/DATABASE."""
    if urlsplit(url).scheme.partition("+")[0].lower() not in SCHEMES:
        return False
    try:
        return bool(make_url(url).database)
    except ArgumentError:
        return False


def check_store_url(url: str) -> str:
    """`url` when it names a store this program opens; raises `ConfigError` naming the variable otherwise."""
    if not is_store_url(url):
        raise ConfigError(f"{STORE_URL_VARIABLE} phải là {STORE_URL_FORM} (đang là “{shown_url(url)}”).")
    return url


def engine_url(location: Location) -> URL:
    """The SQLAlchemy URL of a location; PostgreSQL through psycopg 3 whatever driver the URL named."""
    if isinstance(location, Path):
        return URL.create("sqlite", database=str(location))
    if location == MEMORY:
        return URL.create("sqlite")
    url = make_url(check_store_url(location))
    if url.get_backend_name() in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url.set(drivername="sqlite")


class Database:
    """An SQLAlchemy engine over one location, with `metadata`'s tables created when missing.

    Parameters
    ----------
    location:
        A SQLite file, a storage URL, or `MEMORY`.
    metadata:
        The tables of the store that opens it.
    durable:
        SQLite: fsync every commit (`synchronous=FULL`); False for counts that may be lost in a crash.
    """

    def __init__(self, location: Location, metadata: MetaData, *, durable: bool = True) -> None:
        url = engine_url(location)
        self.dialect = "postgresql" if url.get_backend_name() == "postgresql" else "sqlite"
        self._closed = False
        self._writers = _writers_of(url) if self.dialect == "sqlite" else nullcontext()
        if self.dialect == "postgresql":
            self.engine = _postgresql_engine(url)
        else:
            if url.database:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(url, durable)
        try:
            with self.write() as connection:
                if self.dialect == "postgresql":
                    connection.execute(select(func.pg_advisory_xact_lock(_DDL_LOCK)))
                metadata.create_all(connection)
        except OperationalError as error:  # no server there, wrong password, a file that cannot be written
            self.engine.dispose()
            shown = shown_url(location) if isinstance(location, str) else str(location)
            raise ConfigError(
                f"Không mở được kho trạng thái “{shown}” ({STORE_URL_VARIABLE} / KHUYENCONG_DATA_DIR): "
                f"{str(error.orig).strip()[:300]}"
            ) from None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction that only reads."""
        with self._connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that writes, committed when the block ends; on SQLite it holds the file's write
        lock from its first statement (waiting up to 30 s for another process's), so a read-then-write
        in it is atomic across processes."""
        with self._writers, self._connect() as connection:
            connection.execution_options(**{_WRITE: True})
            with connection.begin():
                yield connection

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT into `table` in this dialect's form, which takes `.on_conflict_do_nothing()` and
        `.on_conflict_do_update()` (INSERT … ON CONFLICT, the same on both dialects)."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def insert_once(self, connection: Connection, table: Table, row: dict[str, Any]) -> bool:
        """INSERT … ON CONFLICT DO NOTHING: True when this call added the row, which one call of all
        (threads, processes, machines) does; the others wait for its commit, then add nothing."""
        statement = self.insert(table).values(row).on_conflict_do_nothing()
        return connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount == 1

    def close(self) -> None:
        """Close every connection; the store cannot be used after."""
        self._closed = True
        self.engine.dispose()

    def _connect(self) -> Connection:
        if self._closed:
            raise ResourceClosedError("this store was closed")
        return self.engine.connect()


def _postgresql_engine(url: URL) -> Engine:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"{STORE_URL_VARIABLE} trỏ tới PostgreSQL nhưng chưa cài psycopg: "
            "pip install 'khuyencong-assistant[postgres]'. "
            f"{STORE_URL_VARIABLE} names PostgreSQL but psycopg is not installed."
        ) from None
    return create_engine(url, pool_pre_ping=True, json_serializer=_json)


class _FileWriters:
    """The queue of the writers of one SQLite file: a lock for this process's threads, then an exclusive
    `flock` of `<file>.writers` for the processes (every `serve` worker, the CLI). A writer that waits
    for another process sleeps in the kernel and wakes as soon as the file is free, instead of in
    SQLite's busy handler, which sleeps up to 100 ms a try while the other process holds the file
    (with 2 workers under load: p99 1-2.7 s, eval/RESULTS.md). BEGIN IMMEDIATE still keeps out a
    process that does not queue here (an older version); without `fcntl` only the thread lock is taken."""

    def __init__(self, database: Path) -> None:
        self._threads = threading.Lock()
        self._path = database.with_name(database.name + ".writers")
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._threads.acquire()
        if fcntl is None:
            return
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        except OSError:  # a read-only folder: SQLite's own lock (BEGIN IMMEDIATE) still serialises
            pass
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        try:
            if fcntl is not None and self._fd is not None:
                with suppress(OSError):
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


_FILE_WRITERS: dict[str, _FileWriters] = {}
_FILE_WRITERS_LOCK = threading.Lock()


def _writers_of(url: URL) -> AbstractContextManager[object]:
    """What the writers of one SQLite file queue on (`_FileWriters`), shared by every `Database` over the
    file in this process (the feedback store, the rate limits, the conversations). Without it they wait
    for each other in SQLite's busy handler, which sleeps up to 100 ms a try (p95 985 -> 2,400 ms at 32
    clients, eval/RESULTS.md)."""
    if not url.database:
        return nullcontext()  # an in-memory database is one connection, which its user serialises
    path = Path(url.database).resolve()
    with _FILE_WRITERS_LOCK:
        return _FILE_WRITERS.setdefault(str(path), _FileWriters(path))


def _sqlite_engine(url: URL, durable: bool) -> Engine:
    """SQLite with SQLAlchemy emitting BEGIN itself (sqlite3's own handling skips it before reads and
    cannot say IMMEDIATE), WAL for files; an in-memory database is one connection, which its user
    (the rate limiter) takes under its own lock."""
    memory = not url.database
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=StaticPool if memory else None,
        json_serializer=_json,
    )

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below), sqlite3 nothing
        if not memory:
            _wal(dbapi_connection)
            dbapi_connection.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def _wal(dbapi_connection: sqlite3.Connection) -> None:
    """Switch a file to WAL (once: the mode stays in the file). The switch does not wait for a lock as
    statements do: a new file opened by several processes at once is retried here, for up to 30 s."""
    deadline = time.monotonic() + 30
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


_json = partial(json.dumps, ensure_ascii=False)
