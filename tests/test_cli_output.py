"""What the command line prints for analysts: SQL results as DuckDB's client renders them, the tables'
meanings, an export's manifest, versions and help, on a warehouse loaded from generated reports."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import random
import unicodedata

import pytest

from gongkai.cli import build_parser, main
from pipeline.load import warehouse
from pipeline.load.contract import COLUMN_MEANINGS
from pipeline.synth.generate import SAMPLE_BODIES, make_report, render_text


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    base = tmp_path_factory.mktemp("out")
    for year in (2023, 2024):
        for i, body in enumerate(SAMPLE_BODIES[:2]):
            (base / f"r{i}_{year}.txt").write_bytes(render_text(make_report(body, year, random.Random(year + i))))
    root = base / "data"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["ingest", str(base), "--data-dir", str(root)]) == 0
    return root


def _out(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_sql_prints_null_and_integers_as_duckdb_does(data, capsys):
    out = _out(capsys, "sql", "SELECT NULL AS a, 53 AS n", "--data-dir", str(data))
    (row,) = [line for line in out.splitlines() if "53" in line]
    assert row.split("│")[1:3] == [" NULL   ", "    53 "] and "NaN" not in out and "53.0" not in out
    assert "int32" in out  # the types under the names, as DuckDB's client shows them
    rows = list(csv.reader(io.StringIO(_out(capsys, "sql", "SELECT NULL AS a, 53 AS n, 0.5 AS s, true AS b",
                                            "--data-dir", str(data), "--format", "csv"))))
    assert rows == [["a", "n", "s", "b"], ["", "53", "0.5", "true"]]
    assert json.loads(_out(capsys, "sql", "SELECT NULL AS a, 53 AS n", "--data-dir", str(data), "--format", "json")) \
        == [{"a": None, "n": 53}]


def test_sql_shows_40_rows_as_duckdbs_client_unless_asked(data, capsys):
    query = "SELECT range AS i FROM range(100)"
    assert "100 rows" in _out(capsys, "sql", query, "--data-dir", str(data))
    everything = _out(capsys, "sql", query, "--data-dir", str(data), "--max-rows", "0")
    assert all(f"│ {i:>5} │" in everything for i in range(100))


def test_sql_from_a_file(data, tmp_path, capsys):
    query = tmp_path / "q.sql"
    query.write_text("-- reports by year\nSELECT year, count(*) AS n FROM reports GROUP BY ALL ORDER BY 1;\n")
    assert _out(capsys, "sql", "--file", str(query), "--data-dir", str(data), "--format", "csv") == "year,n\n2023,2\n2024,2\n"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_tables_lists_every_table_and_view_and_a_tables_columns_with_meanings(data, capsys):
    out = _out(capsys, "tables", "--data-dir", str(data))
    names = {line.split()[0] for line in out.splitlines()[1:]}
    assert set(warehouse.table_columns()) | {"current_reports", "coverage", "rollups"} <= names
    out = _out(capsys, "tables", "outcomes", "--data-dir", str(data))
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["report_id", "agency_id", "year", "applicant", "outcome", "value"]
    assert "withheld.state_secret 属于国家秘密" in out
    meaning = lines[0].index("meaning")  # meanings start in one display column, CJK or not
    assert all(_width(line[:line.index(m)]) == meaning for line, m in
               zip(lines[1:], (COLUMN_MEANINGS["outcomes"][c][:10] for c in
                               ("report_id", "agency_id", "year", "applicant", "outcome", "value")), strict=True))


def test_export_writes_a_manifest_of_tables_columns_rows_and_schema_version(data, tmp_path, capsys):
    _out(capsys, "export", str(tmp_path / "x"), "--data-dir", str(data))
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] and manifest["format"] == "parquet"
    by_name = {t["name"]: t for t in manifest["tables"]}
    assert by_name["reports"]["rows"] == 4 and by_name["reports"]["kind"] == "table"
    assert by_name["coverage"]["kind"] == "view"
    assert {c["column"] for c in by_name["outcomes"]["columns"]} >= {"applicant", "outcome", "value"}
    assert all(c["meaning"] for c in by_name["outcomes"]["columns"])
    assert all((tmp_path / "x" / t["file"]).is_file() for t in manifest["tables"])


def test_version_and_help_for_users(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "gongkai 0.1.0"
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "gongkai sql" in out and "Exit codes" in out
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():  # every option and argument of every command says what it is
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, (name, action.dest)
