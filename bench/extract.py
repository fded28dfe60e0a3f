"""Milliseconds per page: our PDF extraction against a bare pdfplumber `page.extract_tables()` pass.

    python bench/extract.py [--synthetic N] [PDF ...]

Runs on the corpus PDF(s) and N synthetic PDFs (generated in memory, fixed seed), the same files for
both measurements in the same run. Prints one line per file and the totals.
"""

from __future__ import annotations

import argparse
import random
import time
from io import BytesIO
from pathlib import Path

import pdfplumber

from pipeline.extract.pdf import extract_pdf
from pipeline.parse.rows import parse_tables
from pipeline.parse.templates import TEMPLATES
from pipeline.synth.generate import RENDERERS, SAMPLE_BODIES, make_report

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "raw"


def bare(data: bytes) -> int:
    with pdfplumber.open(BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_tables()
        return len(pdf.pages)


def ours(data: bytes) -> int:
    doc = extract_pdf(data)
    parse_tables(doc.text, TEMPLATES["2021"])
    return doc.pages


def timed(fn, data: bytes, repeat: int) -> tuple[float, int]:
    best = float("inf")
    pages = 0
    for _ in range(repeat):
        start = time.perf_counter()
        pages = fn(data)
        best = min(best, time.perf_counter() - start)
    return best * 1000, pages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--synthetic", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per file")
    args = parser.parse_args()
    files = [(p.name, p.read_bytes()) for p in (args.pdfs or sorted(CORPUS.glob("*.pdf")))]
    rng = random.Random(0)
    for i in range(args.synthetic):
        year = 2019 + i % 7
        files.append((f"synthetic_{year}_{i}.pdf", RENDERERS["pdf"](make_report(SAMPLE_BODIES[i % 3], year, rng))))
    totals = {"ours": 0.0, "bare": 0.0}
    total_pages = 0
    print(f"{'file':40} {'pages':>5} {'ours ms/page':>13} {'bare ms/page':>13} {'ratio':>6}")
    for name, data in files:
        ours_ms, pages = timed(ours, data, args.repeat)
        bare_ms, _ = timed(bare, data, args.repeat)
        totals["ours"] += ours_ms
        totals["bare"] += bare_ms
        total_pages += pages
        print(f"{name:40} {pages:5d} {ours_ms / pages:13.1f} {bare_ms / pages:13.1f} {ours_ms / bare_ms:6.2f}")
    print(f"{'TOTAL':40} {total_pages:5d} {totals['ours'] / total_pages:13.1f} {totals['bare'] / total_pages:13.1f} "
          f"{totals['ours'] / totals['bare']:6.2f}")


if __name__ == "__main__":
    main()
