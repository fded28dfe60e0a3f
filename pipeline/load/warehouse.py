"""The DuckDB warehouse of SCHEMA.md: DDL, transactional loads, and publishing the analysts' copy.

Writers work on a private build file; `publish` copies it to `warehouse/warehouse.duckdb` and renames it
into place. A rename is atomic, so an analyst's open connection keeps reading the snapshot it opened and
a new connection sees the whole new one: never half a load, and DuckDB's file lock never stops a run.

Every write that changes what analysts read bumps a generation (`build.state`, in the same transaction);
derived tables are rebuilt and the file is copied only when the generation moved, so a night with
nothing new copies nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.load.divisions import LEVELS
from pipeline.load.facts import ReportResult, fact_frames
from pipeline.load.identity import Identity, agency_id_of, canonical_name
from pipeline.load.lock import writer_lock
from pipeline.parse.rules import INCOMPLETE_RULES, NOTE_RULES
from pipeline.parse.templates import FACT_DIMS, FACT_TABLES

# report_issues rules that `derive` writes across years (not part of any one report's parse)
DERIVED_RULES = ("cross_year_carry_over", "cross_year_copied", "published_dates_disagree", "region_total_differs")
WAREHOUSE_FILE = Path("warehouse") / "warehouse.duckdb"  # the published copy analysts read
BUILD_FILE = Path("warehouse") / ".build" / "warehouse.duckdb"  # where runs write

REPORT_COLUMNS = {
    "report_id": "VARCHAR PRIMARY KEY", "agency_id": "VARCHAR", "agency_name": "VARCHAR", "year": "INTEGER",
    "template": "VARCHAR", "source_uri": "VARCHAR", "format": "VARCHAR", "status": "VARCHAR",
    "superseded_by": "VARCHAR", "title": "VARCHAR", "province": "VARCHAR", "city": "VARCHAR", "county": "VARCHAR",
    "pages": "INTEGER", "n_facts": "INTEGER", "raw_path": "VARCHAR", "ingested_at": "TIMESTAMP",
    "read_by": "VARCHAR",  # text (a text layer, HTML, Word) or ocr (page images: every number OCR-derived)
    "covers": "VARCHAR",  # region: a government's report summing its region's bodies (汇总…各单位); own
    "text_signature": "BIGINT[]",  # MinHash of the prose: how much of it is repeated from another report
    "stated_requests": "BIGINT",  # applications the prose says were received (held against table 三)
}
DIMENSION_COLUMNS = {
    "reports": REPORT_COLUMNS,
    "agencies": {"agency_id": "VARCHAR PRIMARY KEY", "name": "VARCHAR", "province": "VARCHAR", "city": "VARCHAR",
                 "county": "VARCHAR", "adcode": "VARCHAR", "level": "VARCHAR", "parent_id": "VARCHAR",
                 "canonical_name": "VARCHAR"},
    # the registry's bodies, as crawled: the denominator of coverage
    "sources": {"source_id": "VARCHAR PRIMARY KEY", "name": "VARCHAR", "region": "VARCHAR", "level": "VARCHAR",
                "parent": "VARCHAR", "listing_urls": "VARCHAR",
                "discovered_listing": "VARCHAR"},  # the report column found on a source's portal
    "report_issues": {"report_id": "VARCHAR", "rule": "VARCHAR", "detail": "VARCHAR", "severity": "VARCHAR",
                      "year": "INTEGER"},
    "raw_documents": {"sha256": "VARCHAR", "url": "VARCHAR", "source_id": "VARCHAR", "fetched_at": "TIMESTAMP",
                      "http_status": "INTEGER", "content_type": "VARCHAR", "bytes": "BIGINT", "referer": "VARCHAR",
                      "link_title": "VARCHAR", "published_at": "DATE", "format": "VARCHAR", "report_year": "INTEGER",
                      "raw_path": "VARCHAR", "error": "VARCHAR", "kind": "VARCHAR", "source_name": "VARCHAR",
                      "source_region": "VARCHAR", "source_level": "VARCHAR",
                      "published_at_source": "VARCHAR", "dates_disagree": "VARCHAR"},
    # the crawler's memory of each URL: validators for conditional GET, the last body's hash, and the
    # listing entry it was found under (an unchanged entry is re-checked only every recheck_days)
    "fetch_state": {"url": "VARCHAR PRIMARY KEY", "etag": "VARCHAR", "last_modified": "VARCHAR",
                    "sha256": "VARCHAR", "checked_at": "TIMESTAMP", "entry": "VARCHAR"},
    "yoy_metrics": {"agency_id": "VARCHAR", "year": "INTEGER", "metric": "VARCHAR", "value": "DOUBLE",
                    "prior_value": "DOUBLE", "change": "DOUBLE", "pct_change": "DOUBLE"},
    # a transparency scorecard per current report (pipeline/load/scorecard.py, docs/scorecard.md)
    "scorecards": {"report_id": "VARCHAR", "agency_id": "VARCHAR", "year": "INTEGER", "score": "DOUBLE",
                   "band": "VARCHAR", "weakest": "VARCHAR", "timeliness": "DOUBLE", "completeness": "DOUBLE",
                   "consistency": "DOUBLE", "continuity": "DOUBLE", "originality": "DOUBLE", "narrative": "DOUBLE",
                   "evidence": "VARCHAR"},
    # when reports are due, by law, level and report year (pipeline/load/deadlines.py)
    "deadlines": {"law": "VARCHAR", "article": "VARCHAR", "levels": "VARCHAR", "first_year": "INTEGER",
                  "last_year": "INTEGER", "due": "VARCHAR", "text": "VARCHAR"},
    "metric_definitions": {"metric": "VARCHAR", "label_zh": "VARCHAR", "label_en": "VARCHAR", "unit": "VARCHAR",
                           "templates": "VARCHAR", "formula": "VARCHAR", "additive": "BOOLEAN",
                           "legacy_formula": "VARCHAR", "boundary": "VARCHAR"},
}


def table_columns() -> dict[str, list[str]]:
    out = {t: list(cols) for t, cols in DIMENSION_COLUMNS.items()}
    for table in FACT_TABLES:
        out[table] = ["report_id", "agency_id", "year", *FACT_DIMS[table], "value"]
    return out


def _ddl() -> list[str]:
    statements = []
    for table, columns in DIMENSION_COLUMNS.items():
        cols = ", ".join(f"{c} {t}" for c, t in columns.items())
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
    for table, value_type in FACT_TABLES.items():
        dims = ", ".join(f"{d} VARCHAR" for d in FACT_DIMS[table])
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} (report_id VARCHAR, agency_id VARCHAR, "
                          f"year INTEGER, {dims}, value {value_type})")
    return statements


# An analyst's query may read the warehouse and nothing else: no files written or read (COPY ... TO,
# read_csv), no other databases (ATTACH), no extensions (INSTALL / LOAD), no settings changed (SET).
QUERY_ONLY = {"enable_external_access": False, "autoinstall_known_extensions": False,
              "autoload_known_extensions": False, "lock_configuration": True}


def connect(path: Path, read_only: bool = False, query_only: bool = False) -> duckdb.DuckDBPyConnection:
    """`query_only`: read-only and sandboxed for an analyst's SQL (`gongkai sql`)."""
    if read_only or query_only:
        if not path.exists():
            raise FileNotFoundError(f"no warehouse at {path}: run `gongkai ingest` or `gongkai run` first")
        return duckdb.connect(str(path), read_only=True, config=dict(QUERY_ONLY) if query_only else {})
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    for statement in _ddl():
        con.execute(statement)
    _add_new_columns(con)
    con.execute("CREATE SCHEMA IF NOT EXISTS build")
    con.execute("CREATE TABLE IF NOT EXISTS build.state (generation BIGINT, derived BIGINT, published BIGINT)")
    con.execute("CREATE TABLE IF NOT EXISTS build.stale_years (year INTEGER)")
    if not con.execute("SELECT count(*) FROM build.state").fetchall()[0][0]:
        con.execute("INSERT INTO build.state VALUES (1, 0, 0)")
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> tuple | None:
    """The first row, its result read to the end (DuckDB refuses `register` while a result is unfinished)."""
    rows = con.execute(sql, list(params)).fetchall()
    return rows[0] if rows else None


# --- generations: what changed since the last derive and publish -------------------------------
def changed(con: duckdb.DuckDBPyConnection, years: Iterable[int] = ()) -> None:
    """Call inside the transaction of a write that changes what analysts read; `years`: the report years
    whose derived rows it makes stale, kept until a refresh has rebuilt them (a run killed between its
    load and its refresh leaves them for the next run)."""
    con.execute("UPDATE build.state SET generation = generation + 1")
    stale = sorted({int(y) for y in years if y is not None})
    if stale:
        con.execute("INSERT INTO build.stale_years SELECT unnest(?::INTEGER[])", [stale])


def stale_years(con: duckdb.DuckDBPyConnection) -> set[int]:
    return {y for (y,) in con.execute("SELECT DISTINCT year FROM build.stale_years").fetchall()}


def needs_derive(con: duckdb.DuckDBPyConnection) -> bool:
    generation, derived = con.execute("SELECT generation, derived FROM build.state").fetchall()[0]
    return derived < generation


def mark_derived(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE build.state SET derived = generation")


def _add_new_columns(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse built by an older version gains the columns added since (never drops or renames)."""
    for table, columns in DIMENSION_COLUMNS.items():
        have = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        for column, sql_type in columns.items():
            if column not in have:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type.replace(' PRIMARY KEY', '')}")


def connect_build(root: Path) -> duckdb.DuckDBPyConnection:
    """The build warehouse, unguarded: for tools that own `root` alone (benchmarks, tests); writers use
    `build_session`."""
    return connect(root / BUILD_FILE)


@contextmanager
def build_session(root: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The build warehouse, written by one writer at a time (`pipeline.load.lock`)."""
    with writer_lock(root):
        con = connect(root / BUILD_FILE)
        try:
            yield con
        finally:
            con.close()


def publish(con: duckdb.DuckDBPyConnection, root: Path) -> Path:
    """Checkpoint the build file and atomically replace the analysts' copy with it (if anything changed)."""
    target = root / WAREHOUSE_FILE
    generation, published = con.execute("SELECT generation, published FROM build.state").fetchall()[0]
    if published == generation and target.exists():
        return target  # nothing new: the analysts' copy is this build already
    con.execute("UPDATE build.state SET published = generation")
    con.execute("CHECKPOINT")
    for stale in target.parent.glob(f".{target.name}.*.tmp"):  # a killed publisher's copy (we hold the lock)
        stale.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(root / BUILD_FILE, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)  # stopped half-way: the analysts' copy is the old one, whole
    return target


# --- frames -----------------------------------------------------------------------------------
def _severity(rule: str) -> str:
    if rule in NOTE_RULES:
        return "note"
    return "warning" if rule in INCOMPLETE_RULES or rule.startswith("table") else "error"


def _level(name: str | None, county: str | None, city: str | None, province: str | None) -> str | None:
    if name and any(name.endswith(s) for s in ("局", "委", "委员会", "厅", "办", "办公室", "中心", "院")):
        return "department"
    if name and any(name.endswith(s) for s in ("镇", "乡", "街道", "街道办事处", "镇人民政府", "乡人民政府")):
        return "township"
    if county:
        return "county"
    if city:
        return "city"
    return "province" if province else None


def report_frames(results: Sequence[ReportResult], raw_paths: Sequence[str | None],
                  ingested_at: Sequence[dt.datetime] | None = None) -> dict[str, pd.DataFrame]:
    """Everything the warehouse stores about these reports, one DataFrame per table."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    reports, issues, agencies = [], [], {}
    for i, r in enumerate(results):
        meta = r.meta
        region = meta.region if meta else None
        reports.append({
            "report_id": r.report_id, "agency_id": r.agency_id, "agency_name": meta and meta.agency_name,
            "year": meta and meta.year, "template": meta.template if meta else "unknown", "source_uri": r.source_uri,
            "format": r.format, "status": r.status, "superseded_by": None, "title": meta and meta.title,
            "province": region and region.province, "city": region and region.city,
            "county": region and region.county, "pages": r.pages, "n_facts": r.n_facts, "raw_path": raw_paths[i],
            "ingested_at": ingested_at[i] if ingested_at else now, "read_by": r.read_by, "covers": r.covers,
            "text_signature": r.text_signature, "stated_requests": r.stated_requests,
        })
        issues += [{"report_id": r.report_id, "rule": v.rule, "detail": v.detail, "severity": _severity(v.rule),
                    "year": meta and meta.year} for v in r.issues]
        body = r.identity  # set by the parse whenever the report names its body
        if body is not None and meta and region:
            for row in _governments_above(body):  # the division tree's governments, for parent_id
                agencies.setdefault(row["agency_id"], row)
            names = {d.level: d.name for d in body.chain}
            agencies[body.agency_id] = {
                "agency_id": body.agency_id, "name": meta.agency_name,
                "province": names.get("province", region.province), "city": names.get("city", region.city),
                "county": names.get("county", region.county), "adcode": body.adcode,
                "level": body.level or _level(meta.agency_name, region.county, region.city, region.province),
                "parent_id": agency_id_of(body.parent_key), "canonical_name": canonical_name(meta.agency_name or "")}
    cols = table_columns()
    frames = {
        "reports": pd.DataFrame(reports, columns=cols["reports"]),
        "report_issues": pd.DataFrame(issues, columns=cols["report_issues"]),
        "agencies": pd.DataFrame(list(agencies.values()), columns=cols["agencies"]),
    }
    return frames | fact_frames(list(results))


def _governments_above(body: Identity) -> list[dict]:
    """agencies rows for the governments of the body's seat chain (province, city, county), each the
    child of the one above: parent_id follows the division tree even for governments with no report."""
    rows, names = [], {}
    chain = body.chain if body.level not in LEVELS else body.chain[:-1]  # a government is its own row
    for i, division in enumerate(chain):
        names[division.level] = division.name
        rows.append({"agency_id": agency_id_of(f"gov:{division.code}"), "name": f"{division.name}人民政府",
                     "province": names.get("province"), "city": names.get("city"), "county": names.get("county"),
                     "adcode": division.code, "level": division.level,
                     "parent_id": agency_id_of(f"gov:{chain[i - 1].code}") if i else None,
                     "canonical_name": division.name})
    return rows


def mark_superseded(reports: pd.DataFrame) -> pd.DataFrame:
    """Within each agency and year, every loaded version but the latest points to the latest."""
    reports = reports.copy()
    live = reports[(reports["status"] != "failed") & reports["agency_id"].notna() & reports["year"].notna()]
    for _, group in live.sort_values(["ingested_at", "report_id"]).groupby(["agency_id", "year"]):
        latest = group["report_id"].iloc[-1]
        older = group["report_id"].iloc[:-1]
        reports.loc[reports["report_id"].isin(older), "superseded_by"] = latest
    return reports


# --- loads ------------------------------------------------------------------------------------
def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if not len(frame):
        return
    columns = table_columns()[table]
    con.register("incoming", frame[columns])
    try:
        if table in ("agencies", "sources"):
            key = "agency_id" if table == "agencies" else "source_id"
            updates = ", ".join(f"{c} = coalesce(excluded.{c}, {table}.{c})" for c in columns if c != key)
            typed = ", ".join(f"CAST({c} AS {DIMENSION_COLUMNS[table][c].split()[0]}) AS {c}" for c in columns)
            con.execute(f"INSERT INTO {table} SELECT {typed} FROM incoming ON CONFLICT ({key}) DO UPDATE SET {updates}")
        else:
            con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


def upsert_sources(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows, columns=table_columns()["sources"])
    if _upsert_differs(con, "sources", frame):
        _insert(con, "sources", frame)
        changed(con)


def report_statuses(con: duckdb.DuckDBPyConnection, report_ids: Sequence[str]) -> dict[str, str]:
    """The stored status of each of these versions that is stored."""
    rows = con.execute("SELECT report_id, status FROM reports WHERE report_id IN (SELECT unnest(?::VARCHAR[]))",
                       [list(report_ids)]).fetchall()
    return dict(rows)


def load_reports(con: duckdb.DuckDBPyConnection, results: Sequence[ReportResult],
                 raw_paths: Sequence[str | None], documents: pd.DataFrame | None = None) -> None:
    """Replace these versions' rows and supersede older versions of the same agency and year, in one
    transaction and in bulk; later results supersede earlier ones, as if loaded one by one.
    `documents`: their raw_documents rows, added in the same transaction."""
    if not results:
        return
    frames = report_frames(results, raw_paths)
    if documents is not None:
        frames["raw_documents"] = documents
    ids = [r.report_id for r in results]
    con.execute("BEGIN TRANSACTION")
    try:
        stored = list(report_statuses(con, ids))  # a new version has no rows to replace: no table scans
        for table in ("reports", "report_issues", *FACT_TABLES) if stored else ():
            con.execute(f"DELETE FROM {table} WHERE report_id IN (SELECT unnest(?::VARCHAR[]))", [stored])
        for table, frame in frames.items():
            _insert(con, table, frame)
        latest = {(r.agency_id, r.meta.year): r.report_id for r in results  # the last loaded wins
                  if r.agency_id and r.meta and r.meta.year is not None and r.status != "failed"}
        if latest:
            con.execute(
                """UPDATE reports SET superseded_by = w.report_id
                   FROM (SELECT unnest(?::VARCHAR[]) AS agency_id, unnest(?::INTEGER[]) AS year,
                                unnest(?::VARCHAR[]) AS report_id) w
                   WHERE reports.agency_id = w.agency_id AND reports.year = w.year
                     AND reports.report_id <> w.report_id AND reports.superseded_by IS NULL
                     AND reports.status <> 'failed'""",
                [[a for a, _ in latest], [y for _, y in latest], list(latest.values())])
        changed(con, (r.meta.year for r in results if r.meta))
        con.execute("COMMIT")
    except BaseException:  # a stop signal too: the chunk is loaded whole or not at all
        con.execute("ROLLBACK")
        raise


def replace_years(con: duckdb.DuckDBPyConnection, tables: Iterable[str], years: Sequence[int],
                  frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """A partition's rows, replaced in one transaction: delete the years, insert the new rows."""
    counts = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for table in tables:
            frame = frames.get(table, pd.DataFrame(columns=table_columns()[table]))
            counts[table] = replace_years_in_transaction(con, table, years, frame)
        con.execute("COMMIT")
    except BaseException:  # a stop signal too: all or nothing
        con.execute("ROLLBACK")
        raise
    return counts


def replace_years_in_transaction(con: duckdb.DuckDBPyConnection, table: str, years: Sequence[int],
                                 frame: pd.DataFrame) -> int:
    """The delete and insert of `replace_years`, inside a transaction the caller holds."""
    wanted = [int(y) for y in years]
    if table == "agencies":
        if _upsert_differs(con, table, frame):
            _insert(con, table, frame)  # bodies are not per year: upsert
            changed(con)
        return len(frame)
    frame = frame[frame["year"].isin(wanted)] if len(frame) else frame
    where = "year IN (SELECT unnest(?::INTEGER[]))"
    mine = f" AND rule NOT IN {DERIVED_RULES}" if table == "report_issues" else ""
    if _fingerprint(con, f"SELECT * FROM {table} WHERE {where}{mine}", [wanted], table) == _frame_fingerprint(con, table, frame):
        return len(frame)  # the same rows again (a night with nothing new): leave them, copy nothing
    con.execute(f"DELETE FROM {table} WHERE {where}", [wanted])
    _insert(con, table, frame)
    changed(con, wanted)
    return len(frame)


def replace_years_from_query(con: duckdb.DuckDBPyConnection, table: str, years: Sequence[int], query: str) -> int:
    """`replace_years_in_transaction` for rows a query computes, never leaving DuckDB."""
    wanted = [int(y) for y in years]
    columns = ", ".join(table_columns()[table])
    con.execute(f"CREATE OR REPLACE TEMP TABLE new_{table} AS SELECT {columns} FROM ({query}) "
                f"WHERE year IN (SELECT unnest(?::INTEGER[]))", [wanted]).fetchall()
    try:
        n = con.execute(f"SELECT count(*) FROM new_{table}").fetchall()[0][0]
        where = "year IN (SELECT unnest(?::INTEGER[]))"
        if _fingerprint(con, f"SELECT * FROM {table} WHERE {where}", [wanted], table) != \
                _fingerprint(con, f"SELECT * FROM new_{table}", [], table):
            con.execute(f"DELETE FROM {table} WHERE {where}", [wanted])
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM new_{table}")
            changed(con)
        return n
    finally:
        con.execute(f"DROP TABLE new_{table}")


def _fingerprint(con: duckdb.DuckDBPyConnection, query: str, params: list, table: str) -> tuple:
    """Row count and an order-free sum of row hashes: equal for the same multiset of rows."""
    columns = ", ".join(table_columns()[table])
    return con.execute(f"SELECT count(*), coalesce(sum(hash({columns})::HUGEINT), 0) FROM ({query})", params).fetchall()[0]


def _frame_fingerprint(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> tuple:
    if not len(frame):
        return (0, 0)
    staged = f"staged_{table}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {staged} AS SELECT * FROM {table} LIMIT 0").fetchall()
    con.register("incoming_fp", frame[table_columns()[table]])
    try:  # cast to the table's own types first, so the hashes are those of the rows as they would be stored
        con.execute(f"INSERT INTO {staged} SELECT * FROM incoming_fp").fetchall()
        return _fingerprint(con, f"SELECT * FROM {staged}", [], table)
    finally:
        con.unregister("incoming_fp")
        con.execute(f"DROP TABLE {staged}").fetchall()


def _upsert_differs(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> bool:
    """Whether upserting these rows would change anything: a new key, or a column it fills differently."""
    if not len(frame):
        return False
    key = "agency_id" if table == "agencies" else "source_id"
    columns = table_columns()[table]
    differs = " OR ".join(f"(i.{c} IS NOT NULL AND i.{c} IS DISTINCT FROM t.{c})" for c in columns if c != key)
    con.register("incoming_up", frame[columns])
    try:
        return bool(con.execute(f"""SELECT count(*) FROM incoming_up i LEFT JOIN {table} t USING ({key})
                                    WHERE t.{key} IS NULL OR {differs}""").fetchall()[0][0])
    finally:
        con.unregister("incoming_up")
