"""Parsed rows -> one long DataFrame per fact table, in the codes of SCHEMA.md; a report's whole result."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.load.identity import Identity
from pipeline.parse.describe import ReportMeta
from pipeline.parse.rows import Parsed
from pipeline.parse.rules import Violation
from pipeline.parse.templates import FACT_DIMS, FACT_TABLES

FactRows = dict[str, list[tuple]]  # fact table -> (dims..., value) per fact, in FACT_DIMS order


@dataclass
class ReportResult:
    """Everything the warehouse stores about one report. Its facts travel as plain rows (cheap to send
    from a worker); `facts` gives them as DataFrames in the SCHEMA.md columns."""

    report_id: str
    source_uri: str
    format: str
    meta: ReportMeta | None
    agency_id: str | None
    status: str
    fact_rows: FactRows = field(default_factory=dict)
    issues: list[Violation] = field(default_factory=list)
    pages: int = 0
    read_by: str = "text"  # "ocr": every number read from page images (a scanned PDF)
    identity: Identity | None = None  # who the body is, worked out where the report was parsed
    covers: str | None = None  # "region": a government's report that sums its region's bodies; else "own"
    text_signature: list[int] | None = None  # MinHash of the prose (parse.narrative): text repeated elsewhere
    stated_requests: int | None = None  # applications the prose says were received

    @property
    def n_facts(self) -> int:
        return sum(len(rows) for rows in self.fact_rows.values())

    @property
    def facts(self) -> dict[str, pd.DataFrame]:
        return fact_frames([self])


def fact_rows(parsed: Parsed) -> FactRows:
    rows: FactRows = {table: [] for table in FACT_TABLES}
    for reading in parsed.readings.values():
        row = reading.row
        for column, value in zip(row.columns, reading.values, strict=True):
            if value is None:
                continue  # a cell whose readings differ: left out, listed in report_issues
            dims = {**row.dims, **column.dims}
            rows[row.table].append((*(dims.get(d) for d in FACT_DIMS[row.table]), value))
    return rows


def fact_frames(results: list[ReportResult]) -> dict[str, pd.DataFrame]:
    """One frame per fact table for all these reports, built once per table (not once per report)."""
    frames = {}
    for table, value_type in FACT_TABLES.items():
        ids, agencies, years, rows = [], [], [], []
        for r in results:
            mine = r.fact_rows.get(table) or ()
            ids += [r.report_id] * len(mine)
            agencies += [r.agency_id] * len(mine)
            years += [r.meta.year if r.meta else None] * len(mine)
            rows += mine
        dims = FACT_DIMS[table]
        columns = list(zip(*rows, strict=True)) if rows else [()] * (len(dims) + 1)
        frames[table] = pd.DataFrame({
            "report_id": _objects(ids), "agency_id": _objects(agencies), "year": pd.array(years, dtype="Int64"),
            **{d: _objects(list(columns[i])) for i, d in enumerate(dims)},
            "value": np.asarray(columns[-1], dtype="float64" if value_type == "DOUBLE" else "int64"),
        })
    return frames


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out
