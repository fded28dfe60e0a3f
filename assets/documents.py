"""Raw documents in, parsed report years out (staged as Parquet for the loading assets)."""


from collections import Counter

import dagster as dg
import pandas as pd

from assets.partitions import SINGLE_RUN, YEARS, run_years
from assets.resources import Gongkai
from pipeline.batch.cache import ParseCache
from pipeline.batch.ingest import gather, parse_year
from pipeline.crawl.crawler import CrawlSummary
from pipeline.load import checks, staging, warehouse
from pipeline.parse.templates import FACT_TABLES
from pipeline.synth.generate import write_sample


@dg.asset(partitions_def=YEARS, backfill_policy=SINGLE_RUN, pool="warehouse", group_name="ingest")
def raw_documents(context: dg.AssetExecutionContext, gongkai: Gongkai) -> dg.MaterializeResult:
    """Every source document of the run's years, archived by content hash in DATA_DIR/raw and listed in
    raw_documents: registries (YAML) are crawled, files and folders registered."""
    root, years = gongkai.root, run_years(context)
    sources = gongkai.sources or [str(write_sample(root / "sample"))]
    with warehouse.build_session(root) as con:
        gathered = gather(con, root, sources, set(years), progress=lambda m: gongkai.say(context, m))
        per_year = dict(con.execute(
            f"""SELECT report_year, count(DISTINCT sha256) FROM raw_documents WHERE kind = 'report'
                AND report_year IN ({','.join(map(str, years))}) GROUP BY 1 ORDER BY 1""").fetchall())
        failures = con.execute("SELECT url, error FROM raw_documents WHERE sha256 IS NULL ORDER BY fetched_at DESC "
                               "LIMIT 50").fetchdf()
    crawls = {k: v for k, v in gathered.items() if isinstance(v, CrawlSummary)}
    gongkai.say(context, f"documents per year: {per_year}")
    return dg.MaterializeResult(metadata={
        "documents_per_year": dg.MetadataValue.json({str(k): v for k, v in per_year.items()}),
        "files_registered": gathered["files"],
        "crawl": dg.MetadataValue.json({k: {"listing_pages": c.listing_pages, "reports_found": c.reports_found,
                                            "new_documents": c.documents_new, "unchanged": c.unchanged,
                                            "requests": c.requests, "failures": len(c.failures)}
                                        for k, c in crawls.items()}),
        "recent_failures": dg.MetadataValue.md(failures.to_markdown(index=False) if len(failures) else "(none)"),
    })


@dg.asset(partitions_def=YEARS, backfill_policy=SINGLE_RUN, deps=[raw_documents], group_name="ingest",
          check_specs=[dg.AssetCheckSpec("year_has_facts", asset="parsed_reports", blocking=True)])
def parsed_reports(context: dg.AssetExecutionContext, gongkai: Gongkai) -> dg.MaterializeResult:
    """Each report year's documents parsed into the warehouse tables, staged as Parquet."""
    root = gongkai.root
    years = run_years(context)
    con = warehouse.connect(root / warehouse.BUILD_FILE)  # read the document list only
    try:
        cache = ParseCache(root)
        staged = {year: parse_year(con, year, progress=lambda m: gongkai.say(context, m), cache=cache) for year in years}
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
