"""`gongkai ...`: parses arguments, calls the pipeline, prints."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import duckdb

from pipeline.batch.ingest import data_dir, ingest_paths
from pipeline.load import warehouse
from pipeline.load.lock import LockTimeout
from pipeline.parse.reportyears import parse_years


def _ingest(args: argparse.Namespace) -> int:
    root = data_dir(args.data_dir)
    totals: Counter[str] = Counter()
    facts = 0
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
    print(f"total: {sum(totals.values())} reports ({summary}), {facts} facts -> {root / warehouse.WAREHOUSE_FILE}")
    return 0


class CliError(Exception):
    """A message for the user and the exit code; `main` prints it instead of a traceback."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _open_published(args: argparse.Namespace, query_only: bool = False):
    try:
        return warehouse.connect(data_dir(args.data_dir) / warehouse.WAREHOUSE_FILE, read_only=True,
                                 query_only=query_only)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc


def _sql(args: argparse.Namespace) -> int:
    con = _open_published(args, query_only=True)
    try:
        frame = con.execute(args.query).fetchdf()
    except (duckdb.PermissionException, duckdb.InvalidInputException) as exc:
        print(f"error: the warehouse is read-only to `gongkai sql` (queries only: no changes, files, "
              f"ATTACH, extensions or settings): {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # duckdb's errors say what is wrong with the query
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(json.dumps(json.loads(frame.to_json(orient="records", force_ascii=False)), ensure_ascii=False, indent=1))
    else:
        print(frame.to_string(index=False) if len(frame) else "(no rows)")
    return 0


def _sample(args: argparse.Namespace) -> int:
    from pipeline.synth.generate import write_sample

    registry = write_sample(Path(args.out), seed=args.seed)
    print(f"wrote the synthetic sample site to {args.out}; its source registry: {registry}")
    return 0


def _crawl(args: argparse.Namespace) -> int:
    """Fetch what the registry's sites list into the raw archive (no parsing: `gongkai run` does that)."""
    from pipeline.batch.ingest import WarehouseSink
    from pipeline.crawl.crawler import crawl
    from pipeline.crawl.registry import RegistryError, load_registry
    from pipeline.synth.generate import write_sample

    root = data_dir(args.data_dir)
    path = args.sources or str(write_sample(root / "sample"))
    try:
        registry = load_registry(path)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    years = set(parse_years(args.years))
    with warehouse.build_session(root) as con:
        summary = crawl(registry, WarehouseSink(con, root), years, progress=lambda m: print(f"  {m}", flush=True))
        warehouse.publish(con, root)
    print(f"crawl: {len(registry.sources)} sources, {summary.listing_pages} listing pages, {summary.reports_found} "
          f"report links, {summary.documents_new} new documents, {summary.unchanged} unchanged, "
          f"{len(summary.failures)} failures, {summary.requests} requests")
    for url, reason in summary.failures:
        print(f"  ! {url}: {reason}")
    return 0


def _run(args: argparse.Namespace) -> int:
    """The main job: the Dagster asset graph for the years, in this process, as one run."""
    from assets.run import failures, materialize_years

    root = data_dir(args.data_dir)
    years = parse_years(args.years)
    sources = args.sources or []
    print(f"gongkai run: report years {years[0]}..{years[-1]}, sources: {', '.join(sources) or 'the bundled sample'}")
    try:
        result = materialize_years(years, root, sources, progress=True)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems = failures(result)
    for line in problems:
        print(f"  ! {line}")
    published = root / warehouse.WAREHOUSE_FILE
    if result.success and published.exists():
        con = warehouse.connect(published, read_only=True)
        try:
            rows = con.execute("SELECT year, status, count(*), sum(n_facts) FROM reports GROUP BY ALL ORDER BY ALL").fetchall()
        finally:
            con.close()
        for year, status, n, facts in rows:
            print(f"  {year}\t{status}\t{n} reports\t{facts} facts")
        print(f"published {published}")
        return 0
    print("the run did not finish: the analysts' warehouse was left as it was", file=sys.stderr)
    return 1


def _compare(args: argparse.Namespace) -> int:
    """One body's metrics by year, side by side, with the last year's change; optionally a chart."""
    from pipeline.analysis import charts, compare

    years = parse_years(args.years)
    con = _open_published(args)
    try:
        try:
            agency = compare.resolve_agency(con, args.agency)
        except compare.AgencyNotFound as exc:
            raise CliError(str(exc)) from exc
        frame = compare.compare_frame(con, agency.agency_id, years)
        series = compare.chart_series(con, agency.agency_id, years)
    finally:
        con.close()
    region = "/".join(x for x in (agency.province, agency.city, agency.county) if isinstance(x, str))
    title = f"{agency['name']}（{region or '地区未知'}）{years[0]}–{years[-1]}"
    print(f"{title}  [{agency.agency_id}]")
    print(compare.format_compare(frame) if not frame.empty else "(no metrics for these years)")
    if args.chart:
        path = charts.write_chart(series, title, Path(args.chart))
        print(f"chart: {path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from pipeline.analysis.export import export

    con = _open_published(args)
    try:
        written = export(con, Path(args.out), args.format)
    finally:
        con.close()
    print(f"exported {len(written)} tables to {args.out} as {args.format}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gongkai", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="load report files (or folders, recursively) into the warehouse")
    p.add_argument("paths", nargs="+")
    p.add_argument("--data-dir", help="default: $GONGKAI_DATA_DIR or data/")
    p.set_defaults(func=_ingest)
    p = sub.add_parser("sql", help="run a read-only query against the warehouse")
    p.add_argument("query")
    p.add_argument("--data-dir")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_sql)
    p = sub.add_parser("sample", help="write the synthetic sample reports")
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_sample)
    p = sub.add_parser("crawl", help="fetch the reports that the registry's sites list into the raw archive")
    p.add_argument("--sources", help="the source registry (YAML); default: the bundled sample site")
    p.add_argument("--years", help="2019:2025 (default: 2019 to last year)")
    p.add_argument("--data-dir")
    p.set_defaults(func=_crawl)
    p = sub.add_parser("run", help="the main job: every asset for the years, in-process (default: the bundled sample)")
    p.add_argument("--sources", nargs="*", help="a source registry (YAML) to crawl, or report files and folders "
                                                "(default: the bundled sample site)")
    p.add_argument("--years", help="2019:2025 (default: 2019 to last year)")
    p.add_argument("--data-dir")
    p.set_defaults(func=_run)
    p = sub.add_parser("compare", help="one body's metrics by year, side by side; --chart draws them")
    p.add_argument("agency", help="agency_id, name, or name with region (黑龙江省双鸭山市宝山区)")
    p.add_argument("--years", help="2019:2025 (default: 2019 to last year)")
    p.add_argument("--chart", help="write a chart: FILE.png or FILE.html")
    p.add_argument("--data-dir")
    p.set_defaults(func=_compare)
    p = sub.add_parser("export", help="every table and view, one file each, for other tools")
    p.add_argument("out")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    p.add_argument("--data-dir")
    p.set_defaults(func=_export)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except LockTimeout as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except FileNotFoundError as exc:  # a path given on the command line that is not there
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
