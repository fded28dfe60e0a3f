"""Beyond one process: a two-year backfill on Dagster's celery executor, two workers, a real Redis broker
and PostgreSQL instance storage (all started here on 127.0.0.1), equal row for row to the in-process run.

Skipped, saying why, only where redis-server or PostgreSQL is not installed (`.ci/run` installs both).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.partitions import range_tags
from assets.run import failures, materialize_years
from pipeline.synth.generate import write_sample

pytest.importorskip("dagster_celery", reason="the distributed extra is not installed: pip install -e '.[distributed]'")
pytest.importorskip("dagster_postgres", reason="the distributed extra is not installed: pip install -e '.[distributed]'")

ROOT = Path(__file__).resolve().parents[1]
YEARS = [2021, 2022]
# columns that say when or where, not what: they differ between any two runs
VOLATILE = {"ingested_at", "fetched_at", "checked_at", "raw_path", "source_uri", "url", "referer"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    return found


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user Debian's package creates."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed: apt-get install redis-server")
    port = _free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def postgres_url():
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed: apt-get install postgresql")
    base = Path(tempfile.mkdtemp(prefix="gongkai-pg-"))  # outside pytest's root-only folder: postgres reads it
    os.chmod(base, 0o755)
    data = base / "pg"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = _free_port()
    subprocess.run(_as_postgres([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
                   check=True, capture_output=True)
    # the server inherits pg_ctl's output: a log file, never a pipe this process would wait on for ever
    subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-l", str(data / "server.log"), "-o",
                                 f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data}",
                                 "-w", "-t", "60", "start"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=90)
    try:
        _wait_port(port)
        subprocess.run(_as_postgres([_pg_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(port),
                                     "-U", "postgres", "dagster"]), check=True, capture_output=True)
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/dagster"  # SQLAlchemy 2.1 would pick psycopg 3
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "stop"]), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def _instance_home(home: Path, postgres_url: str) -> Path:
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(f"""
storage:
  postgres:
    postgres_url: "{postgres_url}"
local_artifact_storage:
  module: dagster._core.storage.root
  class: LocalArtifactStorage
  config:
    base_dir: {home}
compute_logs:
  module: dagster._core.storage.local_compute_log_manager
  class: LocalComputeLogManager
  config:
    base_dir: {home}/logs
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
""", encoding="utf-8")
    return home


def _workers(broker: str, n: int, log_dir: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        log = (log_dir / f"worker{i}.log").open("w")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dagster_celery.app", "-b", broker, "--result-backend", broker,
             "worker", "-Q", "dagster", "-P", "solo", "-n", f"w{i}@127.0.0.1", "--prefetch-multiplier", "1",
             "-O", "fair", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-l", "INFO"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return procs


def _tables(path: Path) -> dict[str, list[tuple]]:
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall()]
        for name in names:
            cols = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] not in VOLATILE]
            rows = con.execute(f"SELECT {', '.join(cols)} FROM {name}").fetchall()
            out[name] = sorted(rows, key=repr)
    return out


def _worker_hosts(logs: Path) -> set[str]:
    """Which workers ran at least one step (celery logs each task it receives)."""
    return {p.stem for p in logs.glob("worker*.log") if "Task dagster_celery" in p.read_text(errors="replace")
            or "execute_plan" in p.read_text(errors="replace")}


def test_celery_backfill_with_postgres_equals_the_in_process_run(tmp_path, redis_url, postgres_url):
    from assets import distributed

    registry = str(write_sample(tmp_path / "site", years=range(2020, 2023)))  # one site, the same bytes for both
    local = tmp_path / "local"
    with dg.instance_for_test() as instance:
        result = materialize_years(YEARS, local, [registry], progress=False, instance=instance)
        assert result.success, failures(result)

    home = _instance_home(tmp_path / "dagster_home", postgres_url)
    remote = tmp_path / "celery"
    logs = tmp_path / "logs"
    logs.mkdir()
    workers = _workers(redis_url, 2, logs)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            run_config = {
                "execution": {"config": {"broker": redis_url, "backend": redis_url}},
                "resources": {"gongkai": {"config": {"data_dir": str(remote), "sources": [registry], "progress": False,
                                                     "steps": 4}}},
            }
            tags = range_tags(YEARS)
            with dg.execute_job(dg.reconstructable(distributed.job), instance=instance, run_config=run_config,
                                tags=tags, raise_on_error=False) as run:
                assert run.success, [e.message for e in run.all_events if e.is_failure][:5]
                steps = {e.step_key for e in run.all_events if e.event_type_value == "STEP_SUCCESS"}
                metadata = {}
                for e in run.all_events:
                    if e.event_type_value == "ASSET_MATERIALIZATION":
                        m = e.event_specific_data.materialization
                        metadata.setdefault(m.asset_key.to_user_string(), m.metadata)
            stored = instance.get_run_by_id(run.run_id)
            assert stored is not None and stored.is_success  # the run's record is in PostgreSQL
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert {"reports", "yoy_metrics"} <= steps
    crawls = [s for s in steps if s.startswith("raw_documents.crawl[")]
    parses = [s for s in steps if s.startswith("parsed_reports.parse[")]
    assert len(crawls) == len(parses) == 4, steps  # the 4 shards in 4 groups: one crawl and one parse step each
    assert len(_worker_hosts(logs)) == 2, "both workers should have taken steps"
    crawled_by = {g["worker"] for g in metadata["raw_documents"]["crawl_steps"].value}
    parsed_by = {g["worker"] for g in metadata["parsed_reports"]["parse_steps"].value}
    assert len(crawled_by) == 2 and len(parsed_by) == 2, (crawled_by, parsed_by)  # shards spread over both
    for year in YEARS:
        assert any((remote / "staging" / str(year)).iterdir()), f"no Parquet staging for {year}"
    mine, theirs = _tables(local / "warehouse" / "warehouse.duckdb"), _tables(remote / "warehouse" / "warehouse.duckdb")
    assert set(mine) == set(theirs)
    for table in mine:
        assert mine[table] == theirs[table], f"{table} differs between the in-process and the celery run"
    assert sum(len(rows) for rows in mine.values()) > 1000
