"""Reports parsed in worker processes: one per core, each task alone in its worker's hands.

A worker that dies (a parser crash, the memory limit) or overruns the time limit costs only the task it
held: that task comes back as a `Crash` with the reason, the worker is replaced, and the batch goes on.
Results come back in the order the tasks were given, so loading stays deterministic. A worker never
outlives its parent, and holds none of its files (`_detach`).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import signal
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from pipeline.extract.external import die_with_parent

DEFAULT_TIME_LIMIT = 120.0  # seconds for one report: a 500-page PDF takes well under this
DEFAULT_MEMORY_LIMIT = 3 << 30  # bytes of address space a worker may add: a zip bomb stops here, not the machine


@dataclass(frozen=True)
class Crash:
    """A task whose worker did not return: why, in words."""

    reason: str


@dataclass(frozen=True)
class Limits:
    seconds: float | None = DEFAULT_TIME_LIMIT
    memory_bytes: int | None = DEFAULT_MEMORY_LIMIT


def worker_count() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


# Tasks queued in each worker, so that it never waits while the parent loads what came back (a load
# of a chunk takes a few hundred ms): PREFETCH until tasks have been timed, then enough for
# PREFETCH_SECONDS of work, at most MAX_PREFETCH (a few KB of task messages, far below a pipe's buffer).
PREFETCH, PREFETCH_SECONDS, MAX_PREFETCH = 8, 0.5, 128


_extend: Callable[[float], None] | None = None  # in a worker, while a task runs: gives it more time


def grant(seconds: float) -> None:
    """More time for the task running in this worker: work whose length shows as it goes (OCR, page by
    page) asks for it. Outside a worker, or without a time limit, nothing."""
    if _extend is not None:
        _extend(seconds)


def _extender(conn: Connection) -> Callable[[float], None]:
    def extend(seconds: float) -> None:
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        if left > 0:
            signal.setitimer(signal.ITIMER_REAL, left + seconds)
            conn.send(("extend", seconds, None))  # the parent moves its backstop as far
    return extend


class _TimeUp(BaseException):  # not an Exception: a task's own `except Exception` must not swallow it
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _TimeUp


def _detach(parent_pid: int, keep: int) -> None:
    """A new worker's first act: die with its parent, leave signals to it, and hold none of its files.

    The parent-death signal is the kernel's, so it fires even when the parent is killed with SIGKILL.
    Files: forked from a run that holds the writer lock (an `flock`, kept while any process holds the
    file) and the warehouse, a worker would keep both for as long as it lived. Each regular file it
    inherited is pointed at /dev/null instead (not closed: the number stays taken, so nothing the
    parent's objects still name can be reused for a file the worker opens)."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole terminal group: the parent stops the run
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by the fork
    try:
        signal.set_wakeup_fd(-1)  # the parent's signal pipe is the parent's
    except ValueError:
        pass
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd in (0, 1, 2, keep, null):
                continue
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
            except OSError:  # the listing's own descriptor, gone already
                pass
    except FileNotFoundError:  # no /proc: nothing to release this way
        pass
    finally:
        os.close(null)


def _serve(fn: Callable[..., Any], conn: Connection, limits: Limits, warm: Callable[[], None] | None,
           parent_pid: int) -> None:
    _detach(parent_pid, conn.fileno())
    if limits.memory_bytes:
        # on top of what the worker already maps (forked from a large parent, it inherits all of it)
        cap = _address_space() + limits.memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGALRM, _alarm)
    if warm is not None:
        try:
            warm()  # while the parent still prepares the first tasks
        except Exception:  # noqa: BLE001  (a task that needs it will say why)
            pass
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        index, args = task
        conn.send(("start", index, None))  # the task's clock starts now, not when it was queued
        global _extend
        _extend = _extender(conn) if limits.seconds else None
        try:
            if limits.seconds:  # the worker stops its own task; the parent kills it if that fails (C code)
                signal.setitimer(signal.ITIMER_REAL, limits.seconds)
            result = fn(*args)
            signal.setitimer(signal.ITIMER_REAL, 0)
            conn.send((index, result, None))
        except _TimeUp:
            conn.send((index, None, f"took longer than the {limits.seconds:.0f} s limit"))
        except MemoryError:
            signal.setitimer(signal.ITIMER_REAL, 0)
            conn.send((index, None, "ran out of memory (the worker's limit)"))
        except Exception as exc:  # noqa: BLE001  (the task's own error, reported as its crash)
            signal.setitimer(signal.ITIMER_REAL, 0)
            conn.send((index, None, f"{type(exc).__name__}: {exc}"))


def _address_space() -> int:
    """Bytes of address space this process maps now (0 where /proc does not say)."""
    try:
        pages = int(open("/proc/self/statm").read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


class Helper:
    """One forked process that runs `fn` for calls made one at a time, from any thread: like the pool's
    workers it dies with its parent (even by SIGKILL) and holds none of its files (a helper left
    holding the writer lock would lock out every later run). A call whose helper died raises
    `HelperDied`, and the next call starts a new one."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self._lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_help, args=(self.fn, child, os.getpid()), daemon=True)
        self.process.start()
        child.close()

    def __call__(self, *args: Any) -> Any:
        with self._lock:
            try:
                self.conn.send(args)
                ok, value = self.conn.recv()
            except (EOFError, OSError) as exc:
                self.process.join(1)
                code = self.process.exitcode
                self._start()
                raise HelperDied(f"the helper process died (exit {code})") from exc
        if not ok:
            raise value
        return value

    def close(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class HelperDied(RuntimeError):
    pass


def _help(fn: Callable[..., Any], conn: Connection, parent_pid: int) -> None:
    _detach(parent_pid, conn.fileno())
    while True:
        try:
            args = conn.recv()
        except EOFError:
            return
        if args is None:
            return
        try:
            conn.send((True, fn(*args)))
        except Exception as exc:  # noqa: BLE001  (the caller raises it)
            conn.send((False, exc))


class _Worker:
    def __init__(self, ctx: mp.context.BaseContext, fn: Callable[..., Any], limits: Limits,
                 warm: Callable[[], None] | None = None) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(fn, child, limits, warm, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self.queue: deque[tuple[int, tuple]] = deque()  # given, not yet answered; the head is running
        self.started: float | None = None  # when the head task started (None: not yet)
        self.took: float | None = None  # seconds the last task took

    def give(self, index: int, args: tuple) -> None:
        self.queue.append((index, args))
        self.conn.send((index, args))

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def run_tasks(fn: Callable[..., Any], tasks: Iterable[tuple], processes: int | None = None,
              limits: Limits | None = None, warm: Callable[[], None] | None = None) -> Iterator[tuple[int, Any]]:
    """(index, fn(*task) or Crash) for every task, in the tasks' order.

    `fn` must be importable (a module-level function); workers are forked, so what the parent imported
    before is shared, not loaded again. `warm` runs once in each new worker, before its first task,
    while the caller may still be preparing the tasks (read lazily). Each worker holds about
    PREFETCH_SECONDS of queued tasks; a worker that dies takes only the task it was running, the rest go
    to its replacement.
    """
    if mp.current_process().daemon:
        # inside a daemonic process (a celery prefork child) no children may be started: run here,
        # each task's exceptions still its own (time and memory are then the host process's limits)
        yield from _inline(fn, enumerate(tasks))
        return
    limits = limits or Limits()
    ctx = mp.get_context("fork")
    workers = [_Worker(ctx, fn, limits, warm) for _ in range(processes or worker_count())]
    source = enumerate(tasks)
    pending: deque[tuple[int, tuple]] = deque()  # tasks to give again (their worker died before them)
    done: dict[int, Any] = {}
    given = 0
    next_out = 0
    per_task: float | None = None  # seconds a task takes, on average (moving)

    def top_up(worker: _Worker, depth: int) -> int:
        added = 0
        while len(worker.queue) < depth:
            task = pending.popleft() if pending else next(source, None)
            if task is None:
                break
            worker.give(*task)
            added += 1
        return added

    try:
        for depth in range(1, PREFETCH + 1):  # in turns: a small batch is shared, not all given to the first
            given += sum(top_up(worker, depth) for worker in workers)
        if given == 0:
            return
        while next_out < given:
            busy = [w for w in workers if w.queue]
            if not busy:
                break
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], _time_left(busy, limits))
            for i, worker in enumerate(workers):
                if not worker.queue:
                    continue
                replace = _collect(worker, ready, limits, done)
                if worker.took is not None:
                    per_task = worker.took if per_task is None else 0.9 * per_task + 0.1 * worker.took
                    worker.took = None
                if replace:
                    pending.extendleft(reversed(worker.queue))  # not started: given again, in order
                    worker.queue.clear()
                    worker.stop(kill=True)
                    worker = workers[i] = _Worker(ctx, fn, limits, warm)
                depth = PREFETCH if per_task is None else int(PREFETCH_SECONDS / max(per_task, 1e-4))
                given += top_up(worker, max(2, min(MAX_PREFETCH, depth)))
            while next_out in done:
                yield next_out, done.pop(next_out)
                next_out += 1
    finally:
        for worker in workers:  # with nothing given, a worker may still be warming up: nothing to wait for
            worker.stop(kill=bool(worker.queue) or given == 0)


def _inline(fn: Callable[..., Any], queue: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, Any]]:
    for index, args in queue:
        try:
            yield index, fn(*args)
        except Exception as exc:  # noqa: BLE001
            yield index, Crash(f"{type(exc).__name__}: {exc}")


def _time_left(busy: list[_Worker], limits: Limits) -> float | None:
    """Until the first running task's backstop: its limit, plus a grace for the worker's own alarm."""
    running = [w.started for w in busy if w.started is not None]
    if not limits.seconds or not running:
        return None if limits.seconds is None or not busy else 1.0
    return max(0.0, min(running) + limits.seconds + KILL_GRACE - time.monotonic()) + 0.01


KILL_GRACE = 5.0  # seconds past its limit a task is given to stop itself before its worker is killed


def _collect(worker: _Worker, ready: list, limits: Limits, done: dict[int, Any]) -> bool:
    """Take what the worker has sent; True when it must be replaced (it died, ran out of memory, or
    overran its limit without stopping), its head task then recorded as a Crash."""
    while worker.queue and worker.conn in ready:
        try:
            if not worker.conn.poll():
                break
            got, value, error = worker.conn.recv()
        except (EOFError, OSError):
            break  # it died while sending: reported below
        if got == "start":
            worker.started = time.monotonic()
            continue
        if got == "extend":
            if worker.started is not None:
                worker.started += value  # the seconds granted
            continue
        worker.queue.popleft()
        if worker.started is not None:
            worker.took = time.monotonic() - worker.started
        worker.started = None
        done[got] = Crash(error) if error else value
        if error and "memory" in error:
            return True
    if not worker.queue:
        return False
    index = worker.queue[0][0]
    if worker.process.sentinel in ready or not worker.process.is_alive():
        worker.process.join(timeout=1)
        code = worker.process.exitcode
        signal_note = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        worker.queue.popleft()
        done[index] = Crash(f"the worker died ({signal_note})")
        return True
    if limits.seconds and worker.started is not None and \
            time.monotonic() - worker.started > limits.seconds + KILL_GRACE:
        worker.queue.popleft()
        done[index] = Crash(f"took longer than the {limits.seconds:.0f} s limit")
        return True
    return False
