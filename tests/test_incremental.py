"""A night with nothing new costs almost nothing: no document parsed again, no row rewritten, no copy
of the warehouse published; and a real change still goes all the way through."""

from __future__ import annotations

import random
import re

import dagster as dg
import duckdb

from assets.run import failures, materialize_years
from pipeline.batch.ingest import ingest_paths
from pipeline.synth.generate import SAMPLE_BODIES, make_report, render_html


def _generation(root):
    with duckdb.connect(str(root / "warehouse" / ".build" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT generation, derived, published FROM build.state").fetchall()[0]


def test_a_second_run_parses_nothing_and_publishes_nothing(tmp_path, capsys):
    root = tmp_path / "data"
    published = root / "warehouse" / "warehouse.duckdb"
    with dg.instance_for_test() as instance:
        assert materialize_years([2022, 2023], root, [], progress=True, instance=instance).success
        first = (published.stat().st_mtime_ns, _generation(root))
        capsys.readouterr()
        result = materialize_years([2022, 2023], root, [], progress=True, instance=instance)
        assert result.success, failures(result)
    out = capsys.readouterr().out
    assert not re.search(r"\d+/\d+ parsed", out)  # every document came from the cache
    assert "unchanged documents not parsed again" in out
    assert (published.stat().st_mtime_ns, _generation(root)) == first


def test_ingest_of_a_new_report_bumps_the_generation_and_publishes(tmp_path):
    root = tmp_path / "data"
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "r1.html").write_bytes(render_html(make_report(SAMPLE_BODIES[0], 2022, random.Random(1))))
    list(ingest_paths([str(tmp_path / "a")], root))
    before = _generation(root)
    assert before[1] == before[0] and before[2] == before[0]  # derived and published this generation
    list(ingest_paths([str(tmp_path / "a")], root))
    assert _generation(root) == before  # the same file again: nothing changed
    (tmp_path / "a" / "r2.html").write_bytes(render_html(make_report(SAMPLE_BODIES[2], 2023, random.Random(2))))
    list(ingest_paths([str(tmp_path / "a")], root))
    after = _generation(root)
    assert after[0] > before[0] and after[2] == after[0]
    with duckdb.connect(str(root / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reports").fetchall()[0][0] == 2


def test_a_failure_from_the_machine_is_not_cached_but_one_from_the_bytes_is(tmp_path):
    """A killed worker or a missing converter says nothing of the report: the next run parses it again."""
    from pipeline.batch.cache import ParseCache
    from pipeline.batch.report import process_report
    from pipeline.load.facts import ReportResult
    from pipeline.parse.rules import Violation

    cache = ParseCache(tmp_path)
    crashed = ReportResult("a" * 64, "r.pdf", "pdf", None, None, "failed",
                           issues=[Violation("worker_crashed", "the worker died (killed by signal 9)")])
    cache.put("crashed", crashed)
    assert cache.get("crashed") is None
    empty = process_report(b"", "empty.txt")  # failed for what the bytes are: kept
    assert empty.status == "failed"
    cache.put("empty", empty)
    assert cache.get("empty") is not None


def test_a_publish_removes_the_copy_a_killed_publisher_left(tmp_path):
    from pipeline.load import warehouse

    report = make_report(SAMPLE_BODIES[0], 2023, random.Random(3))
    (tmp_path / "r.html").write_bytes(render_html(report))
    root = tmp_path / "data"
    list(ingest_paths([str(tmp_path / "r.html")], root, processes=1))
    stale = root / "warehouse" / ".warehouse.duckdb.99999.tmp"
    stale.write_bytes(b"half a copy")
    (tmp_path / "s.html").write_bytes(render_html(make_report(SAMPLE_BODIES[1], 2023, random.Random(4))))
    list(ingest_paths([str(tmp_path / "s.html")], root, processes=1))
    assert not stale.exists()
    assert sorted(p.name for p in (root / "warehouse").iterdir()) == [".build", warehouse.WAREHOUSE_FILE.name]
