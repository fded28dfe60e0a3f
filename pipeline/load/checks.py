"""Data checks on a loaded report year, as plain results; `assets/` turns them into asset checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

CONSISTENCY_RULES = ("table3_applicant_total", "table3_balance", "table3_outcome_total", "table4_total")


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    description: str
    failing: list[dict] = field(default_factory=list)  # which reports fail, and why


def _years(years: list[int]) -> str:
    return ", ".join(str(int(y)) for y in years) or "NULL"


def consistency(con: duckdb.DuckDBPyConnection, years: list[int], rule: str) -> CheckOutcome:
    rows = con.execute(f"""
        SELECT r.report_id, r.agency_name, r.year, string_agg(i.detail, '; ') AS detail
        FROM report_issues i JOIN reports r USING (report_id)
        WHERE i.rule = ? AND r.year IN ({_years(years)}) GROUP BY ALL ORDER BY r.year, r.agency_name""",
        [rule]).fetchdf()
    return CheckOutcome(rule, rows.empty, f"every report satisfies {rule}", rows.to_dict("records"))


def failed_reports(con: duckdb.DuckDBPyConnection, years: list[int]) -> CheckOutcome:
    rows = con.execute(f"""
        SELECT r.report_id, r.source_uri, r.year, string_agg(i.rule, ', ') AS rules
        FROM reports r LEFT JOIN report_issues i USING (report_id)
        WHERE r.status = 'failed' AND r.year IN ({_years(years)}) GROUP BY ALL ORDER BY r.source_uri""").fetchdf()
    return CheckOutcome("no_failed_reports", rows.empty, "no report of these years failed to load",
                        rows.to_dict("records"))


def one_current_version(con: duckdb.DuckDBPyConnection, years: list[int]) -> CheckOutcome:
    rows = con.execute(f"""
        SELECT agency_id, year, count(*) AS current_versions, list(source_uri) AS sources FROM reports
        WHERE superseded_by IS NULL AND status <> 'failed' AND agency_id IS NOT NULL AND year IN ({_years(years)})
        GROUP BY agency_id, year HAVING count(*) > 1""").fetchdf()
    return CheckOutcome("one_current_version", rows.empty,
                        "each body has one current report per year (two would be counted twice)",
                        rows.astype({"sources": str}).to_dict("records"))


def years_have_facts(reports: pd.DataFrame, facts: dict[str, pd.DataFrame], years: list[int]) -> CheckOutcome:
    failing = []
    for year in years:
        n_reports = int((reports["year"] == year).sum()) if len(reports) else 0
        n_facts = sum(int((f["year"] == year).sum()) for f in facts.values() if len(f))
        if n_reports and not n_facts:
            failing.append({"year": year, "reports": n_reports, "facts": 0})
    return CheckOutcome("year_has_facts", not failing, "every year with reports has facts", failing)


def facts_reference_reports(con: duckdb.DuckDBPyConnection, table: str, years: list[int]) -> CheckOutcome:
    rows = con.execute(f"""
        SELECT f.report_id, f.year, count(*) AS facts FROM {table} f LEFT JOIN reports r USING (report_id)
        WHERE f.year IN ({_years(years)}) AND (r.report_id IS NULL OR r.year <> f.year) GROUP BY ALL""").fetchdf()
    return CheckOutcome("facts_reference_reports", rows.empty, f"every {table} row belongs to a loaded report of its year",
                        rows.to_dict("records"))
