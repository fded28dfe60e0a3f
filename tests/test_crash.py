"""Crash safety: `gongkai ingest` and `gongkai run` killed (SIGKILL, the whole process group) at random
moments, then run again. After every kill the published warehouse opens and holds no half-loaded
report, no raw file is lost, and the rerun ends with exactly a clean run's totals."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.load import warehouse
from pipeline.parse.templates import FACT_TABLES
from pipeline.synth.generate import SAMPLE_BODIES, Style, make_report, render_html, render_text

ROOT = Path(__file__).resolve().parents[1]
KILLS = 20
SEED = int(os.environ.get("GONGKAI_CRASH_SEED", "20261206"))


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "reports"
    folder.mkdir()
    rng = random.Random(7)
    for i in range(24):
        report = make_report(SAMPLE_BODIES[i % len(SAMPLE_BODIES)], 2019 + i % 7, rng)
        if i % 2:
            (folder / f"r{i}.html").write_bytes(render_html(report, style=Style(quirks=True, rng=random.Random(i))))
        else:
            (folder / f"r{i}.txt").write_bytes(render_text(report))
    return folder


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gongkai", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _totals(root: Path) -> dict[str, object]:
    """What a load leaves: reports by status, and every fact table's rows and value sum."""
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        out: dict[str, object] = {"reports": sorted(con.execute(
            "SELECT report_id, status, n_facts, superseded_by IS NULL FROM reports").fetchall())}
        for table in FACT_TABLES:
            out[table] = con.execute(f"SELECT count(*), sum(value) FROM {table}").fetchone()
        out["yoy_metrics"] = con.execute("SELECT count(*), sum(value) FROM yoy_metrics").fetchone()
    return out


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


def _clean(args: list[str], root: Path) -> tuple[dict[str, object], float]:
    start = time.monotonic()
    proc = _start(*args, "--data-dir", str(root))
    assert proc.wait(timeout=600) == 0, proc.stderr.read() if proc.stderr else ""
    return _totals(root), time.monotonic() - start


def _kill_and_rerun(args: list[str], root: Path, rng: random.Random, span: float, kills: int) -> None:
    for n in range(kills):
        delay = rng.uniform(0.05, span)
        print(f"kill {n + 1}/{kills}: SIGKILL after {delay:.2f} s", flush=True)
        proc = _start(*args, "--data-dir", str(root))
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        _assert_whole(root)


def test_ingest_killed_at_random_moments_then_rerun_equals_a_clean_run(batch, tmp_path):
    clean, seconds = _clean(["ingest", str(batch)], tmp_path / "clean")
    rng = random.Random(SEED)
    print(f"seed {SEED} (GONGKAI_CRASH_SEED), clean ingest {seconds:.2f} s")
    for attempt in range(KILLS):
        root = tmp_path / f"killed{attempt}"
        _kill_and_rerun(["ingest", str(batch)], root, rng, seconds, kills=1 + attempt % 2)
        rerun = _start("ingest", str(batch), "--data-dir", str(root))
        assert rerun.wait(timeout=600) == 0, rerun.stderr.read() if rerun.stderr else ""
        _assert_whole(root)
        assert _totals(root) == clean, f"attempt {attempt}"
        archived = {p.stem for p in (root / "raw").rglob("*") if p.is_file()}
        assert len(archived) == len(list(batch.iterdir()))  # every input's bytes kept, none partial


def test_run_killed_at_random_moments_then_rerun_equals_a_clean_run(tmp_path):
    args = ["run", "--years", "2022:2024"]
    clean, seconds = _clean(args, tmp_path / "clean")
    rng = random.Random(SEED + 1)
    print(f"seed {SEED + 1}, clean run {seconds:.2f} s")
    root = tmp_path / "killed"
    _kill_and_rerun(args, root, rng, seconds, kills=3)
    rerun = _start(*args, "--data-dir", str(root))
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read() if rerun.stderr else ""
    _assert_whole(root)
    assert _totals(root) == clean
