"""One run of every speed figure, on this machine, printed as a table (copy it into bench/RESULTS.md).

    python bench/run.py [--copies 4] [--html 400] [--site-bodies 200] [--yoy-reports 300000] [--quick]

1. PDF ms/page: our extraction (+ table parse) vs a bare pdfplumber `extract_tables()` pass vs pypdfium2
   raw text (the floor), on the same files: the corpus PDF and synthetic ones (ruled, quirky, borderless).
2. `gongkai ingest` of a batch of PDFs, whole process, against a bare pdfplumber pass over the same
   files in its own process (the ratio issue 9 asks ≤ 0.25 of); reports/s for PDF and for HTML; peak RSS.
3. A no-change nightly `gongkai run` over ~1,000 known reports crawled from a site on 127.0.0.1.
4. `yoy_metrics` (derive.refresh) over a facts-only warehouse of N synthetic reports: time, peak RSS.
Every step runs the real command or function; nothing is extrapolated.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.extract.pdf import extract_pdf  # noqa: E402
from pipeline.parse.rows import parse_tables  # noqa: E402
from pipeline.parse.templates import TEMPLATES  # noqa: E402
from pipeline.synth.generate import (  # noqa: E402,I001
    SAMPLE_BODIES,
    Body,
    Style,
    make_report,
    render_html,
    render_pdf,
    write_sample,
)

CORPUS = ROOT.parent / "shared" / "corpus" / "raw"
BARE = """
import sys, pdfplumber
for path in sys.argv[1:]:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_tables()
"""
YOY = """
import resource, sys, time
from pathlib import Path
from pipeline.load import derive, warehouse
con = warehouse.connect_build(Path(sys.argv[1]))
start = time.perf_counter()
out = derive.refresh(con, force=True)
print(time.perf_counter() - start, out["yoy_rows"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def pdf_files(n_synthetic: int) -> list[tuple[str, bytes]]:
    files = [(p.name, p.read_bytes()) for p in sorted(CORPUS.glob("*.pdf"))]
    styles = [("ruled", Style()), ("quirks", Style(quirks=True)), ("borderless", Style(borderless=True))]
    for i in range(n_synthetic):
        year = 2019 + i % 7
        name, style = styles[i % len(styles)]
        report = make_report(SAMPLE_BODIES[i % 3], year, random.Random(i))
        files.append((f"synthetic_{year}_{name}_{i}.pdf", render_pdf(report, style)))
    return files


def best_of(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def ours(data: bytes) -> int:
    doc = extract_pdf(data)
    parse_tables(doc.text, TEMPLATES["2021"])
    return doc.pages


def bare(data: bytes) -> None:
    from io import BytesIO

    import pdfplumber

    with pdfplumber.open(BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_tables()


def floor(data: bytes) -> None:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    for page in pdf:
        page.get_textpage().get_text_range()
    pdf.close()


def section_pages(files: list[tuple[str, bytes]]) -> dict[str, float]:
    print("\n## 1. PDF extraction, ms per page (best of 3, same files)\n")
    print("| file | pages | ours | bare pdfplumber extract_tables | pypdfium2 text (floor) | ours / bare |")
    print("|---|---|---|---|---|---|")
    totals = {"ours": 0.0, "bare": 0.0, "floor": 0.0, "pages": 0}
    for name, data in files:
        pages = ours(data)
        t = {"ours": best_of(lambda d=data: ours(d)), "bare": best_of(lambda d=data: bare(d)),
             "floor": best_of(lambda d=data: floor(d))}
        for k, v in t.items():
            totals[k] += v
        totals["pages"] += pages
        print(f"| {name} | {pages} | {t['ours'] * 1000 / pages:.1f} | {t['bare'] * 1000 / pages:.1f} | "
              f"{t['floor'] * 1000 / pages:.1f} | {t['ours'] / t['bare']:.2f} |")
    p = totals["pages"]
    print(f"| **all** | {p} | {totals['ours'] * 1000 / p:.1f} | {totals['bare'] * 1000 / p:.1f} | "
          f"{totals['floor'] * 1000 / p:.1f} | {totals['ours'] / totals['bare']:.2f} |")
    return totals


def run(cmd: list[str], **kw) -> tuple[float, int, str]:
    """Wall time, the peak RSS (KiB) of the largest process it started, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kw)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), proc.stdout


def section_ingest(files: list[tuple[str, bytes]], copies: int, n_html: int, work: Path) -> None:
    print("\n## 2. `gongkai ingest`, whole process (parse in workers, load in bulk)\n")
    real = [(n, d) for n, d in files if not n.startswith("synthetic")]
    batches = {"real (the corpus PDF, 24 copies)": real * (24 // max(1, len(real))),
               f"synthetic mix (corpus PDF + synthetic, {copies} copies)": files * copies}
    for label, batch_files in batches.items():
        batch = work / f"pdf_{len(list(work.iterdir()))}"
        batch.mkdir()
        paths = []
        for c, (name, data) in enumerate(batch_files):  # distinct bytes per copy (a trailing comment)
            path = batch / f"{c}_{name}"
            path.write_bytes(data + f"\n% copy {c}\n".encode())
            paths.append(str(path))
        n_pages = sum(ours(d) for _, d in batch_files)
        bare_s, _, _ = run([sys.executable, "-c", BARE, *paths])
        ingest_s, ingest_rss, out = run([sys.executable, "-m", "gongkai", "ingest", str(batch),
                                         "--data-dir", str(batch) + "_data"])
        print(f"- PDF batch, {label}: {len(paths)} files, {n_pages} pages. Bare pdfplumber extract_tables() pass "
              f"(one process): {bare_s:.2f} s. `gongkai ingest` (extract, parse, check, load, derive, publish): "
              f"{ingest_s:.2f} s = **{ingest_s / bare_s:.2f}** of the bare pass, **{len(paths) / ingest_s:.1f} PDF "
              f"reports/s**, peak RSS of one process {ingest_rss / 1024:.0f} MiB")
        print(f"  - `{out.strip().splitlines()[-1].split(' -> ')[0]}`")
    for size in (n_html, 5 * n_html):  # a small batch feels the fixed start-up cost; a night's batch does not
        html = work / f"html_batch_{size}"
        html.mkdir()
        rng = random.Random(1)
        for i in range(size):
            report = make_report(SAMPLE_BODIES[i % 3], 2019 + i % 7, rng)
            (html / f"r{i}.html").write_bytes(render_html(report, style=Style(quirks=i % 2 == 1, rng=random.Random(i))))
        html_s, html_rss, _ = run([sys.executable, "-m", "gongkai", "ingest", str(html), "--data-dir",
                                   str(work / f"d2_{size}")])
        print(f"- HTML batch: {size} files in {html_s:.2f} s: **{size / html_s:.0f} HTML reports/s**; "
              f"peak RSS of one process {html_rss / 1024:.0f} MiB")


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):  # answers If-Modified-Since with 304
    def log_message(self, *args) -> None:
        pass


def section_nightly(n_bodies: int, work: Path) -> None:
    print("\n## 3. A night with nothing new (`gongkai run` again over known reports)\n")
    years = range(2020, 2025)
    site = work / "site"
    bodies = [(Body(f"合成{i}县人民政府", "福建省", "合成市", f"合成{i}县"), f"synthetic-{i}", ["福建省", "合成市", f"合成{i}县"])
              for i in range(n_bodies)]
    server, url = serve(site)
    try:
        registry = write_sample(site, years=years, bodies=bodies, formats=("html",), base_url=url)
        cmd = [sys.executable, "-m", "gongkai", "run", "--sources", str(registry), "--years", "2020:2024",
               "--data-dir", str(work / "d3")]
        first, _, out = run(cmd)
        published = work / "d3" / "warehouse" / "warehouse.duckdb"
        mtime = published.stat().st_mtime_ns
        second, rss, out2 = run(cmd)
        reports = sum(int(m.group(1)) for m in re.finditer(r"\t(\d+) reports\t", out2))
        print(f"- {n_bodies} bodies × {len(years)} years on 127.0.0.1: first run {first:.1f} s; "
              f"**the no-change run {second:.1f} s** over {reports} known reports "
              f"(peak RSS {rss / 1024:.0f} MiB); warehouse copied again: {published.stat().st_mtime_ns != mtime}")
    finally:
        server.shutdown()


def section_yoy(n_reports: int, work: Path) -> None:
    print("\n## 4. `yoy_metrics` over a national-scale warehouse\n")
    from pipeline.load import warehouse
    from pipeline.synth.facts import write_facts_only

    con = warehouse.connect_build(work / "d4")
    start = time.perf_counter()
    counts = write_facts_only(con, n_reports)
    con.close()
    facts = sum(v for k, v in counts.items() if k != "reports")
    generated = time.perf_counter() - start
    wall, _, out = run([sys.executable, "-c", YOY, str(work / "d4")])
    seconds, rows, rss = out.strip().splitlines()[-1].split()
    print(f"- {counts['reports']:,} synthetic reports, {facts:,} facts (generated in {generated:.0f} s)")
    print(f"- derive.refresh (views, cross-year checks, yoy_metrics): **{float(seconds):.1f} s**, {int(rows):,} "
          f"yoy rows, **peak RSS {int(rss) / 1024 / 1024:.2f} GiB** (process wall {wall:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", type=int, default=11, help="synthetic PDFs beside the corpus PDF")
    parser.add_argument("--copies", type=int, default=4, help="copies of the PDF set in the ingest batch")
    parser.add_argument("--html", type=int, default=400)
    parser.add_argument("--site-bodies", type=int, default=200, help="bodies × 5 years on the nightly site")
    parser.add_argument("--yoy-reports", type=int, default=300_000)
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the script")
    args = parser.parse_args()
    if args.quick:
        args.synthetic, args.copies, args.html, args.site_bodies, args.yoy_reports = 3, 1, 40, 10, 20_000
    print(f"# bench/run.py on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}, python {sys.version.split()[0]}")
    files = pdf_files(args.synthetic)
    work = Path(tempfile.mkdtemp(prefix="gongkai-bench-"))
    try:
        section_pages(files)
        section_ingest(files, args.copies, args.html, work)
        section_nightly(args.site_bodies, work)
        section_yoy(args.yoy_reports, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
