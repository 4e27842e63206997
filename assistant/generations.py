"""The index folder's generations: which one is live, the build lock, and transactions over both.

Layout under the index directory::

    CURRENT              name of the live generation (replaced atomically)
    gen-<stamp>/         one generation (see indexing.py)
    .tmp-gen-<stamp>/    a generation being written, renamed to gen-<stamp> when complete
    .lock, .building     the build lock (flock) and the marker that a build holds it
    .journal/            the write-ahead journal of an add/remove under way (see `Journal`)

Only the holder of the build lock writes generations. `index_transaction` takes the lock once per
thread (nested uses join the outermost) and, being the only writer, first removes what killed
builds left behind. When the outermost holder lets go normally, the work is kept and deferred
clean-up runs (a signal meanwhile waits for it, then raises `StoppedAfterCommit`); on an exception
before that (Ctrl+C and SIGTERM included) a transaction opened with `rollback=True` puts CURRENT
back to the generation that was live when it took the lock and removes everything made since.
Readers that must not overlap a build (opening an embedded Chroma store) use `between_builds`.

Signals can be caught; `kill -9` (or a power cut) cannot. So a transaction opened with
`rollback=True` keeps a `Journal` on disk from the moment it holds the lock: the generation that was
live, and a copy of every corpus file taken before the file is changed, each written and fsynced
before the change it allows to undo. The journal is marked committed once the work is kept, and
removed when the clean-up is done. Whoever next takes the lock (any build, add or remove) or finds
it free (`recover_interrupted`: a server at start or when CURRENT changes, `ask`, `list`) and sees a
journal knows its process died: an open one is undone (corpus files put back, CURRENT back to the
previous generation, newer generations removed), a committed one is finished (older generations
removed); either way the vector side is then settled to the generation kept, and the journal goes.
Recovery is idempotent: killed in turn, it is redone by the next one.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .interrupts import StoppedAfterCommit, pause_point, signals_deferred, signals_noted, sigterm_raises

__all__ = [
    "CURRENT_FILE",
    "JOURNAL_DIR",
    "IndexTransaction",
    "Journal",
    "Settle",
    "between_builds",
    "current_generation",
    "index_transaction",
    "recover_interrupted",
    "write_atomic",
]

log = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
TEMPORARY_PREFIX = ".tmp-"
JOURNAL_DIR = ".journal"
JOURNAL_FILE = "journal.json"
# Brings the vector side of an index folder to a generation (None: no index), given the journal's context.
Settle = Callable[[Path, dict[str, Any], str | None], None]


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


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_durably(path: Path, data: bytes) -> None:
    """Write `path` whole (a reader sees the old file or the new) and on disk before returning."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_folder(path.parent)


class Journal:
    """The write-ahead record of one add/remove in `<index>/.journal/` (see the module notes).

    `journal.json` holds `state` ("open", then "committed"), `previous` (the generation live when
    the lock was taken), `context` (what settling the vectors needs: embedding, Chroma URL) and
    `files`: each corpus file the transaction changes, with the copy of what it held before (or
    null: it did not exist). Only the holder of the build lock reads or writes it.
    """

    def __init__(self, folder: Path, record: dict[str, Any]) -> None:
        self.folder = folder
        self.record = record

    @classmethod
    def begin(cls, index_dir: Path, previous: str | None, context: dict[str, Any]) -> Journal:
        """Start the journal of a transaction that has just taken the lock."""
        folder = index_dir / JOURNAL_DIR
        shutil.rmtree(folder, ignore_errors=True)  # a journal never begun whole: nothing was changed under it
        folder.mkdir(parents=True)
        journal = cls(folder, {"state": "open", "previous": previous, "context": context, "files": []})
        journal._save()
        return journal

    @classmethod
    def pending(cls, index_dir: Path) -> Journal | None:
        """The journal a dead process left (only the lock holder may ask), or None."""
        folder = index_dir / JOURNAL_DIR
        try:
            record = json.loads((folder / JOURNAL_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            shutil.rmtree(folder, ignore_errors=True)  # killed while beginning: nothing to undo
            return None
        return cls(folder, record)

    @property
    def committed(self) -> bool:
        """True once the work was kept (only its clean-up may be missing)."""
        return bool(self.record["state"] == "committed")

    def keep(self, path: Path) -> None:
        """Before `path` changes: record durably what it holds now (the first time it is named)."""
        path = path.resolve()
        files: list[dict[str, Any]] = self.record["files"]
        if any(entry["path"] == str(path) for entry in files):
            return
        copy = None
        if path.is_file():
            copy = f"{len(files)}.bak"
            _write_durably(self.folder / copy, path.read_bytes())
        files.append({"path": str(path), "copy": copy})
        self._save()

    def commit(self) -> None:
        """The work is kept: from now on recovery finishes it instead of undoing it."""
        self.record["state"] = "committed"
        self._save()

    def restore_files(self) -> None:
        """Every file named back as it was before the transaction (a half-written temporary removed too)."""
        for entry in reversed(self.record["files"]):
            path = Path(entry["path"])
            path.with_name(f".{path.name}.tmp").unlink(missing_ok=True)
            if entry["copy"] is None:
                path.unlink(missing_ok=True)
            else:
                _write_durably(path, (self.folder / entry["copy"]).read_bytes())

    def close(self) -> None:
        """Remove the journal: the transaction is over, kept or undone."""
        (self.folder / JOURNAL_FILE).unlink(missing_ok=True)
        _fsync_folder(self.folder.parent)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _save(self) -> None:
        _write_durably(self.folder / JOURNAL_FILE, json.dumps(self.record, ensure_ascii=False).encode("utf-8"))


def _recover(index_dir: Path, settle: Settle | None) -> bool:
    """Undo (open) or finish (committed) the transaction of a process that died holding the lock."""
    journal = Journal.pending(index_dir)
    if journal is None:
        return False
    if journal.committed:
        keep = current_generation(index_dir)
    else:
        journal.restore_files()
        pause_point("recovering")
        keep = journal.record["previous"]
        _point_current_at(index_dir, keep)
    _remove_leftovers(index_dir, keep)
    if settle is not None:
        settle(index_dir, journal.record["context"], keep)
    journal.close()
    log.warning(
        "an interrupted corpus transaction was %s (generation %s)",
        "finished" if journal.committed else "undone",
        keep,
    )
    return True


def recover_interrupted(index_dir: Path, settle: Settle | None = None) -> bool:
    """Recover a transaction whose process died, if there is one and no build runs; True when one was."""
    if not (index_dir / JOURNAL_DIR / JOURNAL_FILE).exists():
        return False
    try:
        with _build_lock(index_dir, wait=False) as held:
            return held and _recover(index_dir, settle)
    except OSError:  # a reader must go on (a read-only index folder, a full disk): the next writer recovers
        log.warning("could not recover the interrupted transaction in %s", index_dir, exc_info=True)
        return False


@dataclass
class IndexTransaction:
    """The build lock as this thread holds it: what to finish when it is let go, or to undo on failure."""

    index_dir: Path
    previous: str | None  # live when the lock was taken
    rollback: bool
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    on_rollback: list[Callable[[], None]] = field(default_factory=list)
    journal: Journal | None = None  # with `rollback`

    def keep(self, path: Path) -> None:
        """Call before changing a corpus file: an undo (here or after this process died) puts it back."""
        if self.journal is None:
            raise RuntimeError("only a transaction opened with rollback=True can undo file changes")
        self.journal.keep(path)

    def commit(self) -> None:
        """The work is kept; then the clean-up that waited for it: old generations, the deferred steps."""
        if self.journal is not None:
            self.journal.commit()
            pause_point("committed")
        _remove_leftovers(self.index_dir, current_generation(self.index_dir))
        _run_all(self.on_commit)
        if self.journal is not None:
            self.journal.close()

    def undo(self) -> None:
        """With `rollback`: files and CURRENT back as they were, newer generations removed, then the undo steps."""
        if not self.rollback:
            return
        if self.journal is not None:
            self.journal.restore_files()
        _point_current_at(self.index_dir, self.previous)
        _remove_leftovers(self.index_dir, self.previous)
        _run_all(reversed(self.on_rollback))
        if self.journal is not None:
            self.journal.close()


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
def index_transaction(
    index_dir: Path, rollback: bool = False, settle: Settle | None = None, context: dict[str, Any] | None = None
) -> Iterator[IndexTransaction]:
    """Hold the build lock of `index_dir` (see the module notes); `rollback` is the outermost holder's choice.

    `settle` brings the vector side to a generation after a dead process's transaction is recovered
    (None: the next build does); `context` is what a settle of this transaction's vectors would need.
    """
    key = index_dir.resolve()
    held = _held_here()
    if key in held:
        yield held[key]
        return
    with sigterm_raises(), _build_lock(index_dir):
        with signals_deferred():
            _recover(index_dir, settle)  # a transaction whose process was killed: undone or finished first
        transaction = IndexTransaction(index_dir, current_generation(index_dir), rollback)
        _remove_leftovers(index_dir, transaction.previous)  # left by builds that were killed
        if rollback:
            transaction.journal = Journal.begin(index_dir, transaction.previous, context or {})
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
def _build_lock(index_dir: Path, wait: bool = True) -> Iterator[bool]:
    """Hold the build lock inside (True); with `wait=False`, False at once when another process holds it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        marker = index_dir / ".building"
        marker.touch()
        try:
            yield True
        finally:
            marker.unlink(missing_ok=True)
            fcntl.flock(handle, fcntl.LOCK_UN)
