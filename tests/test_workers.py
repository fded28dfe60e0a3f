"""The worker pool: results in order, and a report whose worker dies, overruns its time or its memory
costs only that report; in a batch it becomes a `failed` row and the rest loads."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb
import pytest
from conftest import CORPUS, result_facts

from pipeline.batch import ingest
from pipeline.batch.harness import corpus_reports, variants
from pipeline.batch.ingest import parse_all
from pipeline.batch.workers import Crash, Limits, grant, run_tasks
from pipeline.extract.office import soffice
from pipeline.load import warehouse
from pipeline.synth.generate import SAMPLE_BODIES, make_report, render_docx


def _work(kind: str, n: int):
    if kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "sleep":
        time.sleep(30)
    if kind == "eat":
        return bytearray(n)  # more than the worker's memory limit
    if kind == "raise":
        raise ValueError("bad input")
    if kind == "pages":  # n steps of 1 s, each granted 1.5 s more (as OCR grants itself time page by page)
        for _ in range(n):
            grant(1.5)
            time.sleep(1)
        return n
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


def test_a_task_that_grants_itself_time_page_by_page_outlives_the_limit_and_one_that_does_not_stops():
    """Past the worker's own alarm and past the parent's backstop (the limit plus KILL_GRACE): a 7-page
    task at 1 s a page under a 2 s limit finishes, because every page asked for more."""
    out = dict(run_tasks(_work, [("pages", 7), ("sleep", 0)], processes=2, limits=Limits(seconds=2)))
    assert out[0] == 7
    assert isinstance(out[1], Crash) and "longer than" in out[1].reason


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


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (apt-get install libreoffice-writer)")
def test_a_batch_of_8_real_docs_converts_in_the_default_workers_every_number_right(tmp_path):
    """Real reports (the 7 Pingtan pages and the seed report) saved as DOC by LibreOffice, parsed by the
    default workers at once: each conversion has its own LibreOffice profile (two at once on one profile
    made the second fail: 4 of 8 were lost)."""
    reports = [r for r in corpus_reports(CORPUS) if r.ext != "pdf"]
    reports = [r for r in reports if r.name.startswith(("pingtan_page", "heilongjiang"))]
    assert len(reports) == 8
    tasks = []
    for report, _, data in variants(reports, ["doc"]):
        (tmp_path / f"{report.name}.doc").write_bytes(data)
        tasks.append((str(tmp_path / f"{report.name}.doc"), report.name, None))
    results = dict(parse_all(tasks, processes=None))
    for i, report in enumerate(reports):
        got = results[i]
        assert got.format == "doc" and got.status in ("ok", "inconsistent"), got.issues  # 2020 is printed so
        assert result_facts(got) == report.expected


def _open_files(_: int) -> list[str]:
    """What the worker has open, by path (its regular files only)."""
    out = []
    for name in os.listdir("/proc/self/fd"):
        try:
            out.append(os.readlink(f"/proc/self/fd/{name}"))
        except OSError:
            pass
    return out


def test_a_worker_holds_none_of_its_parents_files(tmp_path):
    """Forked inside a writer's session, a worker keeps neither the lock nor the warehouse open: a worker
    that outlived its parent for a moment could not lock every later run out."""
    with warehouse.build_session(tmp_path) as con:
        con.execute("SELECT count(*) FROM reports").fetchall()
        mine = _open_files(0)
        assert any(p.endswith("writer.lock") for p in mine) and any(p.endswith(".duckdb") for p in mine)
        (_, theirs), = run_tasks(_open_files, [(0,)], processes=1)
    assert not [p for p in theirs if str(tmp_path) in p], theirs


def test_a_worker_dies_with_its_parent_even_by_sigkill(tmp_path):
    """A parent killed with SIGKILL runs no clean-up: the kernel's parent-death signal ends its workers."""
    script = ("import sys, time; sys.path.insert(0, 'tests')\n"
              "from pipeline.batch.workers import run_tasks\n"
              "from test_workers import _work\n"
              "for _ in run_tasks(_work, [('sleep', 0), ('sleep', 0)], processes=2):\n    pass\n")
    parent = subprocess.Popen([os.sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1],
                              start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_session(parent.pid)) < 3:
        time.sleep(0.05)
    assert len(_session(parent.pid)) == 3, "the parent and its two workers"
    parent.kill()
    parent.wait()
    time.sleep(0.5)
    assert _session(parent.pid) == []


def _session(sid: int) -> list[int]:
    from killing import session

    return [int(line.split()[0]) for line in session(sid)]


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (apt-get install libreoffice-writer)")
def test_a_conversion_killed_with_its_worker_leaves_no_work_folder_behind(tmp_path):
    """A worker killed mid-conversion cannot remove its LibreOffice work folder; the next conversion does."""
    from pipeline.extract.office import WORK_PREFIX, extract_via_libreoffice

    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that has ended: its folder is an orphan's
    orphan = Path(tempfile.gettempdir()) / f"{WORK_PREFIX}{dead.pid}-abc"
    (orphan / "profile").mkdir(parents=True)
    live = Path(tempfile.gettempdir()) / f"{WORK_PREFIX}{os.getpid()}-live"
    live.mkdir()
    report = make_report(SAMPLE_BODIES[0], 2022, random.Random(2))
    (tmp_path / "r.docx").write_bytes(render_docx(report))
    subprocess.run([soffice(), "--headless", "--convert-to", "doc", "--outdir", str(tmp_path), str(tmp_path / "r.docx")],
                   capture_output=True, timeout=120, check=True)
    extract_via_libreoffice((tmp_path / "r.doc").read_bytes(), "doc")
    assert not orphan.exists() and live.exists()
    live.rmdir()
