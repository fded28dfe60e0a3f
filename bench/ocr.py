"""OCR engines side by side on the same scanned pages: numbers right, wrong and declined against the
hand-checked ones, and seconds per page, for each way of reading a scan's cells.

    python bench/ocr.py [--kind "scan 200 dpi"] [--reports N]

Every configuration runs the whole pipeline (the same page cleaning, table finding, parsing and rules);
only the readers differ. One reader alone loads what it reads; two readers load only what they agree
on (or what the sums make of it). The pages: the corpus PDF and the Pingtan report pages, as saved by
LibreOffice and scanned (pipeline.batch.harness).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pypdfium2  # noqa: E402

from pipeline.batch.harness import SCANS, Score, corpus_reports, read_back, variants  # noqa: E402
from pipeline.extract import ocr  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"

# name -> OCR settings: which engine reads each cell's number, its words, and the text around the tables
CONFIGURATIONS = {
    "tesseract alone": {"cell_readers": ("tesseract",), "word_reader": "tesseract", "title_reader": "",
                        "text_checker": ""},
    "PP-OCRv4 alone": {"cell_readers": ("ppocr",), "word_reader": "ppocr", "title_reader": "ppocr", "text_checker": ""},
    "tesseract, two preprocessings (1x, 2x)": {"cell_readers": ("tesseract", "tesseract@2x"),
                                               "word_reader": "tesseract", "title_reader": "", "text_checker": ""},
    "PP-OCRv4 + tesseract (chosen)": {"cell_readers": ("ppocr", "tesseract"), "word_reader": "ppocr",
                                      "title_reader": "ppocr", "text_checker": "ppocr"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="scan 200 dpi", choices=list(SCANS))
    parser.add_argument("--reports", type=int, default=0, help="only the first N reports (0: all)")
    args = parser.parse_args()
    reports = [r for r in corpus_reports(CORPUS) if r.ext in ("pdf", "html")]  # as bodies publish: tables ruled
    reports = reports[:args.reports] if args.reports else reports
    scans = list(variants(reports, [args.kind]))
    pages = sum(len(pypdfium2.PdfDocument(data)) for _, _, data in scans)
    chosen = dict(ocr.OCR_SETTINGS)
    print(f"# bench/ocr.py on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}, python {platform.python_version()}\n")
    print(f"{len(scans)} reports, {pages} pages, {args.kind}; "
          f"{sum(len(r.expected) for r in reports)} hand-checked numbers; one process, one thread per engine\n")
    print("| readers | right | wrong | declined | right % | s/page |\n|---|---|---|---|---|---|")
    for name, settings in CONFIGURATIONS.items():
        ocr.OCR_SETTINGS.update(chosen | settings)
        total = Score()
        for report, kind, data in scans:
            total.add(read_back(report, kind, data)[1])
        print(f"| {name} | {total.right} | **{total.wrong}** | {total.declined} | "
              f"{100 * total.right / max(total.expected, 1):.1f} % | {total.seconds / pages:.2f} |", flush=True)
    ocr.OCR_SETTINGS.update(chosen)
    _workers(scans, pages)


def _workers(scans: list, pages: int) -> None:
    """The same scans as one batch through the ingest's workers: one, then the default number."""
    import tempfile

    from pipeline.batch.ingest import parse_all
    from pipeline.batch.workers import worker_count

    with tempfile.TemporaryDirectory() as tmp:
        tasks = []
        for i, (report, _, data) in enumerate(scans):
            path = Path(tmp) / f"{i}.pdf"
            path.write_bytes(data)
            tasks.append((str(path), report.name, None))
        print(f"\nThe {len(scans)} scans ({pages} pages) as one batch through the ingest's workers:\n")
        for processes in dict.fromkeys((1, worker_count())):
            started = time.perf_counter()
            for _ in parse_all(tasks, processes=processes):
                pass
            took = time.perf_counter() - started
            print(f"- {processes} worker(s): {took:.0f} s, {pages / took:.2f} pages/s")


if __name__ == "__main__":
    main()
