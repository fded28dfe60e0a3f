"""Parsed rows -> one long DataFrame per fact table, in the codes of SCHEMA.md; a report's whole result."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipeline.parse.describe import ReportMeta
from pipeline.parse.rows import Parsed
from pipeline.parse.rules import Violation
from pipeline.parse.templates import FACT_DIMS, FACT_TABLES


@dataclass
class ReportResult:
    """Everything the warehouse stores about one report."""

    report_id: str
    source_uri: str
    format: str
    meta: ReportMeta | None
    agency_id: str | None
    status: str
    facts: dict[str, pd.DataFrame] = field(default_factory=dict)
    issues: list[Violation] = field(default_factory=list)
    pages: int = 0

    @property
    def n_facts(self) -> int:
        return count_facts(self.facts)


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
