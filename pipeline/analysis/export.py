"""Every table and view of the warehouse as one file each, for other tools, with a manifest."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from pipeline.analysis.catalog import columns, tables
from pipeline.load.contract import SCHEMA_VERSION

MANIFEST = "manifest.json"


def export(con: duckdb.DuckDBPyConnection, out: Path, fmt: str) -> list[Path]:
    """Every table and view of the warehouse as one file each, and `manifest.json`: each file's table,
    columns (type and meaning), row count, and the contract's schema version."""
    out.mkdir(parents=True, exist_ok=True)
    written, entries = [], []
    for name, kind, rows, description in tables(con).itertuples(index=False):
        target = out / f"{name}.{fmt}"
        options = "(FORMAT parquet)" if fmt == "parquet" else "(FORMAT csv, HEADER true)"
        con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{target}' {options}")
        written.append(target)
        entries.append({"name": name, "kind": kind, "file": target.name, "rows": int(rows), "description": description,
                        "columns": columns(con, name).to_dict("records")})
    manifest = {"schema_version": SCHEMA_VERSION, "format": fmt,
                "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "tables": entries}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return written
