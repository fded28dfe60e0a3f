"""Year-over-year metrics, computed in DuckDB; the run's last step publishes the analysts' copy."""


import dagster as dg
import pandas as pd

from assets.metadata import check_result, describe, per_partition, table_metadata, year_rows
from assets.partitions import PARTITIONS, SINGLE_RUN, run_years
from assets.resources import Gongkai
from assets.tables import FACT_ASSETS, reports
from pipeline.load import checks, derive, staging, warehouse

YOY_CHECKS = [
    dg.AssetCheckSpec("one_row_per_metric", asset="yoy_metrics", blocking=True,
                      description="One row per agency, year and metric (two would double a body in any sum)."),
    dg.AssetCheckSpec("prior_is_last_year", asset="yoy_metrics", blocking=True,
                      description="Each prior_value is the same body's value of the year before."),
]


SCORE_CHECKS = [
    dg.AssetCheckSpec("a_card_per_current_report", asset="scorecards", blocking=True,
                      description="Every current report of the run's years has one scorecard."),
]
DERIVED_TAGS = {"contract": "SCHEMA.md"}


@dg.multi_asset(
    name="yoy_metrics", partitions_def=PARTITIONS, backfill_policy=SINGLE_RUN, pool="warehouse",
    check_specs=[*YOY_CHECKS, *SCORE_CHECKS],
    specs=[dg.AssetSpec("yoy_metrics", deps=[reports, *FACT_ASSETS], group_name="metrics", kinds={"duckdb"},
                        tags=DERIVED_TAGS,
                        description=describe("yoy_metrics") + " Computed in DuckDB from the fact tables; then the "
                        "run publishes the warehouse analysts read (a night that changed nothing copies nothing)."),
           dg.AssetSpec("scorecards", deps=[reports, *FACT_ASSETS], group_name="metrics", kinds={"duckdb", "pandas"},
                        description=describe("scorecards") + " Built with the metrics, in the same transaction.")])
def yoy_metrics(context: dg.AssetExecutionContext, gongkai: Gongkai):
    root, years = gongkai.root, run_years(context)
    _, parts = staging.read_stage_parts(root, years, "reports")
    with warehouse.build_session(root) as con:
        derived = derive.refresh(con, years)
        published = warehouse.publish(con, root)
        movers = _biggest_changes(con, years)
        rows = year_rows(con, "yoy_metrics", years)
        metadata = table_metadata(con, "yoy_metrics", rows)
        cards = table_metadata(con, "scorecards", year_rows(con, "scorecards", years))
        bands = dict(con.execute(f"SELECT band, count(*) FROM scorecards WHERE year IN ({','.join(map(str, years))}) "
                                 "GROUP BY 1 ORDER BY 1").fetchall())
        counts, card_counts = _rows_per_partition(con, parts)
        yoy_results = [check_result(o, "yoy_metrics")
                       for o in (checks.one_metric_row(con, years), checks.prior_is_last_year(con, years))]
        covered = checks.a_card_per_current_report(con, years)
    skipped = bool(derived["skipped"])
    if skipped:  # nothing was loaded since the last refresh: the rows stand as they were
        status = {"skipped": "nothing changed since the last refresh: the metrics were not recomputed"}
        gongkai.say(context, f"skipped: nothing changed since the last refresh ({rows} metric rows for {years})")
    else:
        status = {"recomputed_rows": derived["yoy_rows"], "cross_year_issues": derived["cross_year_issues"],
                  "agencies_unified": derived["agencies_unified"]}
        gongkai.say(context, f"{rows} metric rows for {years}; scorecards by band {bands}; published {published}")
    per_partition(context, "yoy_metrics", counts)
    per_partition(context, "scorecards", card_counts)
    yield dg.MaterializeResult(asset_key="yoy_metrics", metadata={
        **metadata, **status, "published": str(published),
        "biggest_changes": dg.MetadataValue.md(movers.to_markdown(index=False) if len(movers) else "(no prior year)"),
    }, check_results=yoy_results)
    yield dg.MaterializeResult(asset_key="scorecards", metadata={**cards, **status, "bands": dg.MetadataValue.json(bands)},
                               check_results=[check_result(covered, "scorecards")])


def _rows_per_partition(con, parts: dict[tuple[int, str], pd.DataFrame]
                        ) -> tuple[dict[tuple[int, str], int], dict[tuple[int, str], int]]:
    """Metric rows and scorecards by the shard of the report each was computed from."""
    owners = [f[["report_id"]].assign(year=year, shard=shard) for (year, shard), f in parts.items() if len(f)]
    if not owners:
        return {}, {}
    con.register("report_shards", pd.concat(owners, ignore_index=True))
    try:
        metrics = {(int(y), s): n for y, s, n in con.execute("""
            SELECT y.year, o.shard, count(*) FROM yoy_metrics y
            JOIN current_reports r ON r.agency_id = y.agency_id AND r.year = y.year
            JOIN report_shards o ON o.report_id = r.report_id AND o.year = y.year GROUP BY ALL""").fetchall()}
        cards = {(int(y), s): n for y, s, n in con.execute("""
            SELECT c.year, o.shard, count(*) FROM scorecards c
            JOIN report_shards o ON o.report_id = c.report_id AND o.year = c.year GROUP BY ALL""").fetchall()}
        return metrics, cards
    finally:
        con.unregister("report_shards")


def _biggest_changes(con, years: list[int]) -> pd.DataFrame:
    return con.execute(f"""
        SELECT a.name AS agency, y.year, y.metric, y.prior_value, y.value, round(y.pct_change * 100, 1) AS pct
        FROM yoy_metrics y LEFT JOIN agencies a USING (agency_id)
        WHERE y.year IN ({','.join(map(str, years))}) AND y.pct_change IS NOT NULL
        ORDER BY abs(y.pct_change) DESC LIMIT 10""").fetchdf()
