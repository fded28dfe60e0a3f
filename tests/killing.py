"""Helpers of the kill tests: start a command in a session of its own, kill its parent process alone at
a moment, see what of its session is left, and read a warehouse row for row."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.load import warehouse

ROOT = Path(__file__).resolve().parents[1]
# Columns that say when, not what: a rerun fills them with its own clock.
CLOCK_COLUMNS = {"ingested_at", "fetched_at", "checked_at"}


def start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`gongkai ARGS` as the leader of a new session: every process it starts shares its session id.
    Output goes to files: a pipe would keep the test waiting on whoever still holds it."""
    out = open(log.with_suffix(".out"), "w")  # noqa: SIM115  (closed with the process)
    err = open(log.with_suffix(".err"), "w")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "gongkai", *args], cwd=ROOT, stdout=out, stderr=err,
                            stdin=subprocess.DEVNULL, env=os.environ | (env or {}), start_new_session=True)


def session(sid: int) -> list[str]:
    """The live processes of a session (zombies are dead: they hold nothing), as 'pid command'."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        state, session_id = fields[0], int(fields[3])
        if session_id == sid and state != "Z":
            found.append(f"{entry.name} {cmd[:120]}")
    return found


def gone_within(sid: int, seconds: float) -> tuple[list[str], float]:
    """Wait up to `seconds` for the session to empty: what is left then, and how long it took."""
    start_at = time.monotonic()
    while True:
        left = session(sid)
        waited = time.monotonic() - start_at
        if not left or waited >= seconds:
            return left, waited
        time.sleep(0.02)


@dataclass
class Kill:
    delay: float  # seconds after the start
    alive: int  # processes of the run at the kill (the parent, its workers, what they started)
    exit_code: int | None  # None: the run had finished before the moment came
    orphans: list[str]
    cleared_in: float  # seconds from the kill (or the parent's exit, for a signal it handles) to an empty session


def kill_parent(args: list[str], log: Path, delay: float, sig: int, handled_within: float = 60) -> Kill:
    """Start the command, send `sig` to its parent process alone after `delay` seconds, wait for it to
    exit and for every other process of its session to go (2 s at most)."""
    proc = start(args, log)
    try:
        proc.wait(timeout=delay)
        return Kill(delay, 0, None, [], 0.0)
    except subprocess.TimeoutExpired:
        pass
    alive = len(session(proc.pid))
    os.kill(proc.pid, sig)
    code = proc.wait(timeout=handled_within)
    orphans, waited = gone_within(proc.pid, 2.0)
    if _finished(log):  # the run ended (it printed its last line) between the moment and the signal
        code = None
    for pid_cmd in orphans:  # leave nothing behind for the next test, whatever this one says
        try:
            os.kill(int(pid_cmd.split()[0]), 9)
        except OSError:
            pass
    return Kill(delay, alive, code, orphans, waited)


FINAL_LINES = ("total: ", "published ")  # the last line `gongkai ingest` and `gongkai run` print


def _finished(log: Path) -> bool:
    lines = log.with_suffix(".out").read_text(errors="replace").strip().splitlines()
    return bool(lines) and lines[-1].startswith(FINAL_LINES)


def moments(rng, span: float, n: int, start: float = 0.05) -> list[float]:
    """`n` seeded moments spread over the whole of [start, span]: one at random in each of n equal slots,
    so start-up, parsing, loading, deriving and publishing all get theirs."""
    width = (span - start) / n
    return [start + width * (i + rng.random()) for i in range(n)]


def rows(root: Path) -> dict[str, list[tuple]]:
    """Every table of the published warehouse, row for row (sorted), its paths relative to `root` and
    without the columns that only say when."""
    out = {}
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE "
                                            "table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall()]
        for table in tables:
            columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in CLOCK_COLUMNS]
            data = con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            prefix = str(root)
            out[table] = sorted((tuple(v.replace(prefix, "DATA") if isinstance(v, str) else v for v in row)
                                 for row in data), key=lambda row: [(v is not None, str(v)) for v in row])
    return out


def differences(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> dict[str, str]:
    """Per table that differs: how many rows, and one row on each side that the other lacks."""
    out = {}
    for table in sorted(set(got) | set(want)):
        a, b = got.get(table, []), want.get(table, [])
        if a != b:
            extra, missing = sorted(set(a) - set(b)), sorted(set(b) - set(a))
            out[table] = (f"{len(a)} rows, clean {len(b)}; extra {extra[:1]}, missing {missing[:1]}")
    return out
