"""The Dagster graph: partitions, one-run backfills, idempotent re-materialisation, blocking checks,
the schedule, the webserver, and analysts reading while a run writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from assets.definitions import defs
from assets.partitions import PARTITIONS, RANGE_END, RANGE_START, YEARS
from assets.run import failures, materialize_years
from assets.schedules import nightly
from pipeline.parse.reportyears import years_due
from pipeline.synth.generate import RENDERERS, SAMPLE_BODIES, make_report

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _sources(folder: Path, years: list[int], seed: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for i, year in enumerate(years):
        for j, body in enumerate(SAMPLE_BODIES[:2]):
            fmt = ("html", "docx", "txt")[(i + j) % 3]
            (folder / f"{j}_{year}.{fmt}").write_bytes(RENDERERS[fmt](make_report(body, year, rng)))
    return folder


def _published(root: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(root / "warehouse" / "warehouse.duckdb"), read_only=True)


def _materialised(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _latest(instance: dg.DagsterInstance, asset: str) -> dict[str, dict]:
    """Each partition's latest materialisation metadata, as plain values."""
    out = {}
    for record in instance.fetch_materializations(dg.AssetKey(asset), limit=1000).records:  # newest first
        m = record.asset_materialization
        out.setdefault(m.partition, {k: getattr(v, "value", v) for k, v in m.metadata.items()})
    return out


def test_three_year_backfill_is_one_run_and_rematerialising_adds_no_rows(tmp_path):
    src = _sources(tmp_path / "src", [2021, 2022, 2023])
    (src / "extra_2022.html").write_bytes(RENDERERS["html"](make_report(SAMPLE_BODIES[2], 2022, random.Random(5))))
    root = tmp_path / "data"
    with dg.instance_for_test() as instance:
        result = materialize_years([2021, 2022, 2023], root, [str(src)], progress=False, instance=instance)
        assert result.success, failures(result)
        assert len(instance.get_runs()) == 1
        assert "yoy_metrics" in _materialised(result)
        with _published(root) as con:
            first = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("reports", "outcomes", "appeals", "yoy_metrics")}
            years = con.execute("SELECT DISTINCT year FROM reports ORDER BY 1").fetchall()
            prior = con.execute("SELECT count(*) FROM yoy_metrics WHERE year = 2022 AND prior_value IS NOT NULL").fetchone()[0]
            per_year = {t: dict(con.execute(f"SELECT year, count(*) FROM {t} GROUP BY 1").fetchall())
                        for t in ("reports", "outcomes", "yoy_metrics")}
        assert years == [(2021,), (2022,), (2023,)]
        assert first["reports"] == 7 and first["outcomes"] == 7 * 154 and prior > 0
        # one run, yet each partition (year x shard) records its own rows: summed over shards, each year's
        for table in ("reports", "outcomes", "yoy_metrics"):
            latest = _latest(instance, table)
            assert len(latest) == 3 * len(PARTITIONS.get_partitions_def_for_dimension("shard").get_partition_keys())
            summed = {}
            for key, metadata in latest.items():
                year = int(key.keys_by_dimension["year"]) if isinstance(key, dg.MultiPartitionKey) else int(key.split("|")[1])
                summed[year] = summed.get(year, 0) + metadata["dagster/row_count"]
                assert metadata["dagster/table_name"] == f"warehouse.main.{table}"
                columns = {c.name: c.description for c in metadata["dagster/column_schema"].columns}
                assert columns["year"].startswith("the report year") and all(columns.values()), columns
            assert summed == per_year[table], (table, summed, per_year[table])
        assert per_year["reports"][2022] == 3 and per_year["reports"][2021] == 2  # so a year's own count shows
        assert "予以公开" in {c.name: c.description for c in _latest(instance, "outcomes")[
            next(iter(_latest(instance, "outcomes")))]["dagster/column_schema"].columns}["outcome"]
        again = materialize_years([2022], root, [str(src)], progress=False, instance=instance)
        assert again.success
        with _published(root) as con:
            second = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in first}
        assert second == first
        # nothing changed: yoy_metrics says it skipped, and still records the rows the table holds
        yoy = [e.event_specific_data.materialization.metadata for e in again.get_asset_materialization_events()
               if e.asset_key.to_user_string() == "yoy_metrics"]
        assert yoy and all("skipped" in m for m in yoy)
        assert sum(m["dagster/row_count"].value for m in yoy) == per_year["yoy_metrics"][2022]
        checks = {(e.asset_key.to_user_string(), e.check_name): e.passed
                  for e in again.get_asset_check_evaluations()}
        assert checks[("yoy_metrics", "one_row_per_metric")] and checks[("yoy_metrics", "prior_is_last_year")]
        assert checks[("raw_documents", "documents_archived")]


def test_every_asset_and_check_says_what_it_is():
    for spec in defs.resolve_all_asset_specs():
        assert spec.description and len(spec.description) > 40, spec.key
        assert spec.kinds, spec.key
    graph = defs.resolve_asset_graph()
    assert len(graph.asset_check_keys) >= 15
    for key in graph.asset_check_keys:
        assert graph.get_check_spec(key).description, key


def test_blocking_check_stops_yoy_metrics_and_publishing(tmp_path):
    src = _sources(tmp_path / "src", [2021])
    root = tmp_path / "data"
    with dg.instance_for_test() as instance:
        assert materialize_years([2021], root, [str(src)], progress=False, instance=instance).success
        # 2022: a report that names its year but whose tables cannot be read -> a year with reports, no facts
        (src / "broken_2022.txt").write_text("某某区人民政府2022年政府信息公开工作年度报告\n一、总体情况\n无表格。", encoding="utf-8")
        result = materialize_years([2022], root, [str(src)], progress=False, instance=instance)
        assert not result.success
        assert any("year_has_facts" in line for line in failures(result))
        assert "parsed_reports" in _materialised(result)
        assert "yoy_metrics" not in _materialised(result)
    with _published(root) as con:  # analysts keep the last good warehouse
        assert con.execute("SELECT DISTINCT year FROM reports").fetchall() == [(2021,)]


@pytest.mark.parametrize(("when", "expected"), [
    (dt.datetime(2026, 2, 15, 2, 30, tzinfo=SHANGHAI), ["2025", "2024"]),
    (dt.datetime(2026, 7, 15, 2, 30, tzinfo=SHANGHAI), ["2025"]),
])
def test_schedule_asks_for_the_years_still_changing(when, expected):
    (request,) = nightly(dg.build_schedule_context(scheduled_execution_time=when))
    assert request.tags[RANGE_START] == f"00|{min(expected)}" and request.tags[RANGE_END] == f"03|{max(expected)}"
    assert years_due(when) == [int(k) for k in expected]


def test_definitions_declare_the_graph():
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_documents", "parsed_reports", "reports", "applications", "outcomes", "regulations", "permits",
            "penalties", "fees", "procurement", "appeals", "legacy_indicators", "yoy_metrics"} <= keys
    assert YEARS.get_partition_keys()[0] == "2008"  # the first year the 2007 条例 required a report for
    assert YEARS.get_partition_keys()[-1] == str(dt.datetime.now(SHANGHAI).year - 1)
    job = defs.resolve_job_def("ingest_years")
    assert job.partitions_def == PARTITIONS and PARTITIONS.get_partitions_def_for_dimension("year") == YEARS


def test_dagster_yaml_sets_no_storage_paths_and_serialises_the_warehouse():
    import yaml

    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    assert not {"storage", "run_storage", "event_log_storage", "local_artifact_storage", "compute_logs"} & set(config)
    assert config["concurrency"]["pools"]["default_limit"] == 1 and config["telemetry"]["enabled"] is False
    # every step that writes the warehouse is in the pool; crawls and parses of shards are not (they run at once)
    pools = {}
    for a in defs.assets:
        for node in getattr(a.node_def, "node_defs", [a.node_def]):
            pools[node.name] = node.pool
    writers = {name: pool for name, pool in pools.items() if name not in ("plan_shards", "crawl", "parse", "staged")}
    assert set(writers.values()) == {"warehouse"}, writers
    assert {pools[n] for n in ("crawl", "parse")} == {None}


def test_definitions_validate_from_the_root(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}  # its storage in tmp, not in the checkout's data/
    proc = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate"], cwd=ROOT,
                          capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_dagster_dev_shows_the_runs_of_gongkai_run(tmp_path):
    """The README's way: `gongkai run --data-dir D`, then `gongkai ui --data-dir D` (DAGSTER_HOME=D/dagster
    dagster dev): one instance."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    run = subprocess.run([sys.executable, "-m", "gongkai", "run", "--years", "2024", "--data-dir", str(data)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gongkai", "ui", "--data-dir", str(data), "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        nodes = None
        while time.monotonic() < deadline:
            try:
                nodes = _graphql(port, """{ assetNodes { assetKey { path } description kinds
                    assetMaterializations(limit: 1) { runId partition } } }""")["data"]["assetNodes"]
                if nodes:
                    break
            except (OSError, KeyError, TypeError):
                pass
            time.sleep(1)
        assert nodes, "dagster dev did not answer"
        by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        assert {"raw_documents", "parsed_reports", "outcomes", "yoy_metrics"} <= set(by_key)
        runs = _graphql(port, "{ runsOrError { ... on Runs { results { runId status jobName } } } }")
        (shown,) = runs["data"]["runsOrError"]["results"]
        assert shown["status"] == "SUCCESS" and shown["jobName"] == "ingest_years"
        for key, node in by_key.items():  # each asset's latest materialisation is that run's
            assert node["description"] and node["kinds"], key
            assert [m["runId"] for m in node["assetMaterializations"]] == [shown["runId"]], key
        schedules = _graphql(port, """{ repositoriesOrError { ... on RepositoryConnection { nodes {
            schedules { name cronSchedule executionTimezone } } } } }""")
        found = [s for repo in schedules["data"]["repositoriesOrError"]["nodes"] for s in repo["schedules"]]
        assert found == [{"name": "nightly", "cronSchedule": "30 2 * * *", "executionTimezone": "Asia/Shanghai"}]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


READER = r"""
import sys, time, duckdb
path, out = sys.argv[1], sys.argv[2]
seen = []
end = time.time() + float(sys.argv[3])
con = duckdb.connect(path, read_only=True)
while time.time() < end and not (seen and seen[-1][0] == 4):  # until the new load is seen, or time is up
    # one snapshot: the reports and the facts must agree
    n_reports, n_facts, years = con.execute(
        "SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM outcomes), "
        "(SELECT string_agg(DISTINCT year::VARCHAR, ',' ORDER BY year::VARCHAR) FROM reports)").fetchone()
    seen.append([n_reports, n_facts, years])
    con.close()
    con = duckdb.connect(path, read_only=True)  # reconnect: pick up whatever is published now
    time.sleep(0.05)
open(out, "w").write(repr(seen))
"""


def test_reader_in_another_process_never_blocks_or_sees_half_a_load(tmp_path):
    src = _sources(tmp_path / "src", [2021, 2022])
    root = tmp_path / "data"
    with dg.instance_for_test() as instance:
        assert materialize_years([2021], root, [str(src)], progress=False, instance=instance).success
        out = tmp_path / "seen.txt"
        reader = subprocess.Popen([sys.executable, "-c", READER, str(root / "warehouse" / "warehouse.duckdb"),
                                   str(out), "120"])
        try:
            time.sleep(1)
            result = materialize_years([2022], root, [str(src)], progress=False, instance=instance)
            assert result.success, failures(result)
        finally:
            reader.wait(timeout=60)
    assert reader.returncode == 0
    seen = {tuple(s) for s in eval(out.read_text())}  # noqa: S307 - our own repr
    assert seen <= {(2, 2 * 154, "2021"), (4, 4 * 154, "2021,2022")}, seen
    assert (4, 4 * 154, "2021,2022") in seen
