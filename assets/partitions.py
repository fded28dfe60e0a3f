"""Partitions: report year x source shard. Years run from 2008 (the first year the 2007 条例 required a report for) to the
latest year whose reports are due; a shard is a stable hash of a source's host (pipeline.batch.shards).

A run covers a rectangle of years and shards (one run, whatever its size: single-run backfills); its
crawl and parse steps are one per group of shards, so an executor with many workers (Celery) spreads
them, while one step writes DuckDB."""


import warnings

import dagster as dg

from pipeline.batch.shards import SHARDS
from pipeline.parse.reportyears import EARLIEST_YEAR, latest_report_year

# single-run backfills are the design, not an experiment here: say so once, not at every asset
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

YEARS = dg.StaticPartitionsDefinition([str(y) for y in range(EARLIEST_YEAR, latest_report_year() + 1)])
SHARD_KEYS = dg.StaticPartitionsDefinition(list(SHARDS))
PARTITIONS = dg.MultiPartitionsDefinition({"year": YEARS, "shard": SHARD_KEYS})
SINGLE_RUN = dg.BackfillPolicy.single_run()  # a backfill of any range of years and shards is one run
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def _dimension(key: str, name: str) -> str:
    if isinstance(key, dg.MultiPartitionKey):
        return key.keys_by_dimension[name]
    return dict(zip(PARTITIONS.partition_dimension_names, key.split("|"), strict=True))[name]


def partition_of(key: str) -> tuple[int, str]:
    """A partition key's (year, shard)."""
    return int(_dimension(key, "year")), _dimension(key, "shard")


def run_years(context) -> list[int]:
    return sorted({int(_dimension(k, "year")) for k in context.partition_keys})


def run_shards(context) -> list[str]:
    return sorted({_dimension(k, "shard") for k in context.partition_keys})


def multi_key(shard: str, year: int | str) -> str:
    return str(dg.MultiPartitionKey({"shard": shard, "year": str(year)}))


def range_tags(years: list[int], shards: list[str] | None = None) -> dict[str, str]:
    """Run tags for the rectangle of these years (first to last) and shards (all by default)."""
    shards = sorted(shards or SHARDS)
    return {RANGE_START: multi_key(shards[0], min(years)), RANGE_END: multi_key(shards[-1], max(years))}


def shard_groups(shards: list[str], steps: int) -> list[list[str]]:
    """The run's shards in `steps` groups of neighbours (as even as can be): one crawl and one parse step each."""
    steps = max(1, min(steps, len(shards)))
    size, extra = divmod(len(shards), steps)
    out, start = [], 0
    for i in range(steps):
        end = start + size + (i < extra)
        out.append(shards[start:end])
        start = end
    return [g for g in out if g]
