"""Year-over-year metrics, computed in DuckDB; the run's last step publishes the analysts' copy."""


import dagster as dg
import pandas as pd

from assets.partitions import PARTITIONS, SINGLE_RUN, run_years
from assets.resources import Gongkai
from assets.tables import FACT_ASSETS, reports
from pipeline.load import derive, warehouse


@dg.asset(partitions_def=PARTITIONS, backfill_policy=SINGLE_RUN, deps=[reports, *FACT_ASSETS], pool="warehouse",
          group_name="metrics")
def yoy_metrics(context: dg.AssetExecutionContext, gongkai: Gongkai) -> dg.MaterializeResult:
    """Each body's metrics against its own previous year; then the warehouse is published."""
    root, years = gongkai.root, run_years(context)
    with warehouse.build_session(root) as con:
        derived = derive.refresh(con, years)
        published = warehouse.publish(con, root)
        movers = _biggest_changes(con, years)
    gongkai.say(context, f"{derived['yoy_rows']} metric rows; published {published}")
    return dg.MaterializeResult(metadata={
        "rows": derived["yoy_rows"], "cross_year_issues": derived["cross_year_issues"],
        "agencies_unified": derived["agencies_unified"], "published": str(published),
        "biggest_changes": dg.MetadataValue.md(movers.to_markdown(index=False) if len(movers) else "(no prior year)"),
    })


def _biggest_changes(con, years: list[int]) -> pd.DataFrame:
    return con.execute(f"""
        SELECT a.name AS agency, y.year, y.metric, y.prior_value, y.value, round(y.pct_change * 100, 1) AS pct
        FROM yoy_metrics y LEFT JOIN agencies a USING (agency_id)
        WHERE y.year IN ({','.join(map(str, years))}) AND y.pct_change IS NOT NULL
        ORDER BY abs(y.pct_change) DESC LIMIT 10""").fetchdf()
