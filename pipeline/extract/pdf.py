"""PDF through pdfplumber: ruled tables as grids, everything else as text lines, in reading order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from pipeline.extract.model import PAGE_NUMBER, Document, ExtractionError, row_line
from pipeline.text.norm import normalise

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
    pages: list[list[Placed]] = []
    chars = 0
    try:
        with pdf:
            title = (pdf.metadata or {}).get("Title")
            for page in pdf.pages:
                placed, n = _page_items(page)
                pages.append(placed)
                chars += n
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError) as exc:
        raise ExtractionError("unreadable_pdf", f"the PDF cannot be read (truncated or damaged?): {exc}") from exc
    if chars == 0:
        raise ExtractionError("no_text_layer", f"the PDF has {len(pages)} page(s) but no text layer (a scan?): OCR it first")
    _join_rows_split_by_page_breaks(pages)
    lines = [row_line(item.cells) if item.cells is not None else item.text for page in pages for item in page]
    return Document("\n".join(lines), title=title if isinstance(title, str) else None, pages=len(pages))


@dataclass
class Placed:
    top: float
    text: str = ""
    cells: list[str | None] | None = None  # a table row


def _settings(page: pdfplumber.page.Page) -> dict:
    """A table cut by the page break has no rule under its last row (or over its first): close it where
    its vertical rules end, so that row is read as a row and not as loose text."""
    verticals = [e for e in page.edges if e["orientation"] == "v"]
    if not verticals:
        return TABLE_SETTINGS
    ends = [min(e["top"] for e in verticals), max(e["bottom"] for e in verticals)]
    return {**TABLE_SETTINGS, "explicit_horizontal_lines": ends}


def _page_items(page: pdfplumber.page.Page) -> tuple[list[Placed], int]:
    page = page.dedupe_chars(**DEDUPE)
    tables = page.find_tables(_settings(page))
    placed: list[Placed] = []
    rest = page
    for table in tables:
        rest = rest.outside_bbox(table.bbox)
        for row, cells in zip(table.rows, table.extract(), strict=False):
            placed.append(Placed(row.bbox[1], cells=cells))
    height = float(page.height)
    for line in rest.extract_text_lines(**TEXT_LINE):
        in_margin = line["top"] < height * MARGIN or line["bottom"] > height * (1 - MARGIN)
        if in_margin and PAGE_NUMBER.match(line["text"]):
            continue  # "- 2 -" between two halves of a table would read as a cell
        placed.append(Placed(line["top"], text=normalise(line["text"])))
    placed.sort(key=lambda item: item.top)
    return placed, len(page.chars)


_NUMERIC = re.compile(r"^[-+]?\d[\d,.]*\s*(万元|元)?$")


def _join_rows_split_by_page_breaks(pages: list[list[Placed]]) -> None:
    """Word lets a row break across pages: its numbers end one page, the rest of its label (over empty
    cells) starts the next. Read as two rows, the empty cells would load as zeros: join them."""
    for before, after in zip(pages, pages[1:], strict=False):
        last = next((i for i in reversed(before) if i.cells is not None), None)
        first = next((i for i in after if i.cells is not None), None)
        if last is None or first is None or len(last.cells) != len(first.cells):
            continue
        a, b = ["" if c is None else c.strip() for c in last.cells], ["" if c is None else c.strip() for c in first.cells]
        if _fragment_of(b, a) or _fragment_of(a, b):
            last.cells = [x + y if (x or y) else None for x, y in zip(a, b, strict=True)]
            after.remove(first)


def _fragment_of(fragment: list[str], row: list[str]) -> bool:
    """`fragment` holds no number, and its text stands only over `row`'s empty or label cells."""
    if any(_NUMERIC.match(c) for c in fragment if c) or not any(fragment):
        return False
    return all(not f or not _NUMERIC.match(r) for f, r in zip(fragment, row, strict=True))
