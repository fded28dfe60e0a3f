"""`gongkai ...`: parses arguments, checks what they name, calls the pipeline, prints.

Every mistake on the command line is one short message on stderr (exit 2); a run that fails says why
(exit 1); SIGTERM and Ctrl-C stop a command cleanly (exit 143 and 130); a bug is one line naming the
log file that holds its trace (`gongkai.guard`).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import difflib
import json
import math
import os
import shutil
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from gongkai.guard import (
    FAILED,
    USAGE,
    RunFailed,
    Stopped,
    UsageError,
    internal_error,
    robust_streams,
    stop_handlers,
    stop_signal,
    write_log,
)
from pipeline.batch.ingest import data_dir, ingest_paths, is_registry
from pipeline.load import warehouse
from pipeline.load.lock import LockTimeout
from pipeline.parse.reportyears import YearsError, parse_years

if TYPE_CHECKING:
    from pipeline.crawl.registry import Registry


# --- what the arguments name, checked before any work starts ---------------------------------------
def _folder(given: str | Path, what: str) -> Path:
    """A path that is a folder, or can be made one (nothing on the way to it is a file)."""
    path = Path(given)
    try:
        for step in (path, *path.parents):
            if step.exists():
                if not step.is_dir():
                    where = "is a file" if step == path else f"is inside {step}, which is a file"
                    raise UsageError(f"{what} {path} {where}, not a folder: give a folder (it is created if missing)")
                break
    except (OSError, ValueError) as exc:
        raise UsageError(f"{what} {str(given)!r} is not a usable path ({exc})") from exc
    return path


def _root(args: argparse.Namespace) -> Path:
    return _folder(data_dir(args.data_dir), "the data dir (--data-dir or $GONGKAI_DATA_DIR)")


def _years(text: str | None) -> list[int]:
    try:
        return parse_years(text)
    except YearsError as exc:
        raise UsageError(f"--years: {exc}") from exc


def _existing(paths: list[str], what: str) -> list[str]:
    for given in paths:
        try:
            there = Path(given).exists()
        except (OSError, ValueError):
            there = False
        if not there:
            raise UsageError(f"{what} {given!r}: no such file or folder")
    return paths


def _registry(path: str) -> Registry:
    """The registry at `path`, or the reason it cannot be used."""
    from pipeline.crawl.registry import RegistryError, load_registry

    try:
        return load_registry(_existing([path], "--sources")[0])
    except RegistryError as exc:
        raise UsageError(f"--sources: {exc}") from exc


def _check_sources(sources: list[str]) -> list[str]:
    """Each source a registry that loads, or a report file or folder that is there."""
    for source in _existing(sources, "--sources"):
        if is_registry(source):
            _registry(source)
    return sources


def _published(root: Path) -> str:
    """Where analysts read, and since when: what a stopped or failed run leaves them."""
    path = root / warehouse.WAREHOUSE_FILE
    if not path.exists():
        return "no warehouse has been published in this data dir yet"
    when = dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
    return f"analysts keep the last complete warehouse ({path}, published {when})"


def _open_published(args: argparse.Namespace, query_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = _root(args) / warehouse.WAREHOUSE_FILE
    try:
        return warehouse.connect(path, read_only=True, query_only=query_only)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    except duckdb.Error as exc:  # not a DuckDB file, or one this DuckDB cannot read
        raise RunFailed(f"cannot open the warehouse {path}: {_first_lines(exc, 1)}; `gongkai run` or "
                        "`gongkai ingest` publishes it again") from exc


# --- the commands ------------------------------------------------------------------------------------
def _ingest(args: argparse.Namespace) -> int:
    root = _root(args)
    _existing(args.paths, "no report file or folder")
    totals: Counter[str] = Counter()
    facts = 0
    args.on_stop = lambda: (f"{sum(totals.values())} reports were read before the stop; nothing new was published "
                            f"({_published(root)}). Every file read is kept in {root / 'raw'}; the same command "
                            "again goes on from there.")
    for outcome in ingest_paths(args.paths, root):
        r = outcome.result
        if r is None:
            print(f"{outcome.path}\talready ingested ({outcome.report_id[:12]})")
            totals["unchanged"] += 1
            continue
        meta = r.meta
        reason = "" if r.status in ("ok",) else "\t" + "; ".join(sorted({i.rule for i in r.issues}))
        shown = f"{r.status} (OCR)" if r.read_by == "ocr" else r.status
        print(f"{outcome.path}\t{(meta and meta.agency_name) or '?'}\t{(meta and meta.year) or '?'}\t"
              f"{meta.template if meta else 'unknown'}\t{shown}\t{r.n_facts} facts{reason}")
        totals[r.status] += 1
        facts += r.n_facts
    summary = ", ".join(f"{n} {s}" for s, n in sorted(totals.items()))
    print(f"total: {sum(totals.values())} reports ({summary}), {facts} facts -> {root / warehouse.WAREHOUSE_FILE}", flush=True)
    return 0


def _query_text(args: argparse.Namespace) -> str:
    if args.file is not None and args.query is not None:
        raise UsageError("give the query or --file, not both")
    if args.file is not None:
        try:
            text = Path(args.file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--file {args.file}: cannot read it ({exc})") from exc
    else:
        text = args.query or ""
    if not text.strip():
        raise UsageError("the query is empty: gongkai sql \"SELECT count(*) FROM reports\"")
    return text


def _sql(args: argparse.Namespace) -> int:
    query = _query_text(args)
    con = _open_published(args, query_only=True)
    try:
        if args.format == "table":
            relation = con.sql(query)
            if relation is not None:  # None: a statement with no result (DuckDB's client prints nothing either)
                # DuckDB's own rendering: NULL as NULL, integers as integers, types under the names, CJK aligned
                width = shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 10_000
                relation.show(max_rows=args.max_rows or sys.maxsize, max_width=width)
        else:
            _write_rows(con.execute(query), args.format)
    except (duckdb.PermissionException, duckdb.InvalidInputException) as exc:
        raise RunFailed(f"the warehouse is read-only to `gongkai sql` (queries only: no changes, files, "
                        f"ATTACH, extensions or settings): {_first_lines(exc)}") from exc
    except duckdb.CatalogException as exc:
        raise RunFailed(f"{_first_lines(exc)}\n(the tables and views: gongkai tables)") from exc
    except duckdb.Error as exc:  # duckdb's own words say what is wrong with the query
        raise RunFailed(_first_lines(exc, 4)) from exc
    finally:
        con.close()
    return 0


def _write_rows(cursor: duckdb.DuckDBPyConnection, fmt: str) -> None:
    """CSV (NULL empty, as DuckDB's COPY writes it) or JSON (NULL as null), streamed."""
    columns = [d[0] for d in cursor.description or []]
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
    else:
        sys.stdout.write("[")
    first = True
    while batch := cursor.fetchmany(10_000):
        for row in batch:
            if fmt == "csv":
                writer.writerow(["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in row])
            else:
                record = {c: (None if isinstance(v, float) and math.isnan(v) else v) for c, v in zip(columns, row, strict=True)}
                sys.stdout.write(("" if first else ",") + "\n " + json.dumps(record, ensure_ascii=False, default=str))
            first = False
    if fmt == "json":
        sys.stdout.write("\n]\n" if not first else "]\n")


def _tables(args: argparse.Namespace) -> int:
    """The warehouse's tables and views with their meanings; with a name, its columns."""
    from pipeline.analysis.catalog import columns, tables

    con = _open_published(args)
    try:
        if args.name is None:
            frame = tables(con)
        else:
            frame = columns(con, args.name)
            if frame.empty:
                known = tables(con)["name"].tolist()
                close = difflib.get_close_matches(args.name, known, n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(close)}?" if close else f"; the tables: {', '.join(known)}"
                raise UsageError(f"no table or view {args.name!r}{hint}")
    finally:
        con.close()
    print(_aligned(frame))
    return 0


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _aligned(frame: pd.DataFrame) -> str:
    """Text left, numbers right, by display width (pandas counts a CJK character as one column)."""
    cells = [[str(c) for c in frame.columns]] + [["" if pd.isna(v) else str(v) for v in row]
                                                 for row in frame.itertuples(index=False)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(frame.columns))]
    lines = []
    for row in cells:
        padded = [(" " * (w - _width(v)) + v) if num else (v + " " * (w - _width(v)))
                  for v, w, num in zip(row, widths, numeric, strict=True)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def _ui(args: argparse.Namespace) -> int:
    """`dagster dev` on this data dir's Dagster instance (the one `gongkai run` writes)."""
    from assets.instance import dagster_home

    home = dagster_home(_root(args))
    project = Path(__file__).resolve().parents[1]
    command = ["dagster", "dev", "-m", "assets.definitions", "-h", args.host, "-p", str(args.port)]
    print(f"DAGSTER_HOME={home} {' '.join(command)}  (in {project})", flush=True)
    os.chdir(project)
    # this interpreter's dagster (a virtual environment need not be on the PATH)
    os.execve(sys.executable, [sys.executable, "-m", *command], {**os.environ, "DAGSTER_HOME": str(home)})
    return 0  # not reached


def _first_lines(exc: BaseException, n: int = 2) -> str:
    return "\n".join(line for line in str(exc).strip().splitlines()[:n] if line.strip())


def _sample(args: argparse.Namespace) -> int:
    from pipeline.synth.generate import write_sample

    out = _folder(args.out, "the sample's folder")
    registry = write_sample(out, seed=args.seed)
    print(f"wrote the synthetic sample site to {out}; its source registry: {registry}")
    return 0


def _crawl(args: argparse.Namespace) -> int:
    """Fetch what the registry's sites list into the raw archive (no parsing: `gongkai run` does that)."""
    from pipeline.batch.shards import crawl_all, merge_documents
    from pipeline.synth.generate import write_sample

    root = _root(args)
    years = set(_years(args.years))
    registry = _registry(args.sources if args.sources is not None else str(write_sample(root / "sample")))
    args.on_stop = lambda: (f"what was fetched is kept in {root / 'raw'}; nothing new was published "
                            f"({_published(root)}); the same command again goes on from there.")
    with warehouse.build_session(root) as con:
        summary = crawl_all(root, [str(registry.path)], years, progress=lambda m: print(f"  {m}", flush=True))
        merge_documents(con, root)
        warehouse.publish(con, root)
    print(f"crawl: {len(registry.sources)} sources, {summary.listing_pages} listing pages, {summary.reports_found} "
          f"report links, {summary.documents_new} new documents, {summary.unchanged} unchanged, "
          f"{summary.not_due} not due for a re-check, {len(summary.failures)} failures, {summary.requests} requests")
    for source_id, listing in summary.discovered.items():
        print(f"  found {source_id}'s report column: {listing}")
    for host, why in summary.hosts_set_aside.items():
        print(f"  ! host {host} {why}")
    for url, reason in summary.failures:
        print(f"  ! {url}: {reason}")
    return 0


def _run(args: argparse.Namespace) -> int:
    """The main job: the Dagster asset graph for the years, in this process, as one run."""
    from assets.run import check_years, failure_details, failures, materialize_years

    root = _root(args)
    years = _years(args.years)
    try:
        check_years(years)
    except ValueError as exc:
        raise UsageError(f"--years: {exc}") from exc
    sources = _check_sources(args.sources or [])
    args.on_stop = lambda: (f"nothing was half-published; {_published(root)}. What was fetched is kept in "
                            f"{root / 'raw'}; the next run starts at once and goes on from there.")
    print(f"gongkai run: report years {years[0]}..{years[-1]}, sources: {', '.join(sources) or 'the bundled sample'}",
          flush=True)
    result = materialize_years(years, root, sources, progress=True)
    if (signum := stop_signal()) is not None:  # Dagster stopped the run on it: say so as for any stop
        raise Stopped(signum)
    problems = failures(result)
    published = root / warehouse.WAREHOUSE_FILE
    if result.success and published.exists():
        for line in problems:
            print(f"  ! {line}")
        con = warehouse.connect(published, read_only=True)
        try:
            rows = con.execute("SELECT year, status, count(*), sum(n_facts) FROM reports GROUP BY ALL ORDER BY ALL").fetchall()
        finally:
            con.close()
        for year, status, n, facts in rows:
            print(f"  {year}\t{status}\t{n} reports\t{facts} facts")
        print(f"published {published}", flush=True)
        return 0
    log = write_log(root, "run", failure_details(result))
    first = problems[0] if problems else "the run did not finish"
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    raise RunFailed(f"{first}{more}\n{_published(root)}; the full errors are in {log}")


def _compare(args: argparse.Namespace) -> int:
    """One body's metrics by year, side by side, with the last year's change; optionally a chart."""
    from pipeline.analysis import charts, compare

    years = _years(args.years)
    chart = Path(args.chart) if args.chart else None
    if chart is not None:
        if chart.suffix.lower() not in (".png", ".html"):
            raise UsageError(f"--chart {args.chart}: a chart is written as FILE.png or FILE.html")
        _folder(chart.parent, "--chart's folder")
        if chart.is_dir():
            raise UsageError(f"--chart {args.chart} is a folder: name a file (FILE.png or FILE.html)")
    con = _open_published(args)
    try:
        try:
            agency = compare.resolve_agency(con, args.agency)
        except compare.AgencyNotFound as exc:
            raise UsageError(str(exc)) from exc
        frame = compare.compare_frame(con, agency.agency_id, years)
        series = compare.chart_series(con, agency.agency_id, years)
        boundaries = compare.template_boundaries(con, agency.agency_id, years)
    finally:
        con.close()
    region = "/".join(x for x in (agency.province, agency.city, agency.county) if isinstance(x, str))
    title = f"{agency['name']}（{region or '地区未知'}）{years[0]}–{years[-1]}"
    print(f"{title}  [{agency.agency_id}]")
    print(compare.format_compare(frame, boundaries) if not frame.empty else "(no metrics for these years)")
    if note := compare.boundary_note(boundaries):
        print(note)
    if chart is not None:
        chart.parent.mkdir(parents=True, exist_ok=True)
        print(f"chart: {charts.write_chart(series, title, chart, [y for y, _, _ in boundaries])}")
    return 0


def _scorecard(args: argparse.Namespace) -> int:
    """A region's bodies in bands, with each one's weakest component; --csv writes every component."""
    from pipeline.analysis.scorecards import banded_text, scorecard_listing

    csv_path = Path(args.csv) if args.csv else None
    if csv_path is not None:
        _folder(csv_path.parent, "--csv's folder")
        if csv_path.is_dir():
            raise UsageError(f"--csv {args.csv} is a folder: name a file (FILE.csv)")
    con = _open_published(args)
    try:
        year, frame = scorecard_listing(con, args.region, args.level, args.year)
    except duckdb.CatalogException as exc:
        raise RunFailed("this warehouse has no scorecards yet: `gongkai run` or `gongkai ingest` builds them") from exc
    finally:
        con.close()
    scope = " ".join(x for x in (args.region, args.level) if x) or "all bodies"
    print(f"scorecards {year}, {scope}: {len(frame)} bodies (method: docs/scorecard.md)")
    print("\n".join(banded_text(frame)))
    if csv_path is not None:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(csv_path, index=False)
        print(f"csv: {csv_path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from pipeline.analysis.export import export

    out = _folder(args.out, "the export folder")
    con = _open_published(args)
    try:
        written = export(con, out, args.format)
    finally:
        con.close()
    print(f"exported {len(written)} tables and views to {out} as {args.format}, with {out / 'manifest.json'}")
    return 0


def _site(args: argparse.Namespace) -> int:
    """The explorer: a static site of the published warehouse (docs/explorer.md)."""
    from pipeline.publish.build import NotASiteFolder, build_site

    out = _folder(args.out, "the site's folder")
    con = _open_published(args)
    try:
        summary = build_site(con, out, parquet=not args.no_parquet, archive=not args.no_archive)
    except NotASiteFolder as exc:
        raise UsageError(str(exc)) from exc
    finally:
        con.close()
    print(f"site: {summary.bodies:,} bodies, {summary.regions:,} regions, {summary.files:,} files, "
          f"{summary.bytes / 1e6:.1f} MB in {summary.seconds:.1f} s: {out}")
    print(f"open it from any static server, e.g. `python -m http.server -d {out} -b 127.0.0.1 8000`, "
          "then http://127.0.0.1:8000/ (a page opened as a file cannot read its data)")
    return 0


# --- the parser --------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """A usage mistake: one line, and where the help is (argparse would print the whole usage)."""
        self.exit(USAGE, f"{self.prog}: error: {message}\n(see {self.prog} --help)\n")


YEARS_HELP = "report years: 2019:2025, 2021 or 2019,2021 (default: 2019 to last year)"
DATA_HELP = "the data dir: raw archive, warehouse, Dagster's instance, logs (default: $GONGKAI_DATA_DIR or data/)"
DESCRIPTION = """\
China's government information-disclosure annual reports (政府信息公开工作年度报告): crawled from the
bodies' own sites, read from PDF, Word, HTML and text, and loaded into a DuckDB warehouse of every
number of the standard tables 二, 三 and 四, with year-over-year metrics."""
EXAMPLES = """\
examples:
  gongkai run                                   the whole job on the bundled sample (synthetic reports)
  gongkai run --sources sources.yaml --years 2024
                                                crawl a registry's sites for 2024 and load what they list
  gongkai ingest reports/                       load report files you already have
  gongkai tables                                what the warehouse holds; gongkai tables outcomes: its columns
  gongkai sql "SELECT year, count(*) FROM reports GROUP BY ALL ORDER BY 1"
  gongkai sql --file query.sql --format csv > out.csv
  gongkai compare 黑龙江省双鸭山市宝山区 --chart baoshan.png
  gongkai scorecard --region 江苏省 --level county --csv cards.csv
                                                bodies in bands A–E, each with its weakest component
  gongkai export exported/                      every table as Parquet, with manifest.json
  gongkai site site/                            the explorer: a static site to open from any web server
  gongkai ui                                    Dagster's UI on this data dir's runs and assets

The analyst's guide (docs/analyst-guide.md) has queries to start from. Exit codes: 0 done, 1 failed,
2 a mistake on the command line, 130 Ctrl-C, 143 SIGTERM."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gongkai")
    except PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gongkai", description=DESCRIPTION, epilog=EXAMPLES,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gongkai {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    p = sub.add_parser("run", help="the main job: crawl, parse, load and derive the years, as one Dagster run",
                       description="The whole Dagster asset graph for the report years, in this process, as one "
                                   "run of the ingest_years job (shown in `gongkai ui`).")
    p.add_argument("--sources", nargs="*", metavar="SOURCE",
                   help="a source registry (YAML) to crawl, or report files and folders (default: the bundled sample site)")
    p.add_argument("--years", help=YEARS_HELP)
    p.add_argument("--data-dir", help=DATA_HELP)
    p.set_defaults(func=_run)
    p = sub.add_parser("crawl", help="fetch the reports that the registry's sites list into the raw archive")
    p.add_argument("--sources", metavar="REGISTRY", help="the source registry (YAML); default: the bundled sample site")
    p.add_argument("--years", help=YEARS_HELP)
    p.add_argument("--data-dir", help=DATA_HELP)
    p.set_defaults(func=_crawl)
    p = sub.add_parser("ingest", help="load report files (or folders, recursively) into the warehouse")
    p.add_argument("paths", nargs="+", metavar="PATH", help="report files or folders (PDF, Word, HTML, text)")
    p.add_argument("--data-dir", help=DATA_HELP)
    p.set_defaults(func=_ingest)
    p = sub.add_parser("sql", help="run a read-only query against the warehouse",
                       description="Run one read-only query (DuckDB's SQL) against the published warehouse and "
                                   "print its rows as DuckDB's own client does. `gongkai tables` lists what to query.")
    p.add_argument("query", nargs="?", help="the query, e.g. \"SELECT * FROM reports LIMIT 5\" (or --file)")
    p.add_argument("--file", metavar="QUERY.sql", help="read the query from this file")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="table (default; NULL shown as NULL), csv (NULL as empty) or json (NULL as null)")
    p.add_argument("--max-rows", type=int, default=40, metavar="N",
                   help="rows a table shows, the first and last halves (default 40, as DuckDB's client; 0: all)")
    p.add_argument("--data-dir", help=DATA_HELP)
    p.set_defaults(func=_sql)
    p = sub.add_parser("tables", help="the warehouse's tables and views, or one's columns, with their meanings")
    p.add_argument("name", nargs="?", help="a table or view: list its columns, types and meanings")
    p.add_argument("--data-dir", help=DATA_HELP)
    p.set_defaults(func=_tables)
    p = sub.add_parser("compare", help="one body's metrics by year, side by side; --chart draws them")
    p.add_argument("agency", help="agency_id, name, or name with region (黑龙江省双鸭山市宝山区)")
    p.add_argument("--years", help=YEARS_HELP)
    p.add_argument("--chart", metavar="FILE", help="write a chart: FILE.png or FILE.html")
    p.add_argument("--data-dir", help=DATA_HELP)
    p.set_defaults(func=_compare)
    p = sub.add_parser("scorecard", help="a region's bodies in bands by their transparency scorecards")
    p.add_argument("--region", help="a province, city or county name (江苏省, 淮安市, 洪泽区); default: everywhere")
    p.add_argument("--level", choices=("province", "city", "county", "township", "department"),
                   help="only bodies of this level")
    p.add_argument("--year", type=int, help="the report year (default: the latest scored)")
    p.add_argument("--csv", metavar="FILE", help="also write every body's components and score to FILE.csv")
    p.add_argument("--data-dir", help=DATA_HELP)
    p.set_defaults(func=_scorecard)
    p = sub.add_parser("export", help="every table and view, one file each, with a manifest, for other tools")
    p.add_argument("out", metavar="DIR", help="the folder to write the files and manifest.json to")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="file format (default parquet)")
    p.add_argument("--data-dir", help=DATA_HELP)
    p.set_defaults(func=_export)
    p = sub.add_parser("site", help="the explorer: a static site of the warehouse (search, bodies, compare, regions)")
    p.add_argument("out", metavar="DIR", help="the folder to write the site into (its data is replaced)")
    p.add_argument("--no-archive", action="store_true", help="leave out the reports' archived copies")
    p.add_argument("--no-parquet", action="store_true", help="leave out the full Parquet export (download/)")
    p.add_argument("--data-dir", help=DATA_HELP)
    p.set_defaults(func=_site)
    p = sub.add_parser("sample", help="write the synthetic sample site and its source registry")
    p.add_argument("out", metavar="DIR", help="the folder to write the sample site and its registry to")
    p.add_argument("--seed", type=int, default=0, help="the random seed (default 0)")
    p.set_defaults(func=_sample)
    p = sub.add_parser("ui", help="Dagster's UI (dagster dev) on this data dir's runs, assets and schedule")
    p.add_argument("--data-dir", help=DATA_HELP)
    p.add_argument("--host", default="127.0.0.1", help="the address to serve on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=3000, help="the port (default 3000)")
    p.set_defaults(func=_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    robust_streams()
    with stop_handlers():
        return _main(sys.argv[1:] if argv is None else list(argv))


def _main(argv: list[str]) -> int:
    prog = "gongkai"
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(argv)
        prog = f"gongkai {args.command}"
        return args.func(args)
    except SystemExit as exc:  # argparse: --help (0) or a usage mistake (2), already printed
        return exc.code if isinstance(exc.code, int) else USAGE
    except UsageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return USAGE
    except (RunFailed, LockTimeout) as exc:
        print(f"{prog}: failed: {exc}", file=sys.stderr)
        return FAILED
    except Stopped as exc:
        return _stopped(prog, args, exc)
    except BrokenPipeError:  # `gongkai sql ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001  (a bug: one line here, the trace in a log file)
        if (signum := stop_signal()) is not None:  # the stop interrupted a library's call (DuckDB: "Query interrupted")
            return _stopped(prog, args, Stopped(signum))
        root = None
        try:
            root = data_dir(getattr(args, "data_dir", None))
        except Exception:  # noqa: BLE001
            pass
        print(f"{prog}: {internal_error(exc, root, argv)}", file=sys.stderr)
        return FAILED


def _stopped(prog: str, args: argparse.Namespace, exc: Stopped) -> int:
    kept = getattr(args, "on_stop", None)
    print(f"{prog}: stopped by {exc}" + (f": {kept()}" if kept else "."), file=sys.stderr)
    return 128 + exc.signum


if __name__ == "__main__":
    sys.exit(main())
