"""Data checks on a loaded report year, as plain results; `assets/` turns them into asset checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

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


def one_metric_row(con: duckdb.DuckDBPyConnection, years: list[int]) -> CheckOutcome:
    rows = con.execute(f"""
        SELECT agency_id, year, metric, count(*) AS rows FROM yoy_metrics WHERE year IN ({_years(years)})
        GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL LIMIT 500""").fetchdf()
    return CheckOutcome("one_row_per_metric", rows.empty, "one row per agency, year and metric",
                        rows.to_dict("records"))


def prior_is_last_year(con: duckdb.DuckDBPyConnection, years: list[int]) -> CheckOutcome:
    """A prior_value is the same body's value of the year before (NULL is allowed: templates that
    define a metric differently are not compared)."""
    rows = con.execute(f"""
        SELECT y.agency_id, y.year, y.metric, y.prior_value, p.value AS last_year_value
        FROM yoy_metrics y LEFT JOIN yoy_metrics p
          ON p.agency_id = y.agency_id AND p.metric = y.metric AND p.year = y.year - 1
        WHERE y.year IN ({_years(years)}) AND y.prior_value IS NOT NULL AND y.prior_value IS DISTINCT FROM p.value
        ORDER BY ALL LIMIT 500""").fetchdf()
    return CheckOutcome("prior_is_last_year", rows.empty, "prior_value equals the same body's value a year before",
                        rows.to_dict("records"))


# Reports are due by 31 January (departments) and 31 March (governments): in the weeks after, new
# reports of the year just ended should keep arriving
PUBLICATION_SEASON = (2, 3, 4)
FRESH_DAYS = 14


def reports_arriving(con: duckdb.DuckDBPyConnection, today: dt.date, days: int = FRESH_DAYS) -> CheckOutcome:
    year = today.year - 1
    if today.month not in PUBLICATION_SEASON:
        return CheckOutcome("reports_arriving", True, f"outside the publication season (February to April): "
                            f"not checked on {today}")
    n = con.execute("SELECT count(*) FROM reports WHERE year = ? AND ingested_at >= ?",
                    [year, today - dt.timedelta(days=days)]).fetchall()[0][0]
    return CheckOutcome("reports_arriving", n > 0, f"new reports of {year} loaded within {days} days of {today}",
                        [] if n else [{"year": year, "new_reports": 0, "since": str(today - dt.timedelta(days=days))}])


def documents_archived(con: duckdb.DuckDBPyConnection, root: Path) -> CheckOutcome:
    """Every document row's bytes are in the raw archive, and each (bytes, URL) is listed once."""
    failing = [{"raw_path": p, "problem": "missing from the archive"} for (p,) in con.execute(
        "SELECT DISTINCT raw_path FROM raw_documents WHERE raw_path IS NOT NULL").fetchall()
        if not (root / p if not Path(p).is_absolute() else Path(p)).is_file()]
    failing += con.execute("""
        SELECT url, sha256, count(*) AS rows, 'listed more than once' AS problem FROM raw_documents
        WHERE sha256 IS NOT NULL GROUP BY url, sha256 HAVING count(*) > 1 LIMIT 200""").fetchdf().to_dict("records")
    return CheckOutcome("documents_archived", not failing,
                        "every document's bytes are archived, and each (bytes, URL) is listed once", failing[:200])


def a_card_per_current_report(con: duckdb.DuckDBPyConnection, years: list[int]) -> CheckOutcome:
    rows = con.execute(f"""
        SELECT r.report_id, r.agency_name, r.year, count(c.report_id) AS cards FROM current_reports r
        LEFT JOIN scorecards c USING (report_id) WHERE r.year IN ({_years(years)})
        GROUP BY ALL HAVING count(c.report_id) <> 1 ORDER BY ALL LIMIT 200""").fetchdf()
    return CheckOutcome("a_card_per_current_report", rows.empty, "every current report has one scorecard",
                        rows.to_dict("records"))
