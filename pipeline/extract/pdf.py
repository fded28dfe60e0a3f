"""PDF: ruled tables as grids, everything else as text lines, in reading order.

Each page's characters and ruling lines are read through pdfium (`pdfium.py`, fast) and laid out by
pdfplumber's table finder and text-line clustering; a page pdfium cannot read the same way is read
whole by pdfplumber (the reference), and the extraction notes say which and why.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import numpy as np
import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils import extract_text
from pdfplumber.utils.exceptions import PdfminerException
from pdfplumber.utils.text import LIGATURES

from pipeline.extract import grid, ocr, pdfium
from pipeline.extract.model import PAGE_NUMBER, Document, ExtractionError, row_line
from pipeline.text.norm import normalise

# Tuning decisions, one visible line each (pdfplumber's own defaults otherwise).
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 3}
DEDUPE = {"tolerance": 1}  # fake-bold text prints every character twice, offset by a fraction of a point
TEXT_LINE = {"x_tolerance": 1.5, "y_tolerance": 3}
MARGIN = 0.08  # share of the page height at top and bottom where page numbers live


ENGINES = ("pdfium", "pdfplumber")
PDFIUM_PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD
_PLUMBER_ERRORS = (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError)


def extract_pdf(data: bytes, engine: str = "pdfium", on_ocr_page: Callable[[], None] | None = None) -> Document:
    """`engine="pdfplumber"` reads every page through pdfminer: the reference the fast path is held to."""
    notes: list[str] = []
    pages: list[list[Placed]] = []
    chars = 0
    fast = _open_pdfium(data) if engine == "pdfium" else None
    plumber = None if fast is not None else _open_plumber(data)
    try:
        count = len(fast) if fast is not None else len(plumber.pages)
        title = _title(fast, plumber)
        for index in range(count):
            page = pdfium.read_page(fast, index) if fast is not None else None
            if isinstance(page, pdfium.Fallback):
                notes.append(f"page {index + 1} read by pdfplumber: {page.reason}")
                plumber = plumber or _open_plumber(data)
                page = None
            try:
                placed, n = _page_items(page if page is not None else plumber.pages[index])
            except (*_PLUMBER_ERRORS, IndexError) as exc:  # a damaged page: the others are still read
                notes.append(f"page {index + 1} cannot be read (damaged?), left out: {type(exc).__name__}: {exc}")
                placed, n = [], 0
            pages.append(placed)
            chars += n
    finally:
        if plumber is not None:
            plumber.close()
        if fast is not None:
            fast.close()
    if len(notes) == len(pages) and all("cannot be read" in note for note in notes) and pages:
        raise ExtractionError("unreadable_pdf", f"no page of the PDF can be read (damaged?): {notes[0]}")
    read_by = "text"
    if chars == 0:  # a scan: the pages' images are all there is
        pages, read_by = _ocr_pages(data, len(pages), on_ocr_page), "ocr"
        notes.append(f"no text layer: every page read by OCR ({' and '.join(ocr.engines())}, {ocr.OCR_SETTINGS['dpi']} dpi); "
                     "its numbers are OCR-derived")
    _join_rows_split_by_page_breaks(pages)
    lines = [row_line(item.cells) if item.cells is not None else item.text for page in pages for item in page]
    return Document("\n".join(lines), title=title, pages=len(pages), notes=notes, read_by=read_by)


def _ocr_pages(data: bytes, count: int, on_page: Callable[[], None] | None) -> list[list[Placed]]:
    try:
        doc = pdfium.open_document(data)
    except pdfium.PdfiumError as exc:
        raise ExtractionError("no_text_layer", f"the PDF has {count} page(s), no text layer, and its pages "
                              f"cannot be rendered for OCR: {exc}") from exc
    try:
        pages = []
        for index in range(len(doc)):
            if on_page is not None:
                on_page()
            try:
                image = ocr.render_page(doc, index)
            except pdfium.PdfiumError:
                pages.append([])  # a damaged page renders no more than it reads
                continue
            grid = ocr.lines_page(image)
            cells = [cell for table in grid.find_tables(_settings(grid)) for cell in table.cells]
            pages.append(_page_items(ocr.ocr_page(image, cells))[0])
    finally:
        doc.close()
    if not any(pages):
        raise ExtractionError("ocr_no_text", f"the PDF has {count} page(s) and no text layer, and OCR found no text "
                              "on them (blank pages or images too faint)")
    return pages


def _open_pdfium(data: bytes):
    """pdfium's document, or None where pdfium refuses it (pdfplumber then gives the reason, or reads it)."""
    try:
        return pdfium.open_document(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == PDFIUM_PASSWORD_ERROR:
            raise ExtractionError("encrypted_pdf", "the PDF is encrypted with a password that opening it needs: "
                                  "its text cannot be read without it (ask the publisher for an open copy)") from exc
        return None


def _open_plumber(data: bytes) -> pdfplumber.PDF:
    try:
        return pdfplumber.open(BytesIO(data))
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError) as exc:
        raise ExtractionError("unreadable_pdf", f"the PDF cannot be opened (truncated or damaged?): {exc}") from exc


def _title(fast, plumber) -> str | None:
    title = fast.get_metadata_value("Title") if fast is not None else (plumber.metadata or {}).get("Title")
    return title if isinstance(title, str) and title else None


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
    fast = isinstance(page, pdfium.PdfiumPage)  # pages read by pdfplumber stay pdfplumber's all through
    if _has_duplicates(page.chars, **DEDUPE):
        page = page.dedupe_chars(**DEDUPE)
    tables = grid.find_tables(page, _settings(page)) if fast else page.find_tables(_settings(page))
    placed: list[Placed] = []
    rest = page
    for table in tables:
        rest = rest.outside_bbox(table.bbox)
        rows = table.rows
        for row, cells in zip(rows, _cell_texts(rows, page.chars), strict=False):
            placed.append(Placed(row.bbox[1], cells=cells))
    height = float(page.height)
    lines = []
    for line in rest.extract_text_lines(**TEXT_LINE):
        in_margin = line["top"] < height * MARGIN or line["bottom"] > height * (1 - MARGIN)
        if in_margin and PAGE_NUMBER.match(line["text"]):
            continue  # "- 2 -" between two halves of a table would read as a cell
        lines.append(line)
    rows = [item.top for item in placed]
    for line in lines:
        line["text"] = _line_text(line)
    for top, text in _unwrapped(lines, rows):
        placed.append(Placed(top, text=normalise(text)))
    placed.sort(key=lambda item: item.top)
    return _join_wrapped_labels(placed), len(page.chars)


AUTOSPACE = 0.6  # of a character's size: a gap between Chinese and a digit narrower than this is typesetting


def _line_text(line: dict) -> str:
    """pdfplumber's line text without the spaces it read into the gaps Word and Writer leave between
    Chinese and Western characters (行政许可 550 is printed 行政许可550): those gaps are typesetting,
    not cell boundaries, and a space there would cut a row of run-together cells apart."""
    chars = [c for c in line.get("chars", []) if c["text"].strip()]
    if not chars:
        return line["text"]
    out = [chars[0]["text"]]
    for a, b in zip(chars, chars[1:], strict=False):
        gap, size = b["x0"] - a["x1"], max(a["size"], b["size"])
        mixed = (a["text"].isdigit() and _is_cjk(b["text"])) or (_is_cjk(a["text"]) and b["text"].isdigit())
        if gap > TEXT_LINE["x_tolerance"] and not (mixed and gap < AUTOSPACE * size):
            out.append(" ")
        out.append(b["text"])
    return "".join(out)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


WRAP_REACH = 4  # characters short of the right margin a wrapped line may end


def _unwrapped(lines: list[dict], rows: list[float]) -> list[tuple[float, str]]:
    """Text lines with each paragraph's wrapped lines joined: a line that runs to the right margin goes on
    in the line below it. Joined without a space, as Chinese is written: a number the wrap cut in two
    (1357539443 / 2.52元) is one run of digits again, which the parser reads as run-together cells."""
    right = max((line["x1"] for line in lines), default=0.0)
    left = min((line["x0"] for line in lines), default=0.0)
    out: list[tuple[float, str]] = []
    previous = None
    for line in lines:
        size = line["bottom"] - line["top"]
        # the line above ends near the margin (a word that did not fit went down: up to WRAP_REACH
        # characters short), this one starts at it (a paragraph's first line is indented)
        wrapped = previous is not None and right - previous["x1"] < WRAP_REACH * size and line["x0"] - left < size
        if wrapped and 0 <= line["top"] - previous["bottom"] < size \
                and not any(previous["bottom"] <= top <= line["top"] for top in rows):
            top, text = out[-1]
            space = " " if text[-1:].isascii() and text[-1:].isalpha() and line["text"][:1].isalpha() else ""
            out[-1] = (top, text + space + line["text"])
        else:
            out.append((line["top"], line["text"]))
        previous = line
    return out


def _join_wrapped_labels(placed: list[Placed]) -> list[Placed]:
    """A label that wraps over grid rows of its own, beside number cells merged down over them (a narrow
    label column as Word lays it out): each such row holds one label fragment and nothing else, so its
    text is the previous row's label, continued."""
    out: list[Placed] = []
    for item in placed:
        before = out[-1] if out else None
        if item.cells is not None and before is not None and before.cells is not None \
                and len(before.cells) == len(item.cells) and _continues(item.cells, before.cells):
            at = next(i for i, c in enumerate(item.cells) if c)
            before.cells[at] = (before.cells[at] or "") + item.cells[at]
            continue
        out.append(item)
    return out


def _continues(cells: list[str | None], before: list[str | None]) -> bool:
    """`cells` hold one text, under a text of `before`, and every cell holding a number in `before` is
    merged down over this row (None): an empty cell ('') would be a blank value of a row of its own."""
    texts = [i for i, c in enumerate(cells) if c]
    if len(texts) != 1 or _NUMERIC.match(cells[texts[0]].strip()) or not before[texts[0]]:
        return False
    numbers = [i for i, c in enumerate(before) if c and _NUMERIC.match(c.strip())]
    return bool(numbers) and all(cells[i] is None for i in numbers)


def _has_duplicates(chars: list[dict], tolerance: float) -> bool:
    """Whether pdfplumber's `dedupe_chars` would drop anything: two chars of one text, font and size whose
    tops and lefts chain within `tolerance`. Asked first because that call sorts by list index (quadratic)."""
    groups: dict[tuple, list[tuple[float, float]]] = defaultdict(list)
    for c in chars:
        groups[(c["upright"], c["text"], c["fontname"], c["size"])].append((c["doctop"], c["x0"]))
    for points in groups.values():
        if len(points) < 2:
            continue
        points.sort()
        line: list[float] = [points[0][1]]
        for (top, x0), (previous, _) in zip(points[1:], points, strict=False):
            if top - previous <= tolerance:
                line.append(x0)
                continue
            if _chained(line, tolerance):
                return True
            line = [x0]
        if _chained(line, tolerance):
            return True
    return False


def _chained(values: list[float], tolerance: float) -> bool:
    values = sorted(values)
    return any(b - a <= tolerance for a, b in zip(values, values[1:], strict=False))


def _cell_texts(rows: list, chars: list[dict]) -> list[list[str | None]]:
    """pdfplumber's `Table.extract()`, with each char's centre computed once rather than once per cell."""
    v_mid = np.fromiter(((c["top"] + c["bottom"]) / 2 for c in chars), float, len(chars))
    h_mid = np.fromiter(((c["x0"] + c["x1"]) / 2 for c in chars), float, len(chars))
    out = []
    for row in rows:
        x0, top, x1, bottom = row.bbox
        in_row = np.nonzero((h_mid >= x0) & (h_mid < x1) & (v_mid >= top) & (v_mid < bottom))[0]
        rv, rh = v_mid[in_row], h_mid[in_row]
        texts: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                texts.append(None)
                continue
            cx0, ctop, cx1, cbottom = cell
            picked = in_row[(rh >= cx0) & (rh < cx1) & (rv >= ctop) & (rv < cbottom)]
            texts.append(_text_of([chars[i] for i in picked]) if len(picked) else "")
        out.append(texts)
    return out


def _text_of(chars: list[dict]) -> str:
    """pdfplumber's `extract_text` (default tolerances). Most cells are one word on one line (0, 12,
    2293): their characters in x order, which is what pdfplumber's line clustering and word splitting
    give for upright characters whose tops lie within the line tolerance and whose gaps are within the
    word tolerance. Anything else goes through pdfplumber."""
    if chars and all(len(c["text"]) == 1 and c["upright"] and not c["text"].isspace() and c["text"] not in LIGATURES
           for c in chars):
        if len(chars) == 1:
            return chars[0]["text"]
        tops = [c["top"] for c in chars]
        if max(tops) - min(tops) <= _TOLERANCE:
            ordered = sorted(chars, key=lambda c: c["x0"])
            if all(b["x0"] <= a["x1"] + _TOLERANCE and abs(b["top"] - a["top"]) <= _TOLERANCE
                   for a, b in zip(ordered, ordered[1:], strict=False)):
                return "".join(c["text"] for c in ordered)
    return extract_text(chars)


_TOLERANCE = 3  # pdfplumber's default x and y tolerance in extract_text


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
