"""Reports parsed in worker processes: one per core, each task alone in its worker's hands.

A worker that dies (a parser crash, the memory limit) or overruns the time limit costs only the task it
held: that task comes back as a `Crash` with the reason, the worker is replaced, and the batch goes on.
Results come back in the order the tasks were given, so loading stays deterministic.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

DEFAULT_TIME_LIMIT = 120.0  # seconds for one report: a 500-page PDF takes well under this
DEFAULT_MEMORY_LIMIT = 3 << 30  # bytes of address space per worker: a zip bomb stops here, not the machine


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


def _serve(fn: Callable[..., Any], conn: Connection, memory_bytes: int | None,
           warm: Callable[[], None] | None) -> None:
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
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
        try:
            conn.send((index, fn(*args), None))
        except MemoryError:
            conn.send((index, None, "ran out of memory (the worker's limit)"))
        except Exception as exc:  # noqa: BLE001  (the task's own error, reported as its crash)
            conn.send((index, None, f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, ctx: mp.context.BaseContext, fn: Callable[..., Any], limits: Limits,
                 warm: Callable[[], None] | None = None) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(fn, child, limits.memory_bytes, warm), daemon=True)
        self.process.start()
        child.close()
        self.task: int | None = None
        self.started = 0.0

    def give(self, index: int, args: tuple) -> None:
        self.task, self.started = index, time.monotonic()
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
    while the caller may still be preparing the tasks (read lazily).
    """
    if mp.current_process().daemon:
        # inside a daemonic process (a celery prefork child) no children may be started: run here,
        # each task's exceptions still its own (time and memory are then the host process's limits)
        yield from _inline(fn, enumerate(tasks))
        return
    limits = limits or Limits()
    ctx = mp.get_context("fork")
    workers = [_Worker(ctx, fn, limits, warm) for _ in range(processes or worker_count())]
    queue = enumerate(tasks)
    first = next(queue, None)
    if first is None:  # nothing came: the workers may still be warming up, nothing of theirs to keep
        for worker in workers:
            worker.stop(kill=True)
        return
    done: dict[int, Any] = {}
    given = 1
    next_out = 0
    try:
        workers[0].give(*first)
        for worker in workers[1:]:
            given += _give_next(worker, queue)
        while next_out < given:
            busy = [w for w in workers if w.task is not None]
            if not busy:
                break
            timeout = _time_left(busy, limits)
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
            for i, worker in enumerate(workers):
                if worker.task is None:
                    continue
                outcome = _collect(worker, ready, limits)
                if outcome is None:
                    continue
                index, value, replace = outcome
                done[index] = value
                if replace:
                    worker.stop(kill=True)
                    worker = workers[i] = _Worker(ctx, fn, limits, warm)
                worker.task = None
                given += _give_next(worker, queue)
            while next_out in done:
                yield next_out, done.pop(next_out)
                next_out += 1
    finally:
        for worker in workers:
            worker.stop(kill=worker.task is not None)


def _inline(fn: Callable[..., Any], queue: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, Any]]:
    for index, args in queue:
        try:
            yield index, fn(*args)
        except Exception as exc:  # noqa: BLE001
            yield index, Crash(f"{type(exc).__name__}: {exc}")


def _give_next(worker: _Worker, queue: Iterator[tuple[int, tuple]]) -> int:
    task = next(queue, None)
    if task is None:
        return 0
    worker.give(*task)
    return 1


def _time_left(busy: list[_Worker], limits: Limits) -> float | None:
    if not limits.seconds or not busy:
        return None
    return max(0.0, min(w.started + limits.seconds for w in busy) - time.monotonic()) + 0.01


def _collect(worker: _Worker, ready: list, limits: Limits) -> tuple[int, Any, bool] | None:
    """(index, result, replace the worker) when the worker's task has ended one way or another."""
    index = worker.task
    assert index is not None
    if worker.conn in ready:
        try:
            got, value, error = worker.conn.recv()
            return got, (Crash(error) if error else value), error is not None and "memory" in error
        except (EOFError, OSError):
            pass  # it died while sending: reported below
    if worker.conn in ready or worker.process.sentinel in ready or not worker.process.is_alive():
        worker.process.join(timeout=1)
        code = worker.process.exitcode
        signal_note = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return index, Crash(f"the worker died ({signal_note})"), True
    if limits.seconds and time.monotonic() - worker.started > limits.seconds:
        return index, Crash(f"took longer than the {limits.seconds:.0f} s limit"), True
    return None
