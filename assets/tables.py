"""The warehouse tables of SCHEMA.md, one asset each: a year's rows replaced in one transaction."""


import datetime as dt

import dagster as dg

from assets.documents import parsed_reports
from assets.metadata import TABLE_KINDS, check_result, describe, per_partition, table_metadata, year_rows
from assets.partitions import PARTITIONS, SINGLE_RUN, run_years
from assets.resources import Gongkai
from pipeline.load import checks, staging, warehouse
from pipeline.parse.templates import FACT_TABLES

REPORT_CHECKS = [
    dg.AssetCheckSpec("year_has_facts", asset="reports", blocking=True,
                      description="Every report year of the run loads some facts (a parser or crawl broken for a "
                                  "whole year shows here, and that year's rows are not replaced)."),
    dg.AssetCheckSpec("one_current_version", asset="reports", blocking=True,
                      description="Each body has one current report per year: two would be counted twice."),
    dg.AssetCheckSpec("no_failed_reports", asset="reports", description="No report of the run's years loaded nothing."),
    dg.AssetCheckSpec("reports_arriving", asset="reports",
                      description=f"Freshness: from February to April, new reports of the year just ended were "
                                  f"loaded within {checks.FRESH_DAYS} days (reports are due by 31 January or "
                                  f"31 March); passes outside that season."),
    *(dg.AssetCheckSpec(rule, asset="reports",
                        description=f"Consistency rule {rule}, the report as printed (docs/metrics.md); a report "
                                    "that breaks it is loaded and marked inconsistent.")
      for rule in checks.CONSISTENCY_RULES),
]


@dg.asset(partitions_def=PARTITIONS, backfill_policy=SINGLE_RUN, deps=[parsed_reports], pool="warehouse",
          group_name="warehouse", check_specs=REPORT_CHECKS, kinds=TABLE_KINDS,
          description=describe("reports") + " Also loads report_issues and agencies for the run's years.",
          tags={"contract": "SCHEMA.md"})
def reports(context: dg.AssetExecutionContext, gongkai: Gongkai) -> dg.MaterializeResult:
    root, years = gongkai.root, run_years(context)
    frames, parts = {}, {}
    for t in ("reports", "report_issues", "agencies"):
        frames[t], parts[t] = staging.read_stage_parts(root, years, t)
    facts = {t: staging.read_stage(root, years, t) for t in FACT_TABLES}
    has_facts = checks.years_have_facts(frames["reports"], facts, years)
    with warehouse.build_session(root) as con:
        # a year whose reports gave no fact at all is a broken parse or crawl: keep last night's rows
        counts = warehouse.replace_years(con, ("reports", "report_issues", "agencies"), years, frames) \
            if has_facts.passed else {t: 0 for t in frames}
        results = [check_result(has_facts, "reports"),
                   check_result(checks.one_current_version(con, years), "reports"),
                   check_result(checks.failed_reports(con, years), "reports", blocking_severity=False),
                   check_result(checks.reports_arriving(con, dt.date.today()), "reports", blocking_severity=False),
                   *(check_result(checks.consistency(con, years, rule), "reports", blocking_severity=False)
                     for rule in checks.CONSISTENCY_RULES)]
        by_status = dict(con.execute(
            f"SELECT status, count(*) FROM reports WHERE year IN ({','.join(map(str, years))}) GROUP BY 1").fetchall())
        metadata = table_metadata(con, "reports", year_rows(con, "reports", years))
    gongkai.say(context, f"loaded {counts['reports']} reports for {years}: {by_status}")
    if has_facts.passed:
        per_partition(context, "reports", {k: len(f) for k, f in parts["reports"].items()}, parts["reports"])
    return dg.MaterializeResult(metadata={**metadata, "rows_loaded": dg.MetadataValue.json(counts),
                                          "reports_by_status": dg.MetadataValue.json(by_status)},
                                check_results=results)


def fact_asset(table: str) -> dg.AssetsDefinition:
    @dg.asset(name=table, partitions_def=PARTITIONS, backfill_policy=SINGLE_RUN, deps=[parsed_reports, reports],
              pool="warehouse", group_name="warehouse", kinds=TABLE_KINDS, tags={"contract": "SCHEMA.md"},
              description=describe(table) + " A year's rows are replaced in one transaction.",
              check_specs=[dg.AssetCheckSpec(
                  "facts_reference_reports", asset=table, blocking=True,
                  description=f"Every {table} row belongs to a loaded report of its year (no orphan numbers).")])
    def load(context: dg.AssetExecutionContext, gongkai: Gongkai) -> dg.MaterializeResult:
        root, years = gongkai.root, run_years(context)
        frame, parts = staging.read_stage_parts(root, years, table)
        with warehouse.build_session(root) as con:
            counts = warehouse.replace_years(con, (table,), years, {table: frame})
            outcome = checks.facts_reference_reports(con, table, years)
            metadata = table_metadata(con, table, year_rows(con, table, years))
        gongkai.say(context, f"{counts[table]} rows for {years}")
        per_partition(context, table, {k: len(f) for k, f in parts.items()}, parts)
        return dg.MaterializeResult(metadata=metadata, check_results=[check_result(outcome, table)])

    return load


FACT_ASSETS = [fact_asset(table) for table in FACT_TABLES]
