"""Shards: how a night's work is split so that Dagster can spread it over workers.

A source's shard is a stable hash of the host its listing is on, so each host is crawled by one shard
and politeness holds however many workers crawl at once (a county's departments, on the county's
portal, share a shard). A file given directly is sharded by its path. Each shard keeps what its
crawls found in a store of its own (`DATA_DIR/crawl/SHARD.duckdb`: raw_documents, fetch_state,
sources), so shards are crawled and parsed in parallel without sharing a DuckDB file; one step then
merges the stores into the warehouse (`merge_documents`) and loads the staged Parquet.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb

from pipeline.batch.cache import ParseCache
from pipeline.batch.ingest import (
    Progress,
    WarehouseSink,
    YearOf,
    is_registry,
    iter_files,
    parse_years,
    register_files,
    report_year_of,
    year_documents,
)
from pipeline.batch.workers import Helper, HelperDied
from pipeline.load import staging, warehouse

# Each shard is a partition of every asset, and Dagster records every partition's materialisation: 16
# shards made a 7-year run of the sample write 2,700 events (34 s of a 40 s run, on this machine). 4 keep
# a run's bookkeeping small and still give 4 crawl and 4 parse steps to spread over workers.
SHARD_COUNT = 4
SHARDS = tuple(f"{i:02d}" for i in range(SHARD_COUNT))
STORES = "crawl"


def shard_of(key: str) -> str:
    return SHARDS[int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % SHARD_COUNT]


def url_shard(url: str) -> str:
    """An http(s) URL by its host (and port); a file:// URL by its folder (a local mirror of one body)."""
    from pipeline.crawl.hosts import host_key

    parsed = urlparse(url)
    if parsed.scheme == "file":
        return shard_of(str(Path(unquote(parsed.path)).parent))
    return shard_of(host_key(url))


def source_shard(source) -> str:  # a registry.Source
    return url_shard(source.start_urls[0])


def store_path(root: Path, shard: str) -> Path:
    return root / STORES / f"{shard}.duckdb"


@contextmanager
def open_stores(root: Path, shards: Iterable[str], read_only: bool = False) -> Iterator[dict[str, duckdb.DuckDBPyConnection]]:
    """The shards' stores (created when missing unless read_only: a shard never crawled has none)."""
    cons: dict[str, duckdb.DuckDBPyConnection] = {}
    try:
        for shard in shards:
            path = store_path(root, shard)
            if read_only and not path.exists():
                continue
            cons[shard] = warehouse.connect(path, read_only=read_only)
        yield cons
    finally:
        for con in cons.values():
            con.close()


def crawl_shards(root: Path, sources: list[str], shards: Iterable[str] | None, years: set[int] | None,
                 progress: Progress | None = None) -> dict[str, object]:
    """Crawl the registries' sources of these shards, all hosts at once, and register their files.

    Returns {"files": n, registry path: CrawlSummary}."""
    from pipeline.crawl.crawler import Crawl  # only a crawl needs HTTP
    from pipeline.crawl.registry import Registry, load_registry

    wanted = set(shards or SHARDS)
    files = [p for p in iter_files(s for s in sources if not is_registry(s)) if shard_of(str(p.resolve())) in wanted]
    registries = [load_registry(s) for s in sources if is_registry(s)]
    used = {shard_of(str(p.resolve())) for p in files} | {
        source_shard(s) for r in registries for s in r.sources if source_shard(s) in wanted}
    out: dict[str, object] = {"files": 0}
    with open_stores(root, sorted(used)) as cons, _title_reader() as year_of:
        sinks = {shard: WarehouseSink(con, root, year_of) for shard, con in cons.items()}
        for shard in sorted({shard_of(str(p.resolve())) for p in files}):
            mine_files = [str(p) for p in files if shard_of(str(p.resolve())) == shard]
            out["files"] = int(out["files"]) + len(register_files(cons[shard], root, mine_files, progress))  # type: ignore[call-overload]
        for registry in registries:
            mine = tuple(s for s in registry.sources if source_shard(s) in wanted)
            if mine:
                picked = Registry(registry.path, mine, registry.settings)
                out[str(registry.path)] = Crawl(picked, lambda s: sinks[source_shard(s)], years, progress).run()
    return out


@contextmanager
def _title_reader() -> Iterator[YearOf]:
    """A document's year read in a process of its own: reading titles holds the interpreter, and in the
    crawl's process that would delay other hosts' requests (measured: bench/crawl.py)."""
    if mp.current_process().daemon:  # a Celery prefork worker may not fork: read here
        yield report_year_of
        return
    helper = Helper(report_year_of)

    def year_of(data: bytes) -> tuple[int | None, str | None]:
        try:
            return helper(data)
        except HelperDied as exc:  # the bytes that killed it are archived; the parse will say more
            return None, f"worker_crashed: reading the title: {exc}"

    try:
        yield year_of
    finally:
        helper.close()


def crawl_all(root: Path, sources: list[str], years: set[int] | None, progress: Progress | None = None):
    """Every shard of one registry crawled at once (the command line and the benchmark): its summary."""
    return next(v for k, v in crawl_shards(root, sources, None, years, progress).items() if k != "files")


def parse_shards(root: Path, shards: Iterable[str], years: list[int], progress: Progress | None = None,
                 processes: int | None = None) -> dict[tuple[str, int], dict[str, int]]:
    """Parse the shards' documents of these years in one pool of workers and stage each (year, shard)
    as Parquet; a shard with none has its stage removed (a document that left it leaves no rows).
    Returns row counts."""
    shards = sorted(set(shards))
    with open_stores(root, shards, read_only=True) as cons:
        documents = {(shard, year): year_documents(cons[shard], year) if shard in cons else []
                     for shard in shards for year in years}
    parsed = parse_years(documents, progress, ParseCache(root), processes)
    counts = {}
    for (shard, year), frames in parsed.items():
        if documents[(shard, year)]:
            staging.write_stage(root, year, shard, frames)
        else:
            staging.clear_stage(root, year, shard)
        counts[(shard, year)] = {t: len(f) for t, f in frames.items()}
    return counts


def merge_documents(con: duckdb.DuckDBPyConnection, root: Path) -> int:
    """Every shard's raw_documents rows not yet in the warehouse, and its sources: the warehouse keeps
    the whole record of what was fetched and failed. Returns the rows added."""
    columns = ", ".join(warehouse.table_columns()["raw_documents"])
    added = 0
    for shard in SHARDS:
        path = store_path(root, shard)
        if not path.exists():
            continue
        con.execute(f"ATTACH '{path}' AS shard_store (READ_ONLY)")
        try:
            before = con.execute("SELECT count(*) FROM raw_documents").fetchall()[0][0]
            # a document is one row per (bytes, URL), as a direct ingest keeps it; a failure, one per attempt
            con.execute(f"""INSERT INTO raw_documents ({columns})
                SELECT {columns} FROM shard_store.raw_documents r WHERE NOT EXISTS (
                    SELECT 1 FROM raw_documents w WHERE w.url = r.url AND (
                        w.sha256 = r.sha256 OR (r.sha256 IS NULL AND w.sha256 IS NULL AND w.fetched_at = r.fetched_at)))""")
            new = con.execute("SELECT count(*) FROM raw_documents").fetchall()[0][0] - before
            sources = con.execute("SELECT * FROM shard_store.sources").fetchdf()
        finally:
            con.execute("DETACH shard_store")
        if new:
            warehouse.changed(con)
            added += new
        if len(sources):
            warehouse.upsert_sources(con, sources.to_dict("records"))
    return added


def documents_per_partition(root: Path, years: list[int]) -> dict[tuple[int, str], int]:
    """Report documents (distinct bytes) each shard holds for each of these years."""
    counts = {}
    with open_stores(root, SHARDS, read_only=True) as cons:
        for shard, con in cons.items():
            for year, n in con.execute(
                    f"""SELECT report_year, count(DISTINCT sha256) FROM raw_documents WHERE kind = 'report'
                        AND report_year IN ({','.join(str(int(y)) for y in years) or 'NULL'}) GROUP BY 1""").fetchall():
                counts[(int(year), shard)] = n
    return counts
