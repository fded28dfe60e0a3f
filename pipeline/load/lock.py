"""One writer at a time: a lock file beside the build warehouse.

Two writers that meet (two `gongkai ingest`, an ingest during `gongkai run`) take turns: the second
says who holds the warehouse and waits, up to `GONGKAI_LOCK_TIMEOUT` seconds (default one hour), then
stops with a clear error; it never writes over the first. The lock is an `flock` on the file, so it is
released by the kernel when its holder dies (a SIGKILL leaves no stale lock behind).

Re-entrant: a process that holds it may take it again (a `gongkai run` holds it for the whole run, and
each asset takes it again), and so may the processes it starts (a step of a multiprocess executor),
which inherit the holder's token in the environment.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = Path("warehouse") / ".build" / "writer.lock"
TOKEN_ENV = "GONGKAI_WRITER_TOKEN"
TIMEOUT_ENV = "GONGKAI_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 3600.0
POLL_SECONDS = 0.2

_held: dict[Path, int] = {}  # lock path -> depth, in this process


class LockTimeout(RuntimeError):
    """Another writer kept the warehouse longer than this one would wait."""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def holder(path: Path) -> dict:
    """Who holds (or last held) the lock, as its holder wrote it: pid, command, since, token."""
    try:
        return json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


@contextmanager
def writer_lock(root: Path, timeout: float | None = None, say: Callable[[str], None] = _say) -> Iterator[None]:
    """Hold the warehouse of `root` for writing; wait for another writer to finish, saying so once."""
    path = (root / LOCK_FILE).resolve()
    if _held.get(path):
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        inherited = _acquire(fd, path, _timeout(timeout), say)
        if not inherited:
            token = uuid.uuid4().hex
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": " ".join(sys.argv[:3]),
                                      "since": time.strftime("%Y-%m-%d %H:%M:%S"), "token": token}).encode(), 0)
            previous = os.environ.get(TOKEN_ENV)
            os.environ[TOKEN_ENV] = token  # for the processes this writer starts
        _held[path] = 1
        try:
            yield
        finally:
            del _held[path]
            if not inherited:
                if previous is None:
                    os.environ.pop(TOKEN_ENV, None)
                else:
                    os.environ[TOKEN_ENV] = previous
    finally:
        os.close(fd)  # releases the flock


def _timeout(given: float | None) -> float:
    if given is not None:
        return given
    try:
        return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def _acquire(fd: int, path: Path, timeout: float, say: Callable[[str], None]) -> bool:
    """Take the lock; True when it is our parent's (this process runs inside its holder's run)."""
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            pass
        owner = holder(path)
        if owner.get("token") and owner.get("token") == os.environ.get(TOKEN_ENV):
            return True
        who = f"pid {owner.get('pid', '?')} ({owner.get('command', '?')}, since {owner.get('since', '?')})"
        if time.monotonic() >= deadline:
            raise LockTimeout(f"the warehouse at {path.parents[2]} is being written by {who}; gave up after "
                              f"{timeout:.0f} s. Try again when it has finished (or raise {TIMEOUT_ENV}).")
        if not told:
            say(f"waiting: the warehouse is being written by {who}; this run goes on when it has finished")
            told = True
        time.sleep(POLL_SECONDS)
