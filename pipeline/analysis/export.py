"""Every table and view of the warehouse as one file each, for other tools."""

from __future__ import annotations

from pathlib import Path

import duckdb


def export(con: duckdb.DuckDBPyConnection, out: Path, fmt: str) -> list[Path]:
    """Every table and view of the warehouse as one file each."""
    out.mkdir(parents=True, exist_ok=True)
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
    written = []
    for name in names:
        target = out / f"{name}.{fmt}"
        options = "(FORMAT parquet)" if fmt == "parquet" else "(FORMAT csv, HEADER true)"
        con.execute(f"COPY (SELECT * FROM {name}) TO '{target}' {options}")
        written.append(target)
    return written

