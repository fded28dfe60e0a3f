"""The format harness over the shared corpus: every report with hand-checked numbers, as published and
re-published (LibreOffice DOCX, DOC, PDF; scans at 150, 200 and 300 dpi and a degraded one), read back
and scored. Prints one table: numbers right, wrong and declined per kind, and seconds per report.

    python bench/formats.py [--kinds docx,doc,pdf,...] [--only NAME,...] [--workers N] [--detail]

Kinds: published, docx, doc, pdf, "scan 200 dpi", "scan 150 dpi", "scan 300 dpi", "scan degraded".
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.batch.harness import KINDS, Known, Score, corpus_reports, read_back, variants  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def _read(job: tuple[Known, str, bytes]) -> tuple[str, str, Score, str]:
    report, kind, data = job
    result, got = read_back(report, kind, data)
    return report.name, kind, got, result.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds (default: all)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--detail", action="store_true", help="a line per report and kind")
    parser.add_argument("--only", default="", help="comma-separated parts of report names (default: every report)")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    reports = corpus_reports(CORPUS)
    if args.only:
        reports = [r for r in reports if any(part in r.name for part in args.only.split(","))]
    started = time.perf_counter()
    jobs = list(variants(reports, kinds))
    rendered = time.perf_counter() - started
    totals: dict[str, Score] = defaultdict(Score)
    given: dict[str, int] = {}  # the published report's right numbers: what a re-published one can give
    covered: dict[str, int] = defaultdict(int)
    lines = []
    with ProcessPoolExecutor(args.workers) as pool:
        done = list(pool.map(_read, jobs))
        for name, kind, got, _ in done:
            if kind == "published":
                given[name] = got.right
        for name, kind, got, status in done:
            totals[kind].add(got)
            covered[kind] += given.get(name, 0)
            lines.append(f"| {name} | {kind} | {status} | {got.right}/{got.expected} | {got.wrong} | "
                         f"{got.seconds:.1f} |")
            for key, want, read in got.wrong_facts:
                lines.append(f"|   WRONG {key} | | | expected {want} | read {read} | |")
    print(f"# bench/formats.py on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}, python {platform.python_version()}\n")
    print(f"{len(reports)} reports with hand-checked numbers ({sum(len(r.expected) for r in reports)} numbers); "
          f"variants rendered in {rendered:.0f} s; read back by {args.workers} workers\n")
    print("| kind | reports | numbers | right | wrong | declined | right % | of what the published report gives | s/report |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        t = totals[kind]
        relative = f"{100 * t.right / covered[kind]:.1f} %" if covered[kind] and kind != "published" else ""
        print(f"| {kind} | {t.reports} | {t.expected} | {t.right} | **{t.wrong}** | {t.declined} | "
              f"{100 * t.right / max(t.expected, 1):.1f} % | {relative} | {t.seconds / max(t.reports, 1):.1f} |")
    if args.detail:
        print("\n| report | kind | status | right | wrong | s |\n|---|---|---|---|---|---|")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
