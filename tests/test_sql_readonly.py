"""`gongkai sql` reads the warehouse and nothing else: no change, no file written or read, no ATTACH,
no extension, no setting; and an analyst's open connection never makes a run fail."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from gongkai.cli import main
from pipeline.load import warehouse

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "raw"
REPORT = CORPUS / "heilongjiang_shuangyashan_baoshan_2021.txt"


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ro") / "data"
    assert main(["ingest", str(REPORT), "--data-dir", str(root)]) == 0
    return root


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


@pytest.mark.parametrize("query", [
    "DELETE FROM reports",
    "UPDATE fees SET value = 0",
    "DROP TABLE reports",
    "CREATE TABLE x AS SELECT 1",
    "COPY reports TO '{out}/x.csv'",
    "COPY (SELECT 1) TO '{out}/x.parquet' (FORMAT parquet)",
    "ATTACH '{out}/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET memory_limit = '1GB'",
    "SELECT * FROM read_csv('{report}')",
    "SELECT * FROM read_text('/etc/passwd')",
])
def test_sql_refuses_anything_but_reading(root, tmp_path, capsys, query):
    published = root / warehouse.WAREHOUSE_FILE
    before, files_before = _digest(published), _files(root) | _files(tmp_path)
    capsys.readouterr()
    code = main(["sql", query.format(out=tmp_path, report=REPORT), "--data-dir", str(root)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("gongkai sql: failed: the warehouse is read-only to `gongkai sql`")
    assert _digest(published) == before
    assert _files(root) | _files(tmp_path) == files_before  # nothing appeared on disk


@pytest.mark.parametrize("query", ["DELETE FROM reports", "COPY reports TO 'x.csv'"])
def test_refusals_name_read_only(root, capsys, query, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["sql", query, "--data-dir", str(root)]) == 1
    assert "read-only" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_reading_still_works(root, capsys):
    capsys.readouterr()
    assert main(["sql", "SELECT count(*) AS n FROM reports", "--data-dir", str(root), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "1"]


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
con.execute("SELECT count(*) FROM reports").fetchall()
print("open", flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_an_open_analyst_connection_never_stops_a_load(tmp_path, mode):
    root = tmp_path / "data"
    assert main(["ingest", str(REPORT), "--data-dir", str(root)]) == 0
    published = root / warehouse.WAREHOUSE_FILE
    analyst = subprocess.Popen([sys.executable, "-c", HOLD, str(published), mode], stdout=subprocess.PIPE, text=True)
    try:
        assert analyst.stdout is not None and analyst.stdout.readline().strip() == "open"
        assert main(["ingest", str(CORPUS / "jiangsu_huaian_hongze_2023.pdf"), "--data-dir", str(root)]) == 0
    finally:
        analyst.kill()
        analyst.wait()
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == 2
