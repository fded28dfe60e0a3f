"""Files and crawls -> raw archive + warehouse. A bad report is recorded and the batch goes on.

Two ways in, one set of functions: `gongkai ingest` loads report by report; the Dagster assets gather
documents by shard (`pipeline.batch.shards`: crawl registries, `register_files`), then parse whole
report years (`parse_years`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.batch.cache import ParseCache
from pipeline.batch.report import Registered, process_report, report_id_of
from pipeline.batch.workers import Crash, Limits, run_tasks
from pipeline.crawl.archive import store_raw as archive_bytes
from pipeline.crawl.state import State
from pipeline.extract import ExtractionError, extract
from pipeline.extract.sniff import detect_format
from pipeline.load import derive, warehouse
from pipeline.load.facts import ReportResult
from pipeline.parse.describe import Region, registered_region, report_year, warm_parsers
from pipeline.parse.rules import Violation
from pipeline.text.norm import normalise
from pipeline.text.titles import find_title

DEFAULT_DATA_DIR = "data"
# Files in a folder that describe it rather than report anything.
_NOT_REPORTS = ("readme", "sources", "license", "changelog", "crawler_readme", "repo_readme")
_SKIP_SUFFIXES = {".tsv", ".json", ".csv", ".py", ".yaml", ".yml", ".css", ".js", ".png", ".jpg", ".gif", ".part"}
_EXT = {"pdf": ".pdf", "html": ".html", "docx": ".docx", "doc": ".doc", "txt": ".txt"}

Progress = Callable[[str], None]


def data_dir(given: str | None) -> Path:
    return Path(given or os.environ.get("GONGKAI_DATA_DIR") or DEFAULT_DATA_DIR)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class Outcome:
    path: str
    result: ReportResult | None  # None: this exact version was already in the warehouse
    report_id: str


def iter_files(paths: Iterable[str], refused: list[tuple[Path, str]] | None = None) -> Iterator[Path]:
    """Files as given; folders recursively, without hidden files and the folder's own notes.

    A link inside a folder that leads out of it is not read (a folder given is all that is read);
    it goes to `refused` with the reason instead."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = path.resolve()
            for child in sorted(path.rglob("*")):
                if not child.is_file() or any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                if child.stem.lower() in _NOT_REPORTS or child.suffix.lower() in _SKIP_SUFFIXES:
                    continue
                if not child.resolve().is_relative_to(inside):
                    if refused is not None:
                        refused.append((child, f"a link out of the folder {given} (to {child.resolve()}): not read"))
                    continue
                yield child
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {given}")


def store_raw(root: Path, data: bytes) -> Path:
    """Into the raw archive, named by content hash with the suffix of the format its bytes show."""
    return archive_bytes(root, data, _EXT.get(detect_format(data), ".bin"))


def report_year_of(data: bytes) -> tuple[int | None, str | None]:
    """The report year, read cheaply from the title (a full parse comes later), or why it is unknown."""
    try:
        doc = extract(data, detect_format(data))
    except ExtractionError as exc:
        return None, f"{exc.rule}: {exc}"
    text = normalise(doc.text)
    year = report_year(find_title(text, doc.title), text)  # as `describe` reads it, without the region
    return year, None if year else "no report year in the title or the text"


YearOf = Callable[[bytes], tuple[int | None, str | None]]


def document_row(root: Path, data: bytes, url: str, known: tuple[int | None, str | None] | None, *,
                 year_hint: int | None = None, kind: str = "report", year_of: YearOf = report_year_of,
                 **extra: object) -> dict:
    """Archive the bytes; their raw_documents row. `known`: (year, error) of these bytes seen before.

    `extra` fills the other raw_documents columns (source_id, http_status, referer, link_title, ...).
    The report year is the document's own when it prints one, else `year_hint` (its link's title).
    """
    raw = store_raw(root, data)
    year, error = known if known else (year_of(data) if kind == "report" else (year_hint, None))
    if year is None and year_hint is not None:
        year, error = year_hint, None
    row = {column: extra.get(column) for column in warehouse.table_columns()["raw_documents"]}
    return row | {"sha256": report_id_of(data), "url": url, "fetched_at": extra.get("fetched_at") or now(),
                  "bytes": len(data), "format": detect_format(data), "report_year": year, "raw_path": str(raw),
                  "error": error, "kind": kind}


def record_document(con: duckdb.DuckDBPyConnection, root: Path, data: bytes, url: str, *,
                    year_hint: int | None = None, kind: str = "report", **extra: object) -> dict:
    """Archive the bytes and add one raw_documents row per new (sha256, url); return the row."""
    sha = report_id_of(data)
    known = warehouse.one(con, "SELECT report_year, error FROM raw_documents WHERE sha256 = ? LIMIT 1", [sha])
    row = document_row(root, data, url, known, year_hint=year_hint, kind=kind, **extra)
    seen = warehouse.one(con, "SELECT 1 FROM raw_documents WHERE sha256 = ? AND url = ?", [sha, url])
    if not seen:
        _insert_documents(con, [row])
        warehouse.changed(con)
    return row


def _insert_documents(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows, columns=warehouse.table_columns()["raw_documents"])
    con.register("incoming_doc", frame)
    try:
        con.execute("INSERT INTO raw_documents SELECT * FROM incoming_doc")
    finally:
        con.unregister("incoming_doc")


def register_files(con: duckdb.DuckDBPyConnection, root: Path, paths: Iterable[str],
                   progress: Progress | None = None) -> list[dict]:
    rows = []
    for path in iter_files(paths):
        rows.append(record_document(con, root, path.read_bytes(), str(path)))
        if progress:
            progress(f"registered {path.name} (year {rows[-1]['report_year'] or '?'})")
    return rows


class WarehouseSink:
    """The crawler's findings kept in the raw archive, `raw_documents` and `fetch_state` (crawl.crawler.Sink).

    Bytes are archived at once; rows are written in batches (`flush`, every FLUSH_ROWS and at the end
    of a crawl): one row at a time cost more than the crawl's requests. A crawl killed between two
    flushes loses only rows whose bytes are archived, and its next night fetches them again."""

    FLUSH_ROWS = 256

    def __init__(self, con: duckdb.DuckDBPyConnection, root: Path, year_of: YearOf = report_year_of) -> None:
        self.con, self.root, self.year_of = con, root, year_of
        self._years = {sha: (year, error) for sha, year, error in con.execute(
            "SELECT sha256, any_value(report_year), any_value(error) FROM raw_documents WHERE sha256 IS NOT NULL "
            "GROUP BY sha256").fetchall()}
        self._seen = set(con.execute("SELECT DISTINCT sha256, url FROM raw_documents WHERE sha256 IS NOT NULL").fetchall())
        self._documents: list[dict] = []
        self._states: dict[str, tuple] = {}

    def sources(self, rows: list[dict]) -> None:
        warehouse.upsert_sources(self.con, rows)

    def states(self) -> dict[str, State]:
        rows = self.con.execute("SELECT url, etag, last_modified, sha256, entry, checked_at FROM fetch_state").fetchall()
        return {url: State(*rest) for url, *rest in rows}

    def known_listing(self, source_id: str) -> str | None:
        row = warehouse.one(self.con, "SELECT discovered_listing FROM sources WHERE source_id = ?", [source_id])
        return row[0] if row else None

    def archived(self, sha256: str) -> bytes | None:
        path = warehouse.one(self.con, "SELECT raw_path FROM raw_documents WHERE sha256 = ? LIMIT 1", [sha256])
        if path is None:
            path = next(([d["raw_path"]] for d in self._documents if d["sha256"] == sha256), None)
        return Path(path[0]).read_bytes() if path and Path(path[0]).exists() else None

    def keep(self, url: str, body: bytes, *, year_hint: int, kind: str, etag: str | None,
             last_modified: str | None, entry: str | None = None, **meta: object) -> bool:
        sha = report_id_of(body)
        row = document_row(self.root, body, url, self._years.get(sha), year_hint=year_hint, kind=kind,
                           year_of=self.year_of, **meta)
        self._years.setdefault(sha, (row["report_year"], row["error"]))
        new = (sha, url) not in self._seen
        if new:
            self._seen.add((sha, url))
            self._documents.append(row)
        self._states[url] = (url, etag, last_modified, sha, now(), entry)
        self._maybe_flush()
        return new

    def touch(self, url: str, entry: str | None) -> None:
        old = self._states.get(url) or warehouse.one(
            self.con, "SELECT url, etag, last_modified, sha256, checked_at, entry FROM fetch_state WHERE url = ?", [url])
        if old is not None:
            self._states[url] = (*old[:4], now(), entry)
            self._maybe_flush()

    def failed(self, url: str, reason: str, **meta: object) -> None:
        row = {column: meta.get(column) for column in warehouse.table_columns()["raw_documents"]}
        self._documents.append(row | {"url": url, "fetched_at": now(), "error": reason, "kind": meta.get("kind") or "report"})
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if len(self._documents) + len(self._states) >= self.FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self._documents and not self._states:
            return
        states = pd.DataFrame(list(self._states.values()),
                              columns=["url", "etag", "last_modified", "sha256", "checked_at", "entry"])
        self.con.execute("BEGIN TRANSACTION")
        try:
            if self._documents:
                _insert_documents(self.con, self._documents)
                warehouse.changed(self.con)
            if len(states):
                self.con.register("incoming_states", states)
                self.con.execute(
                    """INSERT INTO fetch_state (url, etag, last_modified, sha256, checked_at, entry)
                       SELECT url, etag, last_modified, sha256, CAST(checked_at AS TIMESTAMP), entry FROM incoming_states
                       ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
                       sha256 = excluded.sha256, checked_at = excluded.checked_at, entry = excluded.entry""")
                self.con.unregister("incoming_states")
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self._documents, self._states = [], {}


def is_registry(source: str) -> bool:
    return source.lower().endswith((".yaml", ".yml"))


def _process_safely(data: bytes, source_uri: str, registered: Registered | None = None) -> ReportResult:
    try:
        return process_report(data, source_uri, registered)
    except Exception as exc:  # a parser bug must not stop the batch; the bytes are kept for a re-run
        return ReportResult(report_id_of(data), source_uri, detect_format(data), None, None, "failed",
                            issues=[Violation("extraction_error", f"{type(exc).__name__}: {exc}")])


def _parse_file(raw_path: str, source_uri: str, registered: Registered | None) -> ReportResult:
    """One report in a worker: read from the raw archive, parsed; never raises on bad input."""
    return _process_safely(Path(raw_path).read_bytes(), source_uri, registered)


def _crashed(raw_path: str, source_uri: str, crash: Crash) -> ReportResult:
    """The `failed` result of a report whose worker died or ran out of time or memory."""
    data = Path(raw_path).read_bytes()
    rule = ("parse_time_limit" if "longer than" in crash.reason else
            "parse_memory_limit" if "memory" in crash.reason else "worker_crashed")
    return ReportResult(report_id_of(data), source_uri, detect_format(data), None, None, "failed",
                        issues=[Violation(rule, f"{crash.reason}; the raw bytes are kept at {raw_path}")])


def parse_all(tasks: Iterable[tuple[str, str, tuple[str, Region] | None]], processes: int | None = None,
              limits: Limits | None = None) -> Iterator[tuple[int, ReportResult]]:
    """(index, result) for each (raw_path, source_uri, registered) task, parsed in worker processes."""
    seen: list[tuple[str, str, tuple[str, Region] | None]] = []

    def remember() -> Iterator[tuple[str, str, tuple[str, Region] | None]]:
        for task in tasks:
            seen.append(task)
            yield task

    for index, value in run_tasks(_parse_file, remember(), processes, limits, warm=warm_parsers):
        raw_path, uri, _registered = seen[index]
        yield index, _crashed(raw_path, uri, value) if isinstance(value, Crash) else value


def year_documents(con: duckdb.DuckDBPyConnection, year: int) -> list[tuple]:
    """A report year's registered documents, one row per distinct body of bytes, oldest first."""
    return con.execute(
        """SELECT sha256, arg_min(url, fetched_at) AS url, min(raw_path) AS raw_path, min(fetched_at) AS first_seen,
                  arg_min(source_name, fetched_at), arg_min(source_region, fetched_at), arg_min(source_level, fetched_at),
                  arg_min(link_title, fetched_at)
           FROM raw_documents WHERE report_year = ? AND sha256 IS NOT NULL AND kind = 'report'
           GROUP BY sha256 ORDER BY first_seen, sha256""", [year]).fetchall()


def parse_years(documents: dict[tuple[str, int], list[tuple]], progress: Progress | None = None,
                cache: ParseCache | None = None, processes: int | None = None) -> dict[tuple[str, int], dict[str, pd.DataFrame]]:
    """The documents of each (shard, year), parsed in one pool of workers: each key's rows for every table.

    A document whose bytes, registered source and parser are unchanged comes from `cache`, not parsed again.
    """
    results: dict[tuple[str, int], list[ReportResult | None]] = {k: [None] * len(d) for k, d in documents.items()}
    keys, tasks, where = [], [], []
    for key, docs in documents.items():
        for i, (sha, url, raw_path, _first_seen, source_name, source_region, level, link_title) in enumerate(docs):
            registered = None
            if source_region:  # the linking title first, then the registry: for a file that names no body
                registered = (source_name or "", registered_region(source_region.split("/"), level or "county"),
                              link_title)
            cache_key = ParseCache.key(sha, url, registered)
            results[key][i] = cache.get(cache_key) if cache is not None else None
            if results[key][i] is None:
                tasks.append((raw_path, url, registered))
                where.append((key, i))
                keys.append(cache_key)
    for n, (index, result) in enumerate(parse_all(tasks, processes) if tasks else (), 1):
        key, i = where[index]
        results[key][i] = result
        if cache is not None:
            cache.put(keys[index], result)
        if progress:
            progress(f"{key[1]}: {n}/{len(tasks)} parsed {Path(result.source_uri).name} -> {result.status}, "
                     f"{result.n_facts} facts")
    total = sum(len(d) for d in documents.values())
    if progress and len(tasks) < total:
        progress(f"{total - len(tasks)} unchanged documents not parsed again")
    out = {}
    for key, docs in documents.items():
        done = [r for r in results[key] if r is not None]
        frames = warehouse.report_frames(done, [d[2] for d in docs], [d[3] for d in docs])
        frames["reports"] = warehouse.mark_superseded(frames["reports"])
        for name, frame in frames.items():  # a document filed under this year may print another: keep it here
            if "year" in frame.columns and len(frame):
                frames[name] = frame.assign(year=frame["year"].fillna(key[1]).astype("int64"))
        out[key] = frames
    return out


SCAN_CHUNK = 256  # files read and looked up together before parsing
LOAD_CHUNK = 256  # reports per load transaction: bulk inserts, and a crash loses at most one chunk's work


def ingest_paths(paths: Iterable[str], root: Path, processes: int | None = None,
                 limits: Limits | None = None) -> Iterator[Outcome]:
    """Parse files in worker processes, load them in bulk into the build warehouse, then publish it."""
    refused: list[tuple[Path, str]] = []
    files = list(iter_files(paths, refused))
    with warehouse.build_session(root) as con:
        years: set[int] = set()
        tasks: list[tuple[str, str, None]] = []
        known: list[Outcome] = []
        again: list[tuple[Path, bytes]] = []  # the same bytes twice in this batch: parsed once

        def scan() -> Iterator[tuple[str, str, None]]:
            queued: set[str] = set()
            for start in range(0, len(files), SCAN_CHUNK):  # one status query per chunk, not per file
                read = [(path, path.read_bytes()) for path in files[start:start + SCAN_CHUNK]]
                ids = [report_id_of(data) for _, data in read]
                stored = warehouse.report_statuses(con, ids)
                for (path, data), rid in zip(read, ids, strict=True):
                    if rid in queued:
                        again.append((path, data))
                    elif stored.get(rid) not in (None, "failed"):
                        record_document(con, root, data, str(path))  # a new path for known bytes: nothing to parse
                        known.append(Outcome(str(path), None, rid))
                    else:
                        queued.add(rid)
                        tasks.append((str(store_raw(root, data)), str(path), None))
                        yield tasks[-1]

        # scanned lazily: the workers warm up (the gazetteer) while the parent reads the first files
        chunk: list[tuple[ReportResult, str]] = []
        for index, result in parse_all(scan(), processes, limits):
            chunk.append((result, tasks[index][0]))
            if len(chunk) >= LOAD_CHUNK:
                yield from _load_chunk(con, root, chunk, years)
                chunk = []
        yield from _load_chunk(con, root, chunk, years)
        yield from known
        yield from _refuse(con, refused)
        for path, data in again:
            record_document(con, root, data, str(path))
            yield Outcome(str(path), None, report_id_of(data))
        derive.refresh(con, sorted(years))
        warehouse.publish(con, root)


def _refuse(con: duckdb.DuckDBPyConnection, refused: list[tuple[Path, str]]) -> Iterator[Outcome]:
    """Paths not read (links out of the folder given): each a `failed` report with its reason, no bytes."""
    results = [ReportResult(report_id_of(f"refused:{path}".encode()), str(path), "unknown", None, None, "failed",
                            issues=[Violation("path_refused", reason)]) for path, reason in refused]
    warehouse.load_reports(con, results, [None] * len(results))
    for result in results:
        yield Outcome(result.source_uri, result, result.report_id)


def _load_chunk(con: duckdb.DuckDBPyConnection, root: Path, chunk: list[tuple[ReportResult, str]],
                years: set[int]) -> Iterator[Outcome]:
    """The chunk's raw_documents rows (the year its parse read) and its reports, in one transaction."""
    if not chunk:
        return
    pairs = [(r.report_id, r.source_uri) for r, _ in chunk]
    known = {tuple(row) for row in con.execute(
        "SELECT DISTINCT sha256, url FROM raw_documents WHERE sha256 IN (SELECT unnest(?::VARCHAR[]))",
        [[sha for sha, _ in pairs]]).fetchall()}
    rows = []
    for result, raw_path in chunk:
        year = result.meta.year if result.meta else None
        error = None if year else next((f"{i.rule}: {i.detail}" for i in result.issues), "no report year")
        if year:
            years.add(year)
        if (result.report_id, result.source_uri) in known:
            continue
        known.add((result.report_id, result.source_uri))
        rows.append({"sha256": result.report_id, "url": result.source_uri, "fetched_at": now(),
                     "bytes": Path(raw_path).stat().st_size, "format": result.format, "report_year": year,
                     "raw_path": raw_path, "error": error, "kind": "report"})
    documents = pd.DataFrame(rows, columns=warehouse.table_columns()["raw_documents"])
    warehouse.load_reports(con, [r for r, _ in chunk], [path for _, path in chunk], documents)
    for result, _ in chunk:
        yield Outcome(result.source_uri, result, result.report_id)
