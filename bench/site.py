"""The explorer's build and its pages' speed, on the README's sample and on a national-scale warehouse.

    python bench/site.py [--reports 300000] [--pages 20]

Prints, for each warehouse: `gongkai site`'s build time, files and size; then, in Chromium (Playwright,
the system's browser) against `python -m http.server` on 127.0.0.1, each view's time to interactive: from
navigation start to the moment the page has drawn its data (site.js stamps `gongkaiReadyAt`), every page
in a fresh browser context (nothing cached). Results: bench/RESULTS.md, "The explorer".
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gongkai.cli import main as gongkai  # noqa: E402
from pipeline.load import derive, warehouse  # noqa: E402
from pipeline.publish.build import build_site, region_id  # noqa: E402
from pipeline.synth.facts import write_facts_only  # noqa: E402
from pipeline.synth.formats import with_cjk_fonts  # noqa: E402


def sample_warehouse(root: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert gongkai(["run", "--data-dir", str(root)]) == 0


def national_warehouse(root: Path, n_reports: int) -> None:
    con = warehouse.connect_build(root)
    write_facts_only(con, n_reports)
    derive.refresh(con, force=True)
    warehouse.publish(con, root)
    con.close()


def build(root: Path, out: Path) -> None:
    con = warehouse.connect(root / warehouse.WAREHOUSE_FILE, read_only=True)
    try:
        summary = build_site(con, out)
    finally:
        con.close()
    bodies = sorted((out / "data" / "body").glob("*.json"), key=lambda p: p.stat().st_size)
    print(f"- build: **{summary.seconds:.1f} s**; {summary.bodies:,} bodies, {summary.regions:,} regions; "
          f"{summary.files:,} files, **{summary.bytes / 1e6:.1f} MB** (Parquet export "
          f"{_size(out / 'download') / 1e6:.1f} MB, archived reports {_size(out / 'archive') / 1e6:.1f} MB); "
          f"a body bucket {bodies[len(bodies) // 2].stat().st_size / 1e3:.0f} kB (median), "
          f"the search index {(out / 'data' / 'index.json').stat().st_size / 1e6:.1f} MB")


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_pages(out: Path, root: Path, n_pages: int) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("- time to interactive: not measured (no Chromium: apt-get install chromium)")
        return
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "-b", "127.0.0.1", "-d", str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/index.html"
    con = warehouse.connect(root / warehouse.WAREHOUSE_FILE, read_only=True)
    agencies = [a for (a,) in con.execute("SELECT agency_id FROM agencies ORDER BY agency_id").fetchall()]
    paths = con.execute("""SELECT concat_ws('/', province, city), count(*) FROM agencies WHERE city IS NOT NULL
                           GROUP BY ALL ORDER BY 2 DESC, 1""").fetchall()
    biggest = con.execute("""SELECT province, count(*) FROM agencies WHERE province IS NOT NULL GROUP BY ALL
                             ORDER BY 2 DESC LIMIT 1""").fetchone()
    con.close()
    rng = random.Random(0)
    views = {
        "a body's page": [f"?agency={a}" for a in rng.sample(agencies, min(n_pages, len(agencies)))],
        "compare (3 bodies)": [f"?compare={','.join(rng.sample(agencies, min(3, len(agencies))))}" for _ in range(5)],
        f"a city's region page ({paths[0][1]:,} bodies)": [f"?region={region_id(tuple(paths[0][0].split('/')))}"] * 3,
        f"the largest province's page ({biggest[1]:,} bodies)": [f"?region={region_id((biggest[0],))}"] * 3,
        "search (loads the index)": ["?q="] * 3,
    }
    try:
        for _ in range(50):  # the server is up when it answers
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, env=with_cjk_fonts())
            for view, queries in views.items():
                times = []
                for query in queries:
                    context = browser.new_context()
                    page = context.new_page()
                    page.goto(base + query)
                    page.wait_for_function("document.documentElement.dataset.ready", timeout=60_000)
                    assert page.evaluate("document.documentElement.dataset.ready") != "error", query
                    times.append(page.evaluate("window.gongkaiReadyAt") / 1000)
                    if view.startswith("search"):
                        typed = page.evaluate("""async () => { const idx = await index(); const t = performance.now();
                                                  search(idx, 'bsq', '', 50); search(idx, '县1', '', 50);
                                                  return (performance.now() - t) / 2; }""")
                    context.close()
                extra = f"; a query answers in {typed:.0f} ms" if view.startswith("search") else ""
                print(f"  - {view}: median **{statistics.median(times):.2f} s**, slowest {max(times):.2f} s "
                      f"over {len(times)} loads{extra}")
            browser.close()
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=300_000, help="reports in the national-scale warehouse")
    parser.add_argument("--pages", type=int, default=20, help="bodies' pages to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("## The README's sample\n")
        sample_warehouse(work / "sample")
        build(work / "sample", work / "sample-site")
        print("- time to interactive (from navigation start to the data drawn):")
        time_pages(work / "sample-site", work / "sample", args.pages)
        print(f"\n## {args.reports:,} synthetic reports (pipeline/synth/facts.py: every fact of their template)\n")
        start = time.perf_counter()
        national_warehouse(work / "big", args.reports)
        print(f"- warehouse generated and derived in {time.perf_counter() - start:.0f} s")
        build(work / "big", work / "big-site")
        print("- time to interactive (from navigation start to the data drawn):")
        time_pages(work / "big-site", work / "big", args.pages)


if __name__ == "__main__":
    main()
