"""Raw documents in, parsed report years out (staged as Parquet for the loading assets).

Both are graphs: one step plans the run's shards into groups (`Gongkai.steps`), one step per group
crawls (or parses) its shards, and one step gathers. Crawls of different groups share no host
(a host's sources are in one shard), so they may run on different workers at once."""


import os
import socket
from collections import Counter

import dagster as dg

from assets.metadata import check_result, describe, per_partition, table_metadata
from assets.partitions import PARTITIONS, SINGLE_RUN, run_shards, run_years, shard_groups
from assets.resources import Gongkai
from pipeline.batch.shards import crawl_shards, documents_per_partition, merge_documents, parse_shards
from pipeline.crawl.crawler import CrawlSummary
from pipeline.load import checks, warehouse
from pipeline.synth.generate import write_sample


@dg.op(out=dg.DynamicOut(dict), ins={"after": dg.In(dg.Nothing)},
       description="The run's shards in groups, one crawl or parse step each.")
def plan_shards(context: dg.OpExecutionContext, gongkai: Gongkai):
    sources = gongkai.sources or [str(write_sample(gongkai.root / "sample"))]  # written once, before the steps
    for group in shard_groups(run_shards(context), gongkai.steps):
        yield dg.DynamicOutput({"shards": group, "sources": sources}, mapping_key="s" + "_".join(group))


def _summary(c: CrawlSummary) -> dict:
    return {"listing_pages": c.listing_pages, "reports_found": c.reports_found, "new_documents": c.documents_new,
            "unchanged": c.unchanged, "not_due": c.not_due, "requests": c.requests, "failures": len(c.failures),
            "hosts_set_aside": c.hosts_set_aside, "discovered": c.discovered}


@dg.op(description="Crawl a group of shards' sources (every host at once, each politely) and register their "
                   "files, into the shards' stores and the raw archive.")
def crawl(context: dg.OpExecutionContext, gongkai: Gongkai, work: dict) -> dict:
    years = set(run_years(context))
    found = crawl_shards(gongkai.root, work["sources"], work["shards"], years,
                         progress=lambda m: gongkai.say(context, m))
    return {"shards": work["shards"], "files": found["files"], "worker": _worker(),
            "crawls": {k: _summary(v) for k, v in found.items() if isinstance(v, CrawlSummary)}}


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"  # which process ran a step (Celery workers differ)


@dg.op(pool="warehouse", description="The shards' documents merged into the warehouse's raw_documents and sources.")
def merge_crawls(context: dg.AssetExecutionContext, gongkai: Gongkai, crawled: list[dict]) -> None:
    root, years = gongkai.root, run_years(context)
    with warehouse.build_session(root) as con:
        added = merge_documents(con, root)
        per_year = dict(con.execute(
            f"""SELECT report_year, count(DISTINCT sha256) FROM raw_documents WHERE kind = 'report'
                AND report_year IN ({','.join(map(str, years))}) GROUP BY 1 ORDER BY 1""").fetchall())
        failures = con.execute("SELECT url, error FROM raw_documents WHERE sha256 IS NULL ORDER BY fetched_at DESC "
                               "LIMIT 50").fetchdf()
        metadata = table_metadata(con, "raw_documents", con.execute("SELECT count(*) FROM raw_documents").fetchall()[0][0])
    gongkai.say(context, f"documents per year: {per_year} ({added} rows added to raw_documents)")
    per_partition(context, "raw_documents", documents_per_partition(root, years))
    context.add_output_metadata({
        **metadata,
        "documents_per_year": dg.MetadataValue.json({str(k): v for k, v in per_year.items()}),
        "rows_added": added,
        "files_registered": sum(c["files"] for c in crawled),
        "crawl_steps": dg.MetadataValue.json(crawled),
        "recent_failures": dg.MetadataValue.md(failures.to_markdown(index=False) if len(failures) else "(none)"),
    })


@dg.graph_asset(partitions_def=PARTITIONS, backfill_policy=SINGLE_RUN, group_name="ingest", kinds={"duckdb"},
                description=describe("raw_documents") + " Registries (YAML) are crawled, every host at once "
                            "and each politely; files and folders are registered. Bytes in DATA_DIR/raw.")
def raw_documents():
    return merge_crawls(plan_shards().map(crawl).collect())


@dg.asset_check(asset=raw_documents, pool="warehouse", description="Every document's bytes are in the raw archive, and each "
                "(bytes, URL) is listed once.")
def documents_archived(gongkai: Gongkai) -> dg.AssetCheckResult:
    with warehouse.build_session(gongkai.root) as con:
        outcome = checks.documents_archived(con, gongkai.root)
    return check_result(outcome, "raw_documents")


@dg.op(description="Parse a group of shards' documents of the run's years; stage each (year, shard) as Parquet.")
def parse(context: dg.OpExecutionContext, gongkai: Gongkai, work: dict) -> dict:
    counts = parse_shards(gongkai.root, work["shards"], run_years(context), progress=lambda m: gongkai.say(context, m))
    return {"shards": work["shards"], "worker": _worker(),
            "staged": {f"{year}/{shard}": c for (shard, year), c in counts.items()}}


@dg.op(description="What the parse steps staged.")
def staged(context: dg.AssetExecutionContext, gongkai: Gongkai, parsed: list[dict]) -> None:
    facts: Counter = Counter()
    per_stage: dict[tuple[int, str], int] = {}
    for group in parsed:
        for stage, counts in group["staged"].items():
            facts.update({t: n for t, n in counts.items() if t not in ("reports", "report_issues", "agencies")})
            year, shard = stage.split("/")
            per_stage[(int(year), shard)] = counts.get("reports", 0)
    reports = sum(per_stage.values())
    gongkai.say(context, f"staged {reports} reports, {sum(facts.values())} facts")
    per_partition(context, "parsed_reports", per_stage)
    context.add_output_metadata({
        "dagster/row_count": reports, "facts_per_table": dg.MetadataValue.json(dict(facts)),
        "staging": str(gongkai.root / "staging"),
        "parse_steps": dg.MetadataValue.json([{"shards": g["shards"], "worker": g["worker"]} for g in parsed])})


@dg.graph_asset(partitions_def=PARTITIONS, backfill_policy=SINGLE_RUN, group_name="ingest",
                kinds={"parquet", "pandas"}, ins={"raw_documents": dg.AssetIn(dagster_type=dg.Nothing)},
                description="Each report year's documents parsed (PDF, Word, HTML, text; scans by OCR) into the "
                            "warehouse's tables as pandas frames, staged as Parquet per year and shard in "
                            "DATA_DIR/staging. Row count: reports staged.")
def parsed_reports(raw_documents):
    return staged(plan_shards(after=raw_documents).map(parse).collect())
