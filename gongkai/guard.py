"""How a command ends: a short message for every mistake, 130/143 for Ctrl-C and SIGTERM, and one line
pointing at a log file for a bug, never a traceback on the terminal.

Exit codes: 0 done, 1 the run failed, 2 the command line (or what it names) is wrong, 128 + N stopped by
signal N.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USAGE, FAILED = 2, 1


class UsageError(Exception):
    """The command line, or a file or folder it names, is wrong: the message says what to do."""


class RunFailed(Exception):
    """The command ran and did not succeed: the message says why."""


class Stopped(BaseException):  # not an Exception: no `except Exception` on the way up may swallow it
    """A SIGTERM or Ctrl-C arrived: the command unwinds (workers stop, transactions roll back)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_wakeup: int | None = None  # read end of the pipe Python writes each signal's number to


def _on_signal(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second signal must not cut the clean-up short
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise Stopped(signum)


@contextmanager
def stop_handlers() -> Iterator[None]:
    """While a command runs, SIGTERM and Ctrl-C raise `Stopped` in the main thread; then the handlers
    before are back. Dagster replaces these handlers while a run goes on (it stops the run itself); the
    signals' numbers still reach a pipe, so `stop_signal` can tell afterwards which one stopped it."""
    global _wakeup
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (a command called from a thread keeps its caller's)
        return
    before = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    old_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    _wakeup = read
    try:
        for sig in _STOP_SIGNALS:
            signal.signal(sig, _on_signal)
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        signal.set_wakeup_fd(old_fd)
        _wakeup = None
        os.close(read)
        os.close(write)


def stop_signal() -> int | None:
    """The stop signal received since the handlers were installed (SIGTERM before SIGINT), or None."""
    if _wakeup is None:
        return None
    try:
        got = os.read(_wakeup, 4096)
    except BlockingIOError:
        return None
    found = [sig for sig in _STOP_SIGNALS if int(sig) in got]
    return int(found[0]) if found else None


def log_dir(root: Path | None) -> Path:
    """DATA_DIR/logs, or the system's temporary folder when the data dir cannot hold it."""
    for where in ([root / "logs"] if root is not None else []) + [Path(tempfile.gettempdir()) / "gongkai-logs"]:
        try:
            where.mkdir(parents=True, exist_ok=True)
            return where
        except (OSError, ValueError):
            continue
    return Path(tempfile.gettempdir())


def write_log(root: Path | None, name: str, text: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = log_dir(root) / f"{name}-{stamp}-{os.getpid()}.log"
    path.write_text(text, encoding="utf-8", errors="backslashreplace")
    return path


def internal_error(exc: BaseException, root: Path | None, argv: list[str]) -> str:
    """One line for a bug: what it was and where its full trace is kept."""
    trace = "".join(traceback.format_exception(exc))
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    try:
        where = write_log(root, "error", f"gongkai {' '.join(argv)}\n\n{trace}")
    except OSError:
        return f"internal error ({type(exc).__name__}: {first}); please report it (no log file could be written)"
    return f"internal error ({type(exc).__name__}: {first}); please report it with its full trace: {where}"


def robust_streams() -> None:
    """Output that cannot fail on what it prints: a name with bytes that are not UTF-8 prints escaped."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
