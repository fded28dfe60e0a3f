"""What follows from the loaded reports across years: one identity per body, cross-year checks,
year-over-year metrics, and the analysts' views (coverage, rollups). Run after every load, before
publishing, by `gongkai ingest` and by the Dagster graph alike."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from pipeline.load import metrics, warehouse
from pipeline.load.deadlines import deadlines_frame
from pipeline.load.identity import CANONICAL_SUFFIX
from pipeline.load.scorecard import scorecard_frame
from pipeline.parse.templates import FACT_DIMS, FACT_TABLES

CROSS_YEAR_RULES = warehouse.DERIVED_RULES

VIEWS = {
    # a body's current version of each year's report: what every comparison uses
    "current_reports": """
        SELECT * FROM reports WHERE superseded_by IS NULL AND status <> 'failed' AND agency_id IS NOT NULL
        AND year IS NOT NULL""",
    # registered sources x report years: how many current reports each published (0 = none found)
    "coverage": """
        WITH years AS (SELECT DISTINCT year FROM reports WHERE year IS NOT NULL),
        found AS (
            SELECT d.source_id, r.year, count(DISTINCT r.report_id) AS reports
            FROM raw_documents d JOIN reports r ON r.report_id = d.sha256
            WHERE r.superseded_by IS NULL AND r.status <> 'failed' AND d.source_id IS NOT NULL GROUP BY ALL)
        SELECT s.source_id, s.name, s.region, s.level, y.year, coalesce(f.reports, 0) AS reports,
               coalesce(f.reports, 0) = 0 AS missing
        FROM sources s CROSS JOIN years y LEFT JOIN found f ON f.source_id = s.source_id AND f.year = y.year""",
    # every title each body was read under, with its years and reports: why two reports were joined
    "agency_names": """
        SELECT r.agency_id, r.agency_name AS title, a.adcode, a.level, min(r.year) AS first_year,
               max(r.year) AS last_year, list(DISTINCT r.year ORDER BY r.year) AS years,
               list(r.report_id ORDER BY r.year, r.report_id) AS report_ids, count(*) AS reports
        FROM reports r LEFT JOIN agencies a USING (agency_id)
        WHERE r.agency_id IS NOT NULL AND r.agency_name IS NOT NULL GROUP BY ALL""",
    # sums of the additive metrics by province, by city and by level of government, each body once: a
    # government's report that sums its region (covers = 'region') stands for the bodies under it, whose
    # own reports are then left out (bodies_in_region_reports says how many)
    "rollups": """
        WITH v AS (
            SELECT y.year, y.metric, y.value, a.province, a.city, a.level, c.agency_id IS NOT NULL AS in_region_report
            FROM yoy_metrics y JOIN agencies a USING (agency_id) JOIN metric_definitions m USING (metric)
            LEFT JOIN current_reports c ON c.agency_id = a.parent_id AND c.year = y.year AND c.covers = 'region'
            WHERE m.additive AND y.value IS NOT NULL)
        SELECT CASE WHEN GROUPING(city) = 0 THEN 'city' WHEN GROUPING(province) = 0 THEN 'province'
                    ELSE 'level' END AS rollup,
               province, city, level, year, metric,
               coalesce(sum(value) FILTER (WHERE NOT in_region_report), 0) AS value,
               count(*) FILTER (WHERE NOT in_region_report) AS bodies,
               count(*) FILTER (WHERE in_region_report) AS bodies_in_region_reports,
               CASE WHEN count(*) FILTER (WHERE in_region_report) > 0
                    THEN 'own reports, and region reports for the bodies they sum' ELSE 'own reports' END AS basis
        FROM v
        GROUP BY GROUPING SETS ((province, year, metric), (province, city, year, metric), (level, year, metric))""",
}


def unify_agencies(con: duckdb.DuckDBPyConnection) -> int:
    """A body read once without its province (a text dump that never names it) is the same body as the one
    with the same canonical name and a known region, when exactly one such body exists: repoint its rows."""
    pairs = con.execute("""
        WITH known AS (SELECT canonical_name, min(agency_id) AS agency_id FROM agencies WHERE province IS NOT NULL
                       GROUP BY canonical_name HAVING count(*) = 1)
        SELECT a.agency_id, k.agency_id FROM agencies a JOIN known k USING (canonical_name)
        WHERE a.province IS NULL AND a.agency_id <> k.agency_id""").fetchall()
    for old, new in pairs:
        for table in ("reports", "yoy_metrics", *FACT_TABLES):
            con.execute(f"UPDATE {table} SET agency_id = ? WHERE agency_id = ?", [new, old])
        con.execute("DELETE FROM agencies WHERE agency_id = ?", [old])
    if pairs:  # two versions of one body's year may now meet: the later one is current
        frame = con.execute("SELECT * FROM reports").fetchdf()
        marked = warehouse.mark_superseded(frame.assign(superseded_by=None))
        con.register("marked", marked[["report_id", "superseded_by"]])
        con.execute("UPDATE reports SET superseded_by = m.superseded_by FROM marked m WHERE reports.report_id = m.report_id")
        con.unregister("marked")
    return len(pairs)


def link_parents(con: duckdb.DuckDBPyConnection) -> int:
    """agencies.parent_id from the registry where the division tree gave none (a body of a place the
    gazetteer does not hold): a source's body gets the body of the source named as its `parent`."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE source_bodies AS
        SELECT DISTINCT d.source_id, r.agency_id
        FROM raw_documents d JOIN reports r ON r.report_id = d.sha256 JOIN sources s ON s.source_id = d.source_id
        JOIN agencies a ON a.agency_id = r.agency_id
        WHERE a.canonical_name = regexp_replace(s.name, '{CANONICAL_SUFFIX}', '')""")
    return con.execute("""
        UPDATE agencies SET parent_id = parent.agency_id
        FROM sources child JOIN source_bodies body ON body.source_id = child.source_id
        JOIN source_bodies parent ON parent.source_id = child.parent
        WHERE agencies.agency_id = body.agency_id AND agencies.parent_id IS NULL
          AND parent.agency_id <> body.agency_id
        """).fetchall()[0][0]


def cross_year_issues(con: duckdb.DuckDBPyConnection, years: Sequence[int]) -> pd.DataFrame:
    """Last year's 结转下年度 should be this year's 上年结转; a report identical to last year's was copied;
    a report's publication dates disagree."""
    wanted = ", ".join(str(int(y)) for y in years) or "NULL"
    carry = con.execute(f"""
        SELECT cur.report_id, 'cross_year_carry_over' AS rule,
               '上年结转 = ' || c.value || ', but the ' || prev.year || ' report carried forward '
               || p.value || ' (结转下年度)' AS detail, 'warning' AS severity, cur.year
        FROM current_reports cur
        JOIN current_reports prev ON prev.agency_id = cur.agency_id AND prev.year = cur.year - 1
        JOIN applications c ON c.report_id = cur.report_id AND c.stage = 'carried_over' AND c.applicant = 'total'
        JOIN applications p ON p.report_id = prev.report_id AND p.stage = 'carried_forward' AND p.applicant = 'total'
        WHERE cur.year IN ({wanted}) AND c.value <> p.value""").fetchdf()
    # a report's facts as one fingerprint (count and an order-free hash sum): one scan, no self-join
    facts = " UNION ALL ".join(
        f"SELECT report_id, hash('{t}', {', '.join(dims)}, CAST(value AS DOUBLE))::HUGEINT AS h FROM {t}"
        for t, dims in FACT_DIMS.items())
    copied = con.execute(f"""
        WITH pairs AS (SELECT cur.report_id AS cur_id, prev.report_id AS prev_id, cur.year, prev.year AS prev_year
                       FROM current_reports cur JOIN current_reports prev
                       ON prev.agency_id = cur.agency_id AND prev.year = cur.year - 1 WHERE cur.year IN ({wanted})),
        wanted_ids AS (SELECT cur_id AS id FROM pairs UNION SELECT prev_id FROM pairs),
        prints AS (SELECT report_id, count(*) AS n, sum(h) AS h FROM ({facts})
                   WHERE report_id IN (SELECT id FROM wanted_ids) GROUP BY report_id)
        SELECT p.cur_id AS report_id, 'cross_year_copied' AS rule,
               'all ' || a.n || ' numbers are the same as in the ' || p.prev_year || ' report' AS detail,
               'warning' AS severity, p.year
        FROM pairs p JOIN prints a ON a.report_id = p.cur_id JOIN prints b ON b.report_id = p.prev_id
        WHERE a.n > 20 AND a.n = b.n AND a.h = b.h""").fetchdf()
    # a page whose listing and labelled dates differ by more than a week (the page's is taken)
    dates = con.execute(f"""
        SELECT DISTINCT r.report_id, 'published_dates_disagree' AS rule,
               'publication dates disagree: ' || d.dates_disagree || '; the page''s is used' AS detail,
               'warning' AS severity, r.year
        FROM reports r JOIN raw_documents d ON d.sha256 = r.report_id
        WHERE r.year IN ({wanted}) AND d.dates_disagree IS NOT NULL""").fetchdf()
    return pd.concat([carry, copied, dates], ignore_index=True)


def hierarchy_issues(con: duckdb.DuckDBPyConnection, years: Sequence[int]) -> pd.DataFrame:
    """A government's report that sums its region states fewer requests than its bodies' own reports
    add up to: one of the two is wrong (or the region report does not sum what it says)."""
    wanted = ", ".join(str(int(y)) for y in years) or "NULL"
    return con.execute(f"""
        SELECT g.report_id, 'region_total_differs' AS rule,
               'the report sums its region: ' || gv.value::BIGINT || ' requests received; the ' || count(*)
               || ' bodies under it report ' || sum(cv.value)::BIGINT || ' in their own reports' AS detail,
               'warning' AS severity, g.year
        FROM current_reports g
        JOIN yoy_metrics gv ON gv.agency_id = g.agency_id AND gv.year = g.year AND gv.metric = 'requests_received'
        JOIN agencies c ON c.parent_id = g.agency_id
        JOIN yoy_metrics cv ON cv.agency_id = c.agency_id AND cv.year = g.year AND cv.metric = 'requests_received'
        WHERE g.covers = 'region' AND g.year IN ({wanted})
        GROUP BY g.report_id, g.year, gv.value HAVING gv.value < sum(cv.value)""").fetchdf()


def refresh(con: duckdb.DuckDBPyConnection, years: Sequence[int] | None = None,
            force: bool = False) -> dict[str, int]:
    """Recompute everything derived for `years` (default: all), in one transaction; nothing when no load
    changed anything since the last refresh (unless `force`)."""
    if not force and not warehouse.needs_derive(con):
        return {"agencies_unified": 0, "cross_year_issues": 0, "yoy_rows": 0, "skipped": 1}
    con.execute("BEGIN TRANSACTION")
    try:
        unified = unify_agencies(con)
        link_parents(con)
        if years is None:
            years = [y for (y,) in con.execute("SELECT DISTINCT year FROM reports WHERE year IS NOT NULL").fetchall()]
        years = sorted({int(y) for y in years} | warehouse.stale_years(con))
        affected = sorted({int(y) for y in years} | {int(y) + 1 for y in years})  # next year's comparisons change
        for name, sql in VIEWS.items():
            con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        wanted = ", ".join(map(str, affected))
        con.execute(f"DELETE FROM report_issues WHERE rule IN {CROSS_YEAR_RULES} AND year IN ({wanted})")
        issues = cross_year_issues(con, affected)
        if len(issues):
            con.register("cross_issues", issues[warehouse.table_columns()["report_issues"]])
            con.execute("INSERT INTO report_issues SELECT * FROM cross_issues")
            con.unregister("cross_issues")
        yoy_rows = warehouse.replace_years_from_query(con, "yoy_metrics", affected, metrics.yoy_sql(affected))
        hierarchy = hierarchy_issues(con, affected)
        if len(hierarchy):
            con.register("hierarchy_issues", hierarchy[warehouse.table_columns()["report_issues"]])
            con.execute("INSERT INTO report_issues SELECT * FROM hierarchy_issues")
            con.unregister("hierarchy_issues")
        scores = scorecard_frame(con, affected)
        con.execute(f"DELETE FROM scorecards WHERE year IN ({wanted})")
        if len(scores):
            con.register("new_scores", scores)
            con.execute("INSERT INTO scorecards SELECT * FROM new_scores")
            con.unregister("new_scores")
        for table, frame in (("metric_definitions", metrics.definitions_frame()), ("deadlines", deadlines_frame())):
            con.execute(f"DELETE FROM {table}")
            con.register("defs", frame)
            con.execute(f"INSERT INTO {table} SELECT * FROM defs")
            con.unregister("defs")
        warehouse.mark_derived(con)
        con.execute("DELETE FROM build.stale_years")
        con.execute("COMMIT")
    except BaseException:  # a stop signal too: all or nothing
        con.execute("ROLLBACK")
        raise
    return {"agencies_unified": unified, "cross_year_issues": len(issues) + len(hierarchy), "yoy_rows": yoy_rows,
            "skipped": 0}
