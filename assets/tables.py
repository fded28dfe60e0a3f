"""The warehouse tables of SCHEMA.md, one asset each: a year's rows replaced in one transaction."""


import dagster as dg

from assets.documents import parsed_reports
from assets.partitions import PARTITIONS, SINGLE_RUN, run_years
from assets.resources import Gongkai
from pipeline.load import checks, staging, warehouse
from pipeline.parse.templates import FACT_TABLES


def check_result(outcome: checks.CheckOutcome, asset: str, blocking_severity: bool = True) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=outcome.name, asset_key=asset, passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if blocking_severity else dg.AssetCheckSeverity.WARN,
        description=outcome.description,
        metadata={"failing": dg.MetadataValue.json(outcome.failing[:200]), "failing_count": len(outcome.failing)},
    )


REPORT_CHECKS = [
    dg.AssetCheckSpec("year_has_facts", asset="reports", blocking=True,
                      description="every report year of the run loads some facts (a parser or crawl broken for a "
                                  "whole year shows here)"),
    dg.AssetCheckSpec("one_current_version", asset="reports", blocking=True,
                      description="two current versions of one body's year would be counted twice"),
    dg.AssetCheckSpec("no_failed_reports", asset="reports", description="reports that loaded nothing"),
    *(dg.AssetCheckSpec(rule, asset="reports", description=f"consistency rule {rule} (the report as printed)")
      for rule in checks.CONSISTENCY_RULES),
]


@dg.asset(partitions_def=PARTITIONS, backfill_policy=SINGLE_RUN, deps=[parsed_reports], pool="warehouse",
          group_name="warehouse", check_specs=REPORT_CHECKS)
def reports(context: dg.AssetExecutionContext, gongkai: Gongkai) -> dg.MaterializeResult:
    """reports, report_issues and agencies for the run's years."""
    root, years = gongkai.root, run_years(context)
    frames = {t: staging.read_stage(root, years, t) for t in ("reports", "report_issues", "agencies")}
    facts = {t: staging.read_stage(root, years, t) for t in FACT_TABLES}
    has_facts = checks.years_have_facts(frames["reports"], facts, years)
    with warehouse.build_session(root) as con:
        # a year whose reports gave no fact at all is a broken parse or crawl: keep last night's rows
        counts = warehouse.replace_years(con, ("reports", "report_issues", "agencies"), years, frames) \
            if has_facts.passed else {t: 0 for t in frames}
        results = [check_result(has_facts, "reports"),
                   check_result(checks.one_current_version(con, years), "reports"),
                   check_result(checks.failed_reports(con, years), "reports", blocking_severity=False),
                   *(check_result(checks.consistency(con, years, rule), "reports", blocking_severity=False)
                     for rule in checks.CONSISTENCY_RULES)]
        by_status = dict(con.execute(
            f"SELECT status, count(*) FROM reports WHERE year IN ({','.join(map(str, years))}) GROUP BY 1").fetchall())
    gongkai.say(context, f"loaded {counts['reports']} reports for {years}: {by_status}")
    return dg.MaterializeResult(metadata={"rows": dg.MetadataValue.json(counts),
                                          "reports_by_status": dg.MetadataValue.json(by_status)},
                                check_results=results)


def fact_asset(table: str) -> dg.AssetsDefinition:
    @dg.asset(name=table, partitions_def=PARTITIONS, backfill_policy=SINGLE_RUN, deps=[parsed_reports, reports],
              pool="warehouse",
              group_name="warehouse",
              check_specs=[dg.AssetCheckSpec("facts_reference_reports", asset=table, blocking=True)])
    def load(context: dg.AssetExecutionContext, gongkai: Gongkai) -> dg.MaterializeResult:
        root, years = gongkai.root, run_years(context)
        frame = staging.read_stage(root, years, table)
        with warehouse.build_session(root) as con:
            counts = warehouse.replace_years(con, (table,), years, {table: frame})
            outcome = checks.facts_reference_reports(con, table, years)
        gongkai.say(context, f"{counts[table]} rows for {years}")
        preview = frame.head(10).drop(columns=["report_id", "agency_id"]) if len(frame) else frame
        return dg.MaterializeResult(
            metadata={"rows": counts[table], "preview": dg.MetadataValue.md(preview.to_markdown(index=False))},
            check_results=[check_result(outcome, table)])

    load.__doc__ = f"The {table} fact table (SCHEMA.md), a year's rows replaced in one transaction."
    return load


FACT_ASSETS = [fact_asset(table) for table in FACT_TABLES]
