"""Signals during work that must finish or be undone: SIGTERM as an exception, signals held during a rollback.

Python turns SIGINT (Ctrl+C) into `KeyboardInterrupt`, so `finally` blocks and rollbacks run;
SIGTERM's default action ends the process on the spot. `sigterm_raises` makes SIGTERM raise
`Terminated` instead while an index build or a corpus transaction runs, and `signals_deferred`
keeps both signals from cutting a rollback short (they are delivered when it is done).
Once a transaction is kept, its last clean-up runs under `signals_noted`, and a signal noted then
becomes `StoppedAfterCommit`: the caller can say truthfully that the change was made.
Handlers can only be set in the main thread; elsewhere (a server's worker threads) both are no-ops.

`pause_point(name)` marks a step where tests stop a real process on purpose: with
KHUYENCONG_PAUSE_AT=<name>:<marker file> the process writes its pid to the marker and waits there
(for a signal, SIGKILL included); unset, as always outside tests, it does nothing.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = [
    "INTERRUPTIONS",
    "StoppedAfterCommit",
    "Terminated",
    "exit_code",
    "pause_point",
    "signals_deferred",
    "signals_noted",
    "sigterm_raises",
]


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, like KeyboardInterrupt: `except Exception` does not swallow it)."""


class StoppedAfterCommit(BaseException):
    """SIGINT or SIGTERM arrived once the work was kept, during its last clean-up (which was finished)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


INTERRUPTIONS = (KeyboardInterrupt, Terminated, StoppedAfterCommit)


def exit_code(interruption: BaseException) -> int:
    """The shell's code for a process ended by this signal: 130 for Ctrl+C, 143 for SIGTERM."""
    if isinstance(interruption, StoppedAfterCommit):
        return 128 + interruption.signum
    return 128 + (signal.SIGTERM if isinstance(interruption, Terminated) else signal.SIGINT)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _restore(signum: int, handler: Any) -> None:
    signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While inside, SIGTERM raises `Terminated` in the main thread (as Ctrl+C raises KeyboardInterrupt)."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        _restore(signal.SIGTERM, previous)


@contextmanager
def signals_noted() -> Iterator[list[int]]:
    """While inside, SIGINT and SIGTERM are only noted, in the list this yields (in the main thread)."""
    caught: list[int] = []
    if not _in_main_thread():
        yield caught
        return

    def note(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = {signum: signal.signal(signum, note) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            _restore(signum, handler)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM wait; the first one is raised again on the way out."""
    with signals_noted() as caught:
        yield
    if caught:
        signal.raise_signal(caught[0])  # handled now as it would have been then


PAUSE_VARIABLE = "KHUYENCONG_PAUSE_AT"


def pause_point(name: str) -> None:
    """Wait here for good when KHUYENCONG_PAUSE_AT names this step (see the module notes)."""
    step, _, marker = os.environ.get(PAUSE_VARIABLE, "").partition(":")
    if step != name or not marker:
        return
    with open(marker, "w", encoding="utf-8") as handle:
        handle.write(str(os.getpid()))
    while True:
        time.sleep(0.05)
