"""`gongkai ...`: parses arguments, calls the pipeline, prints."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from pipeline import warehouse
from pipeline.ingest import data_dir, ingest_paths


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
        print(f"{outcome.path}\t{(meta and meta.agency_name) or '?'}\t{(meta and meta.year) or '?'}\t"
              f"{meta.template if meta else 'unknown'}\t{r.status}\t{r.n_facts} facts{reason}")
        totals[r.status] += 1
        facts += r.n_facts
    summary = ", ".join(f"{n} {s}" for s, n in sorted(totals.items()))
    print(f"total: {sum(totals.values())} reports ({summary}), {facts} facts -> {root / warehouse.WAREHOUSE_FILE}")
    return 0


def _sql(args: argparse.Namespace) -> int:
    path = data_dir(args.data_dir) / warehouse.WAREHOUSE_FILE
    try:
        con = warehouse.connect(path, read_only=True)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        frame = con.execute(args.query).fetchdf()
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
    from pipeline.generate import write_sample

    files = write_sample(Path(args.out), seed=args.seed)
    print(f"wrote {len(files)} synthetic reports to {args.out}")
    return 0


def _run(args: argparse.Namespace) -> int:
    """The main job: ingest the given sources, or the bundled synthetic sample."""
    from pipeline.generate import write_sample

    root = data_dir(args.data_dir)
    sources = args.sources
    if not sources:
        sample = root / "sample"
        write_sample(sample, seed=0)
        sources = [str(sample)]
    return _ingest(argparse.Namespace(paths=sources, data_dir=str(root)))


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
    p = sub.add_parser("run", help="the main job: ingest --sources, or the bundled synthetic sample")
    p.add_argument("--sources", nargs="*", help="report files or folders (default: the synthetic sample)")
    p.add_argument("--years", help="accepted for the Dagster job (issue 3); all years are ingested")
    p.add_argument("--data-dir")
    p.set_defaults(func=_run)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
