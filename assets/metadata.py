"""Dagster's standard metadata for the warehouse's assets: table name, column schema (the contract's
meanings), row counts, and each partition's own figures in a run over many partitions."""

from __future__ import annotations

import dagster as dg
import duckdb
import pandas as pd

from assets.partitions import partition_of
from pipeline.load.contract import TABLE_DESCRIPTIONS, column_meaning

WAREHOUSE_CATALOG = "warehouse"  # DuckDB names a database after its file: warehouse.duckdb

TABLE_KINDS = {"duckdb", "pandas"}  # the loaders read staged Parquet with pandas and replace rows in DuckDB
Counts = dict[tuple[int, str], int]  # (year, shard) -> rows


def describe(table: str) -> str:
    return f"{TABLE_DESCRIPTIONS[table]} Table `{table}` of the warehouse (SCHEMA.md)."


def table_schema(con: duckdb.DuckDBPyConnection, table: str) -> dg.TableSchema:
    columns = con.execute(f"DESCRIBE {table}").fetchall()
    return dg.TableSchema(columns=[dg.TableColumn(name, kind.lower(), description=column_meaning(table, name))
                                   for name, kind, *_ in columns])


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, rows: int) -> dict[str, object]:
    """What every table asset's materialisation says: where the table is, its columns, its rows."""
    return {"dagster/table_name": f"{WAREHOUSE_CATALOG}.main.{table}",
            "dagster/column_schema": table_schema(con, table),
            "dagster/row_count": rows}


def year_rows(con: duckdb.DuckDBPyConnection, table: str, years: list[int], column: str = "year") -> int:
    wanted = ",".join(str(int(y)) for y in years) or "NULL"
    return con.execute(f"SELECT count(*) FROM {table} WHERE {column} IN ({wanted})").fetchall()[0][0]


def per_partition(context, asset: str, counts: Counts, previews: dict[tuple[int, str], pd.DataFrame] | None = None,
                  **extra: object) -> None:
    """Each partition of the run gets its own row count (and preview): one run over many partitions
    would otherwise give every partition the whole run's figures."""
    for key in context.partition_keys:
        year, shard = partition_of(key)
        metadata: dict[str, object] = {"dagster/row_count": int(counts.get((year, shard), 0)), **extra}
        if previews is not None:
            frame = previews.get((year, shard))
            metadata["preview"] = dg.MetadataValue.md(_preview(frame))
        context.add_asset_metadata(metadata, asset_key=asset, partition_key=key)


def _preview(frame: pd.DataFrame | None) -> str:
    if frame is None or not len(frame):
        return "(no rows)"
    return frame.head(10).drop(columns=["report_id", "agency_id"], errors="ignore").to_markdown(index=False)


def check_metadata(failing: list[dict]) -> dict[str, object]:
    """A check's failing cases, and how many in each of the run's report years."""
    by_year: dict[str, int] = {}
    for case in failing:
        if case.get("year") is not None:
            by_year[str(case["year"])] = by_year.get(str(case["year"]), 0) + 1
    return {"failing": dg.MetadataValue.json(failing[:200]), "failing_count": len(failing),
            "failing_by_year": dg.MetadataValue.json(by_year)}


def check_result(outcome, asset: str, blocking_severity: bool = True) -> dg.AssetCheckResult:
    """A check's plain outcome (pipeline.load.checks.CheckOutcome) as Dagster's result."""
    return dg.AssetCheckResult(
        check_name=outcome.name, asset_key=asset, passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if blocking_severity else dg.AssetCheckSeverity.WARN,
        description=outcome.description, metadata=check_metadata(outcome.failing))
