"""The DuckDB warehouse of SCHEMA.md: DDL and one transaction per report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.process import ReportResult
from pipeline.rules import INCOMPLETE_RULES, NOTE_RULES
from pipeline.templates import FACT_DIMS, FACT_TABLES

WAREHOUSE_FILE = Path("warehouse") / "warehouse.duckdb"


def _ddl() -> list[str]:
    statements = [
        """CREATE TABLE IF NOT EXISTS reports (
            report_id VARCHAR PRIMARY KEY, agency_id VARCHAR, agency_name VARCHAR, year INTEGER,
            template VARCHAR, source_uri VARCHAR, format VARCHAR, status VARCHAR, superseded_by VARCHAR,
            title VARCHAR, province VARCHAR, city VARCHAR, county VARCHAR, pages INTEGER, n_facts INTEGER,
            raw_path VARCHAR, ingested_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS agencies (
            agency_id VARCHAR PRIMARY KEY, name VARCHAR, province VARCHAR, city VARCHAR, county VARCHAR,
            adcode VARCHAR, level VARCHAR, parent_id VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS report_issues (
            report_id VARCHAR, rule VARCHAR, detail VARCHAR, severity VARCHAR)""",
    ]
    for table, value_type in FACT_TABLES.items():
        dims = ", ".join(f"{d} VARCHAR" for d in FACT_DIMS[table])
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} (report_id VARCHAR, agency_id VARCHAR, "
                          f"year INTEGER, {dims}, value {value_type})")
    return statements


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if read_only:
        if not path.exists():
            raise FileNotFoundError(f"no warehouse at {path}: run `gongkai ingest` first")
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    for statement in _ddl():
        con.execute(statement)
    return con


def has_report(con: duckdb.DuckDBPyConnection, report_id: str) -> str | None:
    """The stored status of this exact version, or None."""
    row = con.execute("SELECT status FROM reports WHERE report_id = ?", [report_id]).fetchone()
    return row[0] if row else None


def _level(name: str | None, county: str | None, city: str | None, province: str | None) -> str | None:
    if name and any(name.endswith(s) for s in ("局", "委", "委员会", "厅", "办", "办公室", "中心", "院")):
        return "department"
    if name and any(name.endswith(s) for s in ("镇", "乡", "街道", "街道办事处", "镇人民政府", "乡人民政府")):
        return "township"
    if county:
        return "county"
    if city:
        return "city"
    return "province" if province else None


def load_report(con: duckdb.DuckDBPyConnection, result: ReportResult, raw_path: str | None) -> None:
    """Replace this version's rows and supersede older versions of the same agency and year, atomically."""
    meta = result.meta
    region = meta.region if meta else None
    con.execute("BEGIN TRANSACTION")
    try:
        for table in ("reports", "report_issues", *FACT_TABLES):
            con.execute(f"DELETE FROM {table} WHERE report_id = ?", [result.report_id])
        con.execute(
            "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
            [result.report_id, result.agency_id, meta and meta.agency_name, meta and meta.year,
             meta.template if meta else "unknown", result.source_uri, result.format, result.status,
             meta and meta.title, region and region.province, region and region.city, region and region.county,
             result.pages, result.n_facts, raw_path, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
        )
        if result.agency_id and meta:
            level = _level(meta.agency_name, region.county, region.city, region.province)
            con.execute(
                """INSERT INTO agencies VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
                   ON CONFLICT (agency_id) DO UPDATE SET name = excluded.name,
                     adcode = coalesce(excluded.adcode, agencies.adcode)""",
                [result.agency_id, meta.agency_name, region.province, region.city, region.county,
                 region.adcode, level],
            )
        issues = pd.DataFrame(
            [(result.report_id, i.rule, i.detail, _severity(i.rule)) for i in result.issues],
            columns=["report_id", "rule", "detail", "severity"],
        )
        if len(issues):
            con.register("issues_df", issues)
            con.execute("INSERT INTO report_issues SELECT * FROM issues_df")
            con.unregister("issues_df")
        for table, frame in result.facts.items():
            if len(frame):
                con.register("facts_df", frame)
                con.execute(f"INSERT INTO {table} SELECT * FROM facts_df")
                con.unregister("facts_df")
        if result.agency_id and meta and meta.year is not None and result.status != "failed":
            con.execute(
                """UPDATE reports SET superseded_by = ? WHERE agency_id = ? AND year = ? AND report_id <> ?
                   AND superseded_by IS NULL AND status <> 'failed'""",
                [result.report_id, result.agency_id, meta.year, result.report_id],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _severity(rule: str) -> str:
    if rule in NOTE_RULES:
        return "note"
    return "warning" if rule in INCOMPLETE_RULES or rule.startswith("table") else "error"
