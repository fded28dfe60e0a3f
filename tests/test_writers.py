"""Writers that meet take turns: the second says who holds the warehouse and waits (or, past its
timeout, stops with a clear error); no load is ever lost."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from pipeline.load import warehouse
from pipeline.load.lock import LOCK_FILE, TIMEOUT_ENV, TOKEN_ENV, holder, writer_lock
from pipeline.synth.generate import SAMPLE_BODIES, make_report, render_text

ROOT = Path(__file__).resolve().parents[1]


def _reports(folder: Path, n: int, seed: int) -> Path:
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    for i in range(n):
        report = make_report(SAMPLE_BODIES[i % len(SAMPLE_BODIES)], 2019 + (seed * 3 + i) % 7, rng)
        (folder / f"r{seed}_{i}.txt").write_bytes(render_text(report))
    return folder


def _gongkai(*args: str, env: dict | None = None, stderr=None) -> subprocess.Popen:
    """Another writer: started from here, but not a part of this test's own hold on the lock."""
    mine = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    return subprocess.Popen([sys.executable, "-m", "gongkai", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=stderr or subprocess.PIPE, text=True, env={**mine, **(env or {})})


def _wait_for(path: Path, text: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared in {path}: {path.read_text() if path.exists() else ''}")


def _count(root: Path, sql: str) -> int:
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_two_ingests_take_turns_and_both_load(tmp_path):
    root = tmp_path / "data"
    batches = [_reports(tmp_path / f"b{i}", 4, seed=i) for i in range(2)]
    logs = [tmp_path / f"err{i}.log" for i in range(2)]
    with writer_lock(root):  # a third writer holds the warehouse while both start
        procs = []
        for batch, log in zip(batches, logs, strict=True):
            procs.append(_gongkai("ingest", str(batch), "--data-dir", str(root), stderr=log.open("w")))
        for log in logs:
            _wait_for(log, "waiting: the warehouse is being written by pid")
    outs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [log.read_text() for log in logs]
    assert all("total: 4 reports" in out for out in outs)
    assert f"pid {os.getpid()}" in logs[0].read_text()  # the message names who holds it
    assert _count(root, "SELECT count(*) FROM reports") == 8
    assert _count(root, "SELECT count(DISTINCT url) FROM raw_documents") == 8


def test_a_writer_that_cannot_wait_stops_with_a_clear_error_and_changes_nothing(tmp_path):
    root = tmp_path / "data"
    first = _reports(tmp_path / "first", 2, seed=5)
    assert _gongkai("ingest", str(first), "--data-dir", str(root)).wait(timeout=120) == 0
    before = (root / warehouse.WAREHOUSE_FILE).read_bytes()
    with writer_lock(root):
        proc = _gongkai("ingest", str(_reports(tmp_path / "second", 2, seed=6)), "--data-dir", str(root),
                        env={TIMEOUT_ENV: "1"})
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1  # a failed run (usage mistakes are 2)
    assert "is being written by pid" in err and "gave up after 1 s" in err
    assert (root / warehouse.WAREHOUSE_FILE).read_bytes() == before
    assert _count(root, "SELECT count(*) FROM reports") == 2


def test_the_lock_dies_with_its_holder(tmp_path):
    root = tmp_path / "data"
    hold = ("import sys, time; from pathlib import Path; from pipeline.load.lock import writer_lock\n"
            "with writer_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(300)")
    proc = subprocess.Popen([sys.executable, "-c", hold, str(root)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    assert holder(root / LOCK_FILE)["pid"] == proc.pid
    proc.kill()
    proc.wait()
    with writer_lock(root, timeout=5):  # no stale lock after a SIGKILL
        pass


def test_ingest_during_a_run_waits_for_the_run(tmp_path):
    root = tmp_path / "data"
    extra = _reports(tmp_path / "extra", 2, seed=9)
    run_log, ingest_log = tmp_path / "run.log", tmp_path / "ingest.log"
    run = subprocess.Popen([sys.executable, "-m", "gongkai", "run", "--years", "2023:2024", "--data-dir", str(root)],
                           cwd=ROOT, stdout=run_log.open("w"), stderr=subprocess.STDOUT, text=True)
    _wait_for(run_log, "[raw_documents/", seconds=120)  # the run holds the warehouse now
    ingest = _gongkai("ingest", str(extra), "--data-dir", str(root), stderr=ingest_log.open("w"))
    _wait_for(ingest_log, "waiting: the warehouse is being written by", seconds=60)
    assert run.wait(timeout=300) == 0, run_log.read_text()
    assert ingest.wait(timeout=120) == 0, ingest_log.read_text()
    assert f"pid {run.pid}" in ingest_log.read_text()
    sample = _count(root, "SELECT count(*) FROM reports WHERE source_uri NOT LIKE '%extra%'")
    assert sample > 0
    assert _count(root, "SELECT count(*) FROM reports WHERE source_uri LIKE '%extra%'") == 2
