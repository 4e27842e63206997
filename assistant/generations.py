"""The index folder's generations: which one is live, the build lock, and transactions over both.

Layout under the index directory::

    CURRENT              name of the live generation (replaced atomically)
    gen-<stamp>/         one generation (see indexing.py)
    .tmp-gen-<stamp>/    a generation being written, renamed to gen-<stamp> when complete
    .lock, .building     the build lock (flock) and the marker that a build holds it

Only the holder of the build lock writes generations. `index_transaction` takes the lock once per
thread (nested uses join the outermost) and, being the only writer, first removes what killed
builds left behind. When the outermost holder lets go normally, the work is kept and deferred
clean-up runs (a signal meanwhile waits for it, then raises `StoppedAfterCommit`); on an exception
before that (Ctrl+C and SIGTERM included) a transaction opened with `rollback=True` puts CURRENT
back to the generation that was live when it took the lock and removes everything made since.
Readers that must not overlap a build (opening an embedded Chroma store) use `between_builds`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .interrupts import StoppedAfterCommit, signals_deferred, signals_noted, sigterm_raises

__all__ = [
    "CURRENT_FILE",
    "IndexTransaction",
    "between_builds",
    "current_generation",
    "index_transaction",
    "write_atomic",
]

log = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
TEMPORARY_PREFIX = ".tmp-"


def current_generation(index_dir: Path) -> str | None:
    """Name of the live generation, or None when no index has been built."""
    try:
        name = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name or None


def write_atomic(path: Path, content: str) -> None:
    """Write a file so that readers see the old content or the new, never part of it."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, path)


def _point_current_at(index_dir: Path, name: str | None) -> None:
    if name is None:
        (index_dir / CURRENT_FILE).unlink(missing_ok=True)
    elif current_generation(index_dir) != name:
        write_atomic(index_dir / CURRENT_FILE, name)


def _remove_leftovers(index_dir: Path, keep: str | None) -> None:
    """Every generation but `keep`, finished or temporary (only the lock holder may call this)."""
    for folder in [*index_dir.glob(f"{TEMPORARY_PREFIX}gen-*"), *index_dir.glob("gen-*")]:
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass
class IndexTransaction:
    """The build lock as this thread holds it: what to finish when it is let go, or to undo on failure."""

    index_dir: Path
    previous: str | None  # live when the lock was taken
    rollback: bool
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    on_rollback: list[Callable[[], None]] = field(default_factory=list)

    def commit(self) -> None:
        """Clean-up that may wait until the work is kept: old generations, then the deferred steps."""
        _remove_leftovers(self.index_dir, current_generation(self.index_dir))
        _run_all(self.on_commit)

    def undo(self) -> None:
        """With `rollback`: CURRENT back to the previous generation, newer ones removed, then the undo steps."""
        if not self.rollback:
            return
        _point_current_at(self.index_dir, self.previous)
        _remove_leftovers(self.index_dir, self.previous)
        _run_all(reversed(self.on_rollback))


def _run_all(steps: Iterable[Callable[[], None]]) -> None:
    """Every step, even when one fails: they tidy up, and the next build repairs what they could not."""
    for step in steps:
        try:
            step()
        except Exception:
            log.warning("index clean-up step failed; the next build repairs it", exc_info=True)


_held = threading.local()


def _held_here() -> dict[Path, IndexTransaction]:
    if not hasattr(_held, "by_folder"):
        _held.by_folder = {}
    return _held.by_folder  # type: ignore[no-any-return]


@contextmanager
def index_transaction(index_dir: Path, rollback: bool = False) -> Iterator[IndexTransaction]:
    """Hold the build lock of `index_dir` (see the module notes); `rollback` is the outermost holder's choice."""
    key = index_dir.resolve()
    held = _held_here()
    if key in held:
        yield held[key]
        return
    with sigterm_raises(), _build_lock(index_dir):
        transaction = IndexTransaction(index_dir, current_generation(index_dir), rollback)
        _remove_leftovers(index_dir, transaction.previous)  # left by builds that were killed
        held[key] = transaction
        try:
            yield transaction
        except BaseException:
            with signals_deferred():
                transaction.undo()
            raise
        else:
            with signals_noted() as caught:  # the work is kept: the clean-up is finished, whatever comes
                transaction.commit()
            if caught:
                raise StoppedAfterCommit(caught[0])
        finally:
            del held[key]


@contextmanager
def between_builds(index_dir: Path) -> Iterator[bool]:
    """True inside when no build holds the lock (none starts until the block ends); False, at once, when one does."""
    try:
        handle = open(index_dir / ".lock", "a")  # noqa: SIM115 - closed below, after the flock
    except OSError:
        yield False
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        marker = index_dir / ".building"
        marker.touch()
        try:
            yield
        finally:
            marker.unlink(missing_ok=True)
            fcntl.flock(handle, fcntl.LOCK_UN)
