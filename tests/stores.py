"""The stores' two backends for the tests: a SQLite file, and a real PostgreSQL server started here.

`PostgresServer.start()` runs Debian's PostgreSQL binaries (`initdb`, `pg_ctl`, `postgres`, from
/usr/local/bin or /usr/lib/postgresql/*/bin): initdb into a temporary folder, the server on a free
127.0.0.1 port with its unix socket in that folder, fsync off (a test database need not survive a
crash). initdb refuses to run as root: as root the server runs as an unprivileged user (`postgres`
when there is one, else `nobody`), in a folder that user owns. Where it cannot start, `Unavailable`
says why, and the PostgreSQL half of each test is skipped with that reason.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from processes import free_port
from sqlalchemy import create_engine, text

from assistant.store import Location, engine_url

BINARIES = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "kc"
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections


class Unavailable(Exception):
    """PostgreSQL cannot be started here; the message says why."""


def _bin_dir() -> Path:
    candidates = [Path("/usr/local/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]
    for folder in candidates:
        if all(os.access(folder / name, os.X_OK) for name in BINARIES):
            return folder
    raise Unavailable(
        "PostgreSQL binaries (initdb, pg_ctl, postgres) not found in /usr/local/bin or /usr/lib/postgresql/*/bin: "
        "install Debian's `postgresql` package (.ci/run does, as root)"
    )


def _server_user() -> pwd.struct_passwd | None:
    """The user the server runs as: None (ourselves) unless we are root, whom initdb refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise Unavailable("running as root, and there is neither a `postgres` nor a `nobody` user to run initdb as")


class PostgresServer:
    """One PostgreSQL server in a temporary folder; `database()` makes a fresh empty database in it."""

    def __init__(self) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise Unavailable("psycopg is not installed (the [postgres] extra, part of [dev])") from None
        self.bin = _bin_dir()
        self.user = _server_user()
        self.root = Path(tempfile.mkdtemp(prefix="kc-postgres-"))
        self.port = free_port()
        self._names = itertools.count(1)
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"

    @classmethod
    def start(cls) -> PostgresServer:
        """initdb, then pg_ctl start; raises `Unavailable` (with the server's words) when either fails."""
        server = cls()
        try:
            server._run(
                "initdb", "-D", server.data, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"
            )
            options = f"-p {server.port} -k {server.root} -h 127.0.0.1 -c fsync=off -c max_connections=300"
            server._run(
                "pg_ctl", "-D", server.data, "-l", server.log, "-o", options, "-t", str(START_TIMEOUT), "-w", "start"
            )
        except Unavailable:
            server.stop()
            raise
        return server

    def _run(self, program: str, *args: Any) -> None:
        kwargs: dict[str, Any] = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        env = {**os.environ, "HOME": str(self.root), "LC_ALL": "C"}
        try:
            done = subprocess.run(
                [str(self.bin / program), *map(str, args)],
                cwd=self.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=START_TIMEOUT + 30,
                check=False,
                **kwargs,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise Unavailable(f"{program} could not run: {error}") from None
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise Unavailable(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]} {log}".strip())

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """The URL of a new, empty database (one per test: no test sees another's rows)."""
        name = f"test_{next(self._names)}"
        engine = create_engine(engine_url(self.url("postgres")), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
        finally:
            engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        """pg_ctl stop (fast: open connections are closed; SIGQUIT, PostgreSQL's immediate shutdown, when
        pg_ctl fails), then the folder goes."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            try:
                self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
            except Unavailable:
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
        shutil.rmtree(self.root, ignore_errors=True)


def rows(location: Location, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query against a store, read on a connection of its own (as another process would)."""
    engine = create_engine(engine_url(location))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()
