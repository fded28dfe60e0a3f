"""A warehouse's worth of synthetic facts, written straight into DuckDB (no rendering, no parsing).

For measuring what runs over the whole warehouse (yoy_metrics, views) at national scale: every report
carries every fact its template declares, with seeded pseudo-random values, so the metrics have real
work to do. Reports follow the template of their year (2019 for 2019–2020, 2021 after).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.parse.templates import FACT_DIMS, FACT_TABLES, TEMPLATES

FIRST, LAST = 2019, 2025


def template_skeleton(table: str) -> pd.DataFrame:
    """Every (template, dims) cell a template declares for one fact table."""
    rows = []
    for code, template in TEMPLATES.items():
        for row in template.rows():
            if row.table != table:
                continue
            for column in row.columns:
                rows.append({"template": code, **{d: None for d in FACT_DIMS[table]}, **row.dims, **column.dims})
    return pd.DataFrame(rows, columns=["template", *FACT_DIMS[table]]).drop_duplicates()


def write_facts_only(con: duckdb.DuckDBPyConnection, n_reports: int, seed: int = 0) -> dict[str, int]:
    """About `n_reports` reports (bodies × the years 2019–2025) with all their facts; returns row counts."""
    years = LAST - FIRST + 1
    bodies = max(1, n_reports // years)
    con.execute(f"""
        INSERT INTO agencies (agency_id, name, province, city, county, adcode, level, parent_id, canonical_name)
        SELECT 'ag_s' || b, '合成县' || b || '人民政府', '合成省', '合成市' || (b // 20), '合成县' || b,
               NULL, 'county', NULL, '合成县' || b
        FROM range({bodies}) t(b)""")
    con.execute(f"""
        INSERT INTO reports (report_id, agency_id, agency_name, year, template, source_uri, format, status,
                             superseded_by, title, province, city, county, pages, n_facts, raw_path, ingested_at)
        SELECT md5('{seed}:' || b || ':' || y), 'ag_s' || b, '合成县' || b || '人民政府', y,
               CASE WHEN y < 2021 THEN '2019' ELSE '2021' END, 'synthetic:' || b || '/' || y, 'txt', 'ok',
               NULL, NULL, '合成省', '合成市' || (b // 20), '合成县' || b, 1, 0, NULL,
               make_timestamp(y + 1, 1, 20, 0, 0, 0)
        FROM range({bodies}) t(b), range({FIRST}, {LAST + 1}) u(y)""")
    counts = {"reports": bodies * years}
    for table, value_type in FACT_TABLES.items():
        skeleton = template_skeleton(table)  # noqa: F841  (read by DuckDB by name)
        dims = FACT_DIMS[table]
        value = "(hash(r.report_id, " + ", ".join(f"s.{d}" for d in dims) + f", {seed}) % 50)"
        con.execute(f"""
            INSERT INTO {table} (report_id, agency_id, year, {', '.join(dims)}, value)
            SELECT r.report_id, r.agency_id, r.year, {', '.join(f's.{d}' for d in dims)}, {value}::{value_type}
            FROM reports r JOIN skeleton s ON s.template = r.template
            WHERE r.agency_id LIKE 'ag_s%'""")
        counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return counts
