"""Crash safety: `gongkai ingest` and `gongkai run` killed at seeded moments spread over a whole run
(start-up, parsing in workers, loading, deriving, publishing), by SIGKILL to the parent process alone,
as the OOM killer or a container runtime does it. Within 2 s of each kill no process of the run is
left (its workers and what they started die with it); the next run starts without waiting for a lock;
the published warehouse is always whole; and the next run ends equal to a clean run, row for row."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from killing import differences, gone_within, kill_parent, moments, rows, start

from pipeline.extract.office import soffice
from pipeline.load import warehouse
from pipeline.parse.templates import FACT_TABLES
from pipeline.synth.generate import (
    SAMPLE_BODIES,
    Style,
    make_report,
    render_docx,
    render_html,
    render_pdf,
    render_text,
)

KILLS = 12
RUN_KILLS = 3
SEED = int(os.environ.get("GONGKAI_CRASH_SEED", "20261207"))
NO_WAIT = {"GONGKAI_LOCK_TIMEOUT": "0"}  # a rerun that met a lock would fail at once, not wait


@pytest.fixture(scope="module")
def batch(tmp_path_factory, corpus) -> Path:
    """The corpus's real reports, generated ones in every format, and two DOCs where LibreOffice can make
    them (their conversions are programs the workers start, killed with them)."""
    folder = tmp_path_factory.mktemp("crash") / "reports"
    folder.mkdir()
    for path in sorted((corpus / "raw").iterdir()):
        if path.is_file() and path.suffix != ".md":
            shutil.copy(path, folder / path.name)
    rng = random.Random(7)
    renders = {".html": lambda r, i: render_html(r, style=Style(quirks=True, rng=random.Random(i))),
               ".txt": lambda r, i: render_text(r), ".pdf": lambda r, i: render_pdf(r),
               ".docx": lambda r, i: render_docx(r)}
    for i in range(24):
        report = make_report(SAMPLE_BODIES[i % len(SAMPLE_BODIES)], 2019 + i % 7, rng)
        suffix = list(renders)[i % len(renders)]
        (folder / f"r{i}{suffix}").write_bytes(renders[suffix](report, i))
    if soffice():
        subprocess.run([soffice(), "--headless", "--convert-to", "doc", "--outdir", str(folder),
                        str(folder / "r3.docx"), str(folder / "r7.docx")], capture_output=True, timeout=300)
        for name in ("r3", "r7"):
            (folder / f"{name}.docx").unlink()
    return folder


def _run_to_end(args: list[str], root: Path, log: Path, env: dict[str, str] | None = None) -> float:
    began = time.monotonic()
    proc = start([*args, "--data-dir", str(root)], log, env)
    code = proc.wait(timeout=600)
    err = log.with_suffix(".err").read_text()
    assert code == 0, err[-3000:]
    assert "waiting: the warehouse is being written" not in err
    left, _ = gone_within(proc.pid, 2.0)
    assert left == [], left
    return time.monotonic() - began


def _assert_whole(root: Path) -> None:
    """The published warehouse opens, and every report in it has all of its facts and nothing more."""
    published = root / warehouse.WAREHOUSE_FILE
    if not published.exists():
        return  # killed before the first publish: analysts see no warehouse, not half of one
    with duckdb.connect(str(published), read_only=True) as con:
        facts = " UNION ALL ".join(f"SELECT report_id FROM {t}" for t in FACT_TABLES)
        torn = con.execute(f"""
            SELECT r.report_id, r.n_facts, count(f.report_id) FROM reports r
            LEFT JOIN ({facts}) f USING (report_id) GROUP BY ALL HAVING r.n_facts <> count(f.report_id)""").fetchall()
        assert torn == [], f"half-loaded reports: {torn}"
        orphans = con.execute(f"SELECT count(*) FROM ({facts}) f WHERE report_id NOT IN "
                              "(SELECT report_id FROM reports)").fetchone()[0]
        assert orphans == 0
        for (raw_path,) in con.execute("SELECT DISTINCT raw_path FROM raw_documents WHERE raw_path IS NOT NULL").fetchall():
            assert Path(raw_path).is_file(), f"raw file lost: {raw_path}"


def _kill_then_rerun(args: list[str], tmp_path: Path, clean: dict, delays: list[float], sig: int,
                     exit_code: int | None) -> list[str]:
    """One fresh data dir per moment: kill there (twice for every fourth moment: a kill during the
    recovery of an earlier one), check what is left, rerun, compare. Returns one line per kill."""
    report = []
    for n, delay in enumerate(delays):
        root = tmp_path / f"killed{n}"
        for repeat in range(2 if n % 4 == 3 else 1):
            at = delay if repeat == 0 else delay / 2
            kill = kill_parent([*args, "--data-dir", str(root)], tmp_path / f"k{n}-{repeat}", at, sig)
            report.append(f"{sig.name} at {at:.2f} s: {kill.alive} processes alive, exit {kill.exit_code}, "
                          f"session empty after {kill.cleared_in:.2f} s")
            assert kill.orphans == [], f"left 2 s after {sig.name} at {at:.2f} s: {kill.orphans}"
            if exit_code is not None and kill.exit_code is not None:
                assert kill.exit_code == exit_code, (tmp_path / f"k{n}-{repeat}.err").read_text()[-2000:]
            _assert_whole(root)
        _run_to_end(args, root, tmp_path / f"rerun{n}", env=NO_WAIT)
        _assert_whole(root)
        assert differences(rows(root), clean) == {}, f"after {sig.name} at {delay:.2f} s"
        assert not list((root / "warehouse").glob(".*.tmp"))
    return report


def _clean(args: list[str], tmp_path: Path) -> tuple[dict, float]:
    """A clean run's rows, and how long a run takes once the files are in the page cache (a second
    clean run): the span the kills' moments are spread over."""
    _run_to_end(args, tmp_path / "clean", tmp_path / "clean")
    return rows(tmp_path / "clean"), _run_to_end(args, tmp_path / "clean2", tmp_path / "clean2")


def test_ingest_parent_killed_at_12_moments_leaves_no_process_and_reruns_equal_to_a_clean_run(batch, tmp_path):
    clean, seconds = _clean(["ingest", str(batch)], tmp_path)
    rng = random.Random(SEED)
    report = _kill_then_rerun(["ingest", str(batch)], tmp_path, clean, moments(rng, seconds * 1.05, KILLS),
                              signal.SIGKILL, exit_code=-signal.SIGKILL)
    print(f"seed {SEED} (GONGKAI_CRASH_SEED), clean ingest {seconds:.2f} s", *report, sep="\n")
    with_workers = [line for line in report if not line.split(": ")[1].startswith(("0 ", "1 "))]
    assert len(with_workers) >= KILLS // 2, "most kills must come while workers live"


def test_run_parent_killed_at_moments_leaves_no_process_and_reruns_equal_to_a_clean_run(tmp_path):
    args = ["run", "--years", "2023:2024"]
    clean, seconds = _clean(args, tmp_path)
    rng = random.Random(SEED + 1)
    report = _kill_then_rerun(args, tmp_path, clean, moments(rng, seconds * 1.05, RUN_KILLS), signal.SIGKILL,
                              exit_code=-signal.SIGKILL)
    print(f"seed {SEED + 1}, clean run {seconds:.2f} s", *report, sep="\n")


def test_ingest_stopped_by_sigterm_exits_143_says_what_was_kept_and_reruns_equal(batch, tmp_path):
    clean, seconds = _clean(["ingest", str(batch)], tmp_path)
    rng = random.Random(SEED + 2)
    delays = moments(rng, seconds, 4, start=1.0)
    report = _kill_then_rerun(["ingest", str(batch)], tmp_path, clean, delays, signal.SIGTERM, exit_code=143)
    print(*report, sep="\n")
    said = [p.read_text() for p in tmp_path.glob("k*.err")]
    stopped = [s for s in said if "stopped by SIGTERM" in s]
    assert stopped, said
    assert [s for s in said if "Traceback" in s] == []
    assert all("goes on from there" in s for s in stopped)


def test_run_stopped_by_sigterm_exits_143_publishes_nothing_half_and_reruns_equal(tmp_path):
    args = ["run", "--years", "2023:2024"]
    clean, seconds = _clean(args, tmp_path)
    rng = random.Random(SEED + 3)
    report = _kill_then_rerun(args, tmp_path, clean, moments(rng, seconds, 2, start=1.0), signal.SIGTERM,
                              exit_code=143)
    print(*report, sep="\n")
    said = [p.read_text() for p in tmp_path.glob("k*.err")]
    assert any("stopped by SIGTERM: nothing was half-published" in s for s in said), said
    assert [s for s in said if "Traceback" in s] == []


def _kill_holding_the_slot(args: list[str], home: Path, log: Path):
    """Start a run, SIGKILL its parent alone while one of its steps holds the warehouse slot; the instance
    (opened once the run's steps go on: two processes creating a new instance's storage at once would both
    stamp its schema version), and whether the slot was left claimed."""
    import dagster as dg

    proc = start(args, log)
    deadline, held, instance = time.monotonic() + 240, False, None
    try:
        while time.monotonic() < deadline and proc.poll() is None and not held:
            if instance is None and "[raw_documents/" in log.with_suffix(".out").read_text():
                instance = dg.DagsterInstance.from_config(str(home))
            if instance is not None:
                held = bool(instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots)
            time.sleep(0.02)
        assert held, "the run never took the warehouse slot"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return instance, bool(instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots)


def test_a_run_killed_while_it_holds_the_warehouse_slot_does_not_lock_out_the_next(tmp_path):
    """The instance limits the pool `warehouse` to one step; a run killed (SIGKILL, its parent alone) while
    one of its steps holds that slot never frees it itself. The next run frees what dead runs hold,
    marks them failed, and finishes, instead of waiting for the slot for ever."""
    for attempt in range(5):  # a step may end between the look and the kill: then try again
        root = tmp_path / f"data{attempt}"
        args = ["run", "--years", "2024", "--data-dir", str(root)]
        instance, left = _kill_holding_the_slot(args, root / "dagster", tmp_path / f"killed{attempt}")
        if left:
            break
        instance.dispose()
    assert left, "no kill left the slot claimed"
    try:
        _run_to_end(args, root, tmp_path / "rerun", env=NO_WAIT)
        statuses = sorted(r.status.value for r in instance.get_runs())
        assert statuses == ["FAILURE", "SUCCESS"], statuses
        assert not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
    finally:
        instance.dispose()
