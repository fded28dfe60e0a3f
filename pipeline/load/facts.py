"""Parsed rows -> one long DataFrame per fact table, in the codes of SCHEMA.md."""

from __future__ import annotations

import pandas as pd

from pipeline.parse import Parsed
from pipeline.templates import FACT_DIMS, FACT_TABLES


def fact_frames(parsed: Parsed, report_id: str, agency_id: str | None, year: int | None) -> dict[str, pd.DataFrame]:
    records: dict[str, list[dict]] = {table: [] for table in FACT_TABLES}
    for reading in parsed.readings.values():
        row = reading.row
        for column, value in zip(row.columns, reading.values, strict=True):
            records[row.table].append({**row.dims, **column.dims, "value": value})
    frames = {}
    for table, rows in records.items():
        columns = ["report_id", "agency_id", "year", *FACT_DIMS[table], "value"]
        frame = pd.DataFrame(rows, columns=[*FACT_DIMS[table], "value"])
        frame.insert(0, "report_id", report_id)
        frame.insert(1, "agency_id", agency_id)
        frame.insert(2, "year", year)
        dtype = "float64" if FACT_TABLES[table] == "DOUBLE" else "int64"
        frames[table] = frame[columns].astype({"value": dtype, "year": "Int64"})
    return frames


def count_facts(frames: dict[str, pd.DataFrame]) -> int:
    return sum(len(f) for f in frames.values())
