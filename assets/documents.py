"""Raw documents in, parsed report years out (staged as Parquet for the loading assets)."""


from collections import Counter

import dagster as dg
import pandas as pd

from assets.partitions import SINGLE_RUN, YEARS, run_years
from assets.resources import Gongkai
from pipeline import checks, staging, warehouse
from pipeline.generate import write_sample
from pipeline.ingest import parse_year, register_files
from pipeline.templates import FACT_TABLES


@dg.asset(partitions_def=YEARS, backfill_policy=SINGLE_RUN, pool="warehouse", group_name="ingest")
def raw_documents(context: dg.AssetExecutionContext, gongkai: Gongkai) -> dg.MaterializeResult:
    """Every source document, archived by content hash in DATA_DIR/raw and listed in raw_documents."""
    root = gongkai.root
    sources = gongkai.sources or [str(write_sample(root / "sample")[0].parent)]
    con = warehouse.connect_build(root)
    try:
        rows = register_files(con, root, sources, progress=lambda m: gongkai.say(context, m))
    finally:
        con.close()
    years = run_years(context)
    per_year = Counter(r["report_year"] for r in rows)
    unknown = [r["url"] for r in rows if r["report_year"] is None]
    gongkai.say(context, f"{len(rows)} documents; this run's years: {dict((y, per_year[y]) for y in years)}")
    return dg.MaterializeResult(metadata={
        "documents": len(rows),
        "documents_in_run_years": sum(per_year[y] for y in years),
        "year_unknown": dg.MetadataValue.json(unknown),
    })


@dg.asset(partitions_def=YEARS, backfill_policy=SINGLE_RUN, deps=[raw_documents], group_name="ingest",
          check_specs=[dg.AssetCheckSpec("year_has_facts", asset="parsed_reports", blocking=True)])
def parsed_reports(context: dg.AssetExecutionContext, gongkai: Gongkai) -> dg.MaterializeResult:
    """Each report year's documents parsed into the warehouse tables, staged as Parquet."""
    root = gongkai.root
    years = run_years(context)
    con = warehouse.connect(root / warehouse.BUILD_FILE)  # read the document list only
    try:
        staged = {year: parse_year(con, year, progress=lambda m: gongkai.say(context, m)) for year in years}
    finally:
        con.close()
    for year, frames in staged.items():
        staging.write_stage(root, year, frames)
    reports = [f["reports"] for f in staged.values()]
    statuses = Counter(s for r in reports for s in r["status"])
    facts = {t: sum(len(f[t]) for f in staged.values()) for t in FACT_TABLES}
    all_reports = pd.concat(reports, ignore_index=True) if reports else pd.DataFrame(columns=["year"])
    all_facts = {t: pd.concat([f[t] for f in staged.values()], ignore_index=True) for t in FACT_TABLES}
    outcome = checks.years_have_facts(all_reports, all_facts, years)
    preview = all_reports[["agency_name", "year", "template", "status", "n_facts"]].head(20)
    return dg.MaterializeResult(
        metadata={"reports_by_status": dg.MetadataValue.json(dict(statuses)),
                  "facts_per_table": dg.MetadataValue.json(facts),
                  "preview": dg.MetadataValue.md(preview.to_markdown(index=False) if len(preview) else "(none)")},
        check_results=[check_result(outcome, "parsed_reports")],
    )


def check_result(outcome: checks.CheckOutcome, asset: str, blocking_severity: bool = True) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=outcome.name, asset_key=asset, passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if blocking_severity else dg.AssetCheckSeverity.WARN,
        description=outcome.description,
        metadata={"failing": dg.MetadataValue.json(outcome.failing[:200]), "failing_count": len(outcome.failing)},
    )
