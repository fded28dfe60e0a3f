"""The data checks that become Dagster asset checks, on small warehouses in DuckDB."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipeline.load import checks


@pytest.fixture()
def con():
    con = duckdb.connect()
    con.execute("CREATE TABLE reports (report_id VARCHAR, year INTEGER, ingested_at TIMESTAMP)")
    con.execute("CREATE TABLE yoy_metrics (agency_id VARCHAR, year INTEGER, metric VARCHAR, value DOUBLE, "
                "prior_value DOUBLE, change DOUBLE, pct_change DOUBLE)")
    yield con
    con.close()


@pytest.mark.parametrize(("today", "loaded", "passed"), [
    (dt.date(2026, 2, 20), dt.datetime(2026, 2, 15), True),   # in season, a report of 2025 five days ago
    (dt.date(2026, 3, 20), dt.datetime(2026, 2, 15), False),  # in season, nothing new for five weeks
    (dt.date(2026, 3, 20), None, False),                      # in season, nothing at all
    (dt.date(2026, 7, 1), None, True),                        # out of season: not checked
])
def test_reports_arriving_in_the_publication_season(con, today, loaded, passed):
    if loaded is not None:
        con.execute("INSERT INTO reports VALUES ('a', 2025, ?), ('b', 2024, ?)", [loaded, dt.datetime(2026, 3, 19)])
    outcome = checks.reports_arriving(con, today)
    assert outcome.passed is passed, outcome
    assert ("outside" in outcome.description) is (today.month not in checks.PUBLICATION_SEASON)


def test_yoy_checks_find_a_doubled_row_and_a_prior_that_is_not_last_years(con):
    con.execute("""INSERT INTO yoy_metrics VALUES
        ('a', 2023, 'requests_received', 10, NULL, NULL, NULL),
        ('a', 2024, 'requests_received', 12, 10, 2, 0.2),
        ('a', 2024, 'fees_wan_yuan', 5, NULL, NULL, NULL),     -- not compared across templates: allowed
        ('b', 2023, 'requests_received', 7, NULL, NULL, NULL),
        ('b', 2024, 'requests_received', 9, 6, 3, 0.5)""")
    assert checks.one_metric_row(con, [2023, 2024]).passed
    wrong = checks.prior_is_last_year(con, [2023, 2024])
    assert not wrong.passed and [(f["agency_id"], f["year"]) for f in wrong.failing] == [("b", 2024)]
    con.execute("INSERT INTO yoy_metrics VALUES ('a', 2024, 'requests_received', 12, 10, 2, 0.2)")
    doubled = checks.one_metric_row(con, [2024])
    assert not doubled.passed and doubled.failing[0]["rows"] == 2
    assert checks.one_metric_row(con, [2023]).passed
