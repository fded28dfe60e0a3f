"""PDF through pdfplumber: ruled tables as grids, everything else as text lines, in reading order."""

from __future__ import annotations

from io import BytesIO

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from pipeline.extract.model import PAGE_NUMBER, Document, ExtractionError, row_line
from pipeline.textnorm import normalise

# Tuning decisions, one visible line each (pdfplumber's own defaults otherwise).
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 3}
DEDUPE = {"tolerance": 1}  # fake-bold text prints every character twice, offset by a fraction of a point
TEXT_LINE = {"x_tolerance": 1.5, "y_tolerance": 3}
MARGIN = 0.08  # share of the page height at top and bottom where page numbers live


def extract_pdf(data: bytes) -> Document:
    try:
        pdf = pdfplumber.open(BytesIO(data))
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError) as exc:
        raise ExtractionError("unreadable_pdf", f"the PDF cannot be opened (truncated or damaged?): {exc}") from exc
    lines: list[str] = []
    chars = 0
    try:
        with pdf:
            title = (pdf.metadata or {}).get("Title")
            for page in pdf.pages:
                page_lines, n = _page_lines(page)
                lines.extend(page_lines)
                chars += n
            pages = len(pdf.pages)
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError) as exc:
        raise ExtractionError("unreadable_pdf", f"the PDF cannot be read (truncated or damaged?): {exc}") from exc
    if chars == 0:
        raise ExtractionError("no_text_layer", f"the PDF has {pages} page(s) but no text layer (a scan?): OCR it first")
    return Document("\n".join(lines), title=title if isinstance(title, str) else None, pages=pages)


def _page_lines(page: pdfplumber.page.Page) -> tuple[list[str], int]:
    page = page.dedupe_chars(**DEDUPE)
    tables = page.find_tables(TABLE_SETTINGS)
    placed: list[tuple[float, str]] = []
    rest = page
    for table in tables:
        rest = rest.outside_bbox(table.bbox)
        for row, cells in zip(table.rows, table.extract(), strict=False):
            placed.append((row.bbox[1], row_line(cells)))
    height = float(page.height)
    for line in rest.extract_text_lines(**TEXT_LINE):
        in_margin = line["top"] < height * MARGIN or line["bottom"] > height * (1 - MARGIN)
        if in_margin and PAGE_NUMBER.match(line["text"]):
            continue  # "- 2 -" between two halves of a table would read as a cell
        placed.append((line["top"], normalise(line["text"])))
    placed.sort(key=lambda item: item[0])
    return [text for _, text in placed], len(page.chars)
