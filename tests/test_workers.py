"""The worker pool: results in order, and a report whose worker dies, overruns its time or its memory
costs only that report; in a batch it becomes a `failed` row and the rest loads."""

from __future__ import annotations

import os
import signal
import time

import duckdb

from pipeline.batch import ingest
from pipeline.batch.workers import Crash, Limits, run_tasks


def _work(kind: str, n: int):
    if kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "sleep":
        time.sleep(30)
    if kind == "eat":
        return bytearray(n)  # more than the worker's memory limit
    if kind == "raise":
        raise ValueError("bad input")
    return n * n


def test_results_come_back_in_order_and_crashes_cost_one_task():
    tasks = [("ok", 1), ("die", 0), ("ok", 2), ("sleep", 0), ("raise", 0), ("eat", 1 << 33), ("ok", 3)]
    start = time.monotonic()
    out = list(run_tasks(_work, tasks, processes=2, limits=Limits(seconds=2, memory_bytes=1 << 30)))
    assert time.monotonic() - start < 20  # the sleeper was stopped at its limit, not waited for
    assert [i for i, _ in out] == list(range(len(tasks)))
    values = [v for _, v in out]
    assert values[0] == 1 and values[2] == 4 and values[6] == 9
    assert isinstance(values[1], Crash) and "signal 9" in values[1].reason
    assert isinstance(values[3], Crash) and "longer than" in values[3].reason
    assert isinstance(values[4], Crash) and "ValueError: bad input" in values[4].reason
    assert isinstance(values[5], Crash) and "memory" in values[5].reason


def test_a_dead_worker_is_a_failed_report_and_the_batch_loads(tmp_path, monkeypatch):
    import random

    from pipeline.synth.generate import SAMPLE_BODIES, make_report, render_text

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(4):
        (folder / f"r{i}.txt").write_bytes(render_text(make_report(SAMPLE_BODIES[i % 3], 2020 + i, random.Random(i))))
    (folder / "poison.txt").write_bytes(b"POISON " + render_text(make_report(SAMPLE_BODIES[0], 2024, random.Random(9))))
    real = ingest._parse_file

    def parse_or_die(raw_path, uri, registered):
        if "poison" in uri:
            os.kill(os.getpid(), signal.SIGKILL)  # a parser crash that takes the process with it
        return real(raw_path, uri, registered)

    monkeypatch.setattr(ingest, "_parse_file", parse_or_die)
    root = tmp_path / "data"
    outcomes = list(ingest.ingest_paths([str(folder)], root))
    status = {o.path.rsplit("/", 1)[-1]: o.result.status for o in outcomes}
    assert status["poison.txt"] == "failed" and sum(s != "failed" for s in status.values()) == 4
    with duckdb.connect(str(root / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
        rule, detail = con.execute("SELECT rule, detail FROM report_issues i JOIN reports r USING (report_id) "
                                   "WHERE r.source_uri LIKE '%poison%'").fetchall()[0]
        assert rule == "worker_crashed" and "signal 9" in detail and "raw bytes are kept" in detail
        assert con.execute("SELECT count(*) FROM reports").fetchall()[0][0] == 5
        kept = con.execute("SELECT raw_path FROM raw_documents WHERE url LIKE '%poison%'").fetchall()[0][0]
    assert os.path.exists(kept)
