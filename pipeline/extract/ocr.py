"""Scanned PDFs: each page rendered by pdfium, its table rules found in the image, its text read by
tesseract (chi_sim), all laid out in pdfplumber's object model, so the same table finder and text-line
clustering as for a text PDF read the cells (`pdf._page_items`).

The rules are erased before tesseract reads the page (a rule beside a digit reads as 1 or |). Table
cells are read one under another in a mosaic, so one cell's digits never run into the next one's; the
text around the tables is read as lines. Numbers read this way are marked OCR-derived by the caller.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipeline.extract.external import run_program
from pipeline.extract.model import ExtractionError
from pipeline.extract.pdfium import PdfiumPage

# Tuning decisions, one visible line each.
OCR_SETTINGS = {
    "dpi": 300,  # tesseract's own recommendation for body text; digits of 9 pt still read
    "lang": "chi_sim",
    "config": "--psm 6",  # one uniform block: table rows come out whole, left to right
    "digits_config": "--psm 6 -c tessedit_char_whitelist=0123456789.,-",  # the cells' second reading
    "dark": 200,  # grey level under which a pixel is ink
    "rule_h_inches": 0.35,  # a horizontal run of ink at least this long is a rule (CJK strokes are shorter)
    "rule_v_inches": 0.2,
    "min_confidence": 0,  # tesseract's own drops; a wrong number is caught by the template's sums
}
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"
TESSERACT_TIMEOUT_S = 60  # one call reads a page's cells or its lines: seconds, never minutes


def tesseract_missing() -> str | None:
    """Why OCR cannot run here, or None."""
    if shutil.which("tesseract") is None:
        return f"tesseract is not installed: {INSTALL_HINT}"
    if OCR_SETTINGS["lang"] not in _languages():
        return f"tesseract has no {OCR_SETTINGS['lang']} language data: {INSTALL_HINT}"
    return None


@lru_cache(maxsize=1)
def _languages() -> frozenset[str]:
    done = run_program(["tesseract", "--list-langs"], timeout=TESSERACT_TIMEOUT_S)
    return frozenset(line.strip() for line in done.stdout.decode(errors="replace").splitlines()[1:] if line.strip())


def _tesseract_tsv(image: np.ndarray, lang: str, config: str) -> dict[str, list]:
    """tesseract's word boxes for an image (its TSV output, column by column), run as our own child:
    killed whole on a time limit and with the worker that started it."""
    from PIL import Image

    png = io.BytesIO()
    Image.fromarray(image).save(png, format="PNG")
    env = os.environ | {"OMP_THREAD_LIMIT": "1"}  # one core per worker: the pool already uses them all
    done = run_program(["tesseract", "stdin", "stdout", "-l", lang, *shlex.split(config), "tsv"],
                       input=png.getvalue(), timeout=TESSERACT_TIMEOUT_S, env=env)
    if done.returncode != 0:
        raise ExtractionError("ocr_failed", f"tesseract failed: {done.stderr.decode(errors='replace').strip()[:300]}")
    rows = [line.split("\t") for line in done.stdout.decode("utf-8", errors="replace").splitlines()]
    header, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0])]
    columns: dict[str, list] = {name: [r[i] for r in body] for i, name in enumerate(header)}
    for name in header:
        if name not in ("text", "conf"):
            columns[name] = [int(v) for v in columns[name]]
    return columns


@dataclass
class PageImage:
    """A rendered page: its pixels with the rules erased, the rules as pdfplumber lines (in points)."""

    clean: np.ndarray
    lines: list[dict]
    width: float  # points
    height: float
    page_number: int

    @property
    def scale(self) -> float:  # points per pixel
        return 72 / OCR_SETTINGS["dpi"]


def render_page(doc, index: int) -> PageImage:
    if reason := tesseract_missing():
        raise ExtractionError("needs_ocr", f"the PDF is scanned (no text layer) and {reason}")
    dpi = OCR_SETTINGS["dpi"]
    page = doc[index]
    try:
        width, height = page.get_size()
        image = np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
    finally:
        page.close()
    ink = image < OCR_SETTINGS["dark"]
    horizontal = _long_runs(ink, int(dpi * OCR_SETTINGS["rule_h_inches"]))
    vertical = _long_runs(ink.T, int(dpi * OCR_SETTINGS["rule_v_inches"])).T
    clean = image.copy()
    clean[horizontal | vertical] = 255
    scale = 72 / dpi
    across = _segments(horizontal, axis=0)
    lines = [_line(x0, y0, x1, y1, scale, height) for x0, y0, x1, y1 in
             across + _meeting(_segments(vertical, axis=1), across)]
    return PageImage(clean, lines, width, height, index + 1)


def ocr_page(image: PageImage, cells: list[tuple[float, float, float, float]]) -> PdfiumPage:
    """The page in pdfplumber's object model: each table cell (a box in points) read on its own, the text
    around the tables read as lines."""
    chars: list[dict] = []
    for box, text in zip(cells, _read_cells(image, cells), strict=True):
        chars += _spread(text, box, image)
    outside = image.clean.copy()
    for x0, top, x1, bottom in cells:
        outside[_px(top, image):_px(bottom, image), _px(x0, image):_px(x1, image)] = 255
    chars += _chars(outside, image.scale, image.page_number, image.height)
    objects = {"char": chars, "line": image.lines, "rect": [], "curve": []}
    return PdfiumPage(objects, image.width, image.height, image.page_number)


def lines_page(image: PageImage) -> PdfiumPage:
    """The rules alone: for the table finder to find the cells before any text is read."""
    return PdfiumPage({"char": [], "line": image.lines, "rect": [], "curve": []}, image.width, image.height,
                      image.page_number)


def _px(points: float, image: PageImage) -> int:
    return max(0, int(round(points / image.scale)))


CELL_GAP = 24  # pixels of white between two cells in the mosaic: tesseract never joins them into one line
CELL_MARGIN = 12  # pixels of white around a cell's ink in the mosaic
CELL_INSET = 4  # pixels trimmed from each side of a cell: what is left of its rules


def _read_cells(image: PageImage, cells: list[tuple[float, float, float, float]]) -> list[str]:
    """Every cell's text from three tesseract calls over the cells stacked one under another in a mosaic,
    so a cell's digits never run into its neighbour's (on the page, with the rules gone, they would). Read
    as Chinese (labels, headers, 无) and twice as digits only (a lone 5 or 21 that chi_sim reads as 四 or
    兄), at its size and at twice it."""
    plain, tight = [], []
    for x0, top, x1, bottom in cells:
        crop = image.clean[_px(top, image) + CELL_INSET:_px(bottom, image) - CELL_INSET,
                           _px(x0, image) + CELL_INSET:_px(x1, image) - CELL_INSET]
        ink = crop < OCR_SETTINGS["dark"] if crop.size else None
        if ink is None or not ink.any():
            plain.append(None)
            tight.append(None)
            continue
        plain.append(crop)
        # for the digits: only the ink, black on white, with a margin (a lone digit in a wide, faint
        # cell is what tesseract misreads most: a 5 as 3, 9 or a)
        rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
        bare = np.where(ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], 0, 255).astype(np.uint8)
        tight.append(np.pad(bare, CELL_MARGIN, constant_values=255))
    words = _mosaic_read(plain, OCR_SETTINGS["lang"], OCR_SETTINGS["config"])
    digits = _mosaic_read(tight, "eng", OCR_SETTINGS["digits_config"])
    # the digits once more at twice the size: a number both readings agree on is kept, one they differ
    # on is left unread (the row's other cells and sums then decide, or it stays out) - never guessed
    larger = [None if c is None else np.kron(c, np.ones((2, 2), dtype=np.uint8)) for c in tight]
    again = _mosaic_read(larger, "eng", OCR_SETTINGS["digits_config"])
    return [_as_cell(w, d if _same_number(d, a) else UNSURE) for w, d, a in zip(words, digits, again, strict=True)]


UNSURE = "?"  # a cell whose two digit readings differ: text, so never read as a number


def _same_number(a: str, b: str) -> bool:
    a, b = a.replace(" ", "").strip(".,-"), b.replace(" ", "").strip(".,-")
    return a == b or not (a and b)  # one reading empty: the other stands alone (chi_sim still checks it)


def _mosaic_read(crops: list[np.ndarray | None], lang: str, config: str) -> list[str]:
    """The text of each crop, from one tesseract call over all of them stacked with white between."""
    spans, y = [], CELL_GAP
    for crop in crops:
        height = 0 if crop is None else crop.shape[0]
        spans.append((y, y + height))
        y += height + (CELL_GAP if height else 0)
    if y == CELL_GAP:
        return [""] * len(crops)
    width = max(c.shape[1] for c in crops if c is not None) + 2 * CELL_GAP
    mosaic = np.full((y + CELL_GAP, width), 255, dtype=np.uint8)
    for crop, (top, bottom) in zip(crops, spans, strict=True):
        if crop is not None:
            mosaic[top:bottom, CELL_GAP:CELL_GAP + crop.shape[1]] = crop
    found = _words(mosaic, lang, config)
    return ["" if top == bottom else " ".join(w.text for w in sorted(
        (w for w in found if top <= w.middle < bottom), key=lambda w: (w.line, w.left)))
        for top, bottom in spans]


_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "S": "5", "B": "8", "，": ",", "。": "."})


_SPECKS = "'`\"‘’“”|"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PLACEHOLDER = re.compile(r"^(无|—+|-+|/|－|空)$")


def _as_cell(words: str, digits: str) -> str:
    """A cell's text from its two readings: a label (two or more Chinese characters) or a placeholder
    (无, —) as Chinese; anything else, where the digits-only reading found a number, as that number."""
    squeezed = words.replace(" ", "")
    if len(_CJK.findall(squeezed)) >= 2 or _PLACEHOLDER.match(squeezed):
        return words
    if digits == UNSURE:
        return UNSURE
    number = digits.replace(" ", "").strip(".,-")
    if number and number[0].isdigit():
        return number
    fixed = squeezed.translate(_LOOKALIKES)  # l for 1, O for 0
    if fixed and any(ch.isdigit() for ch in fixed) and all(ch.isdigit() or ch in ".,-" for ch in fixed):
        return fixed
    return words


def _spread(text: str, box: tuple[float, float, float, float], image: PageImage) -> list[dict]:
    """A cell's text as characters laid evenly across its box, on one line at its middle."""
    text = text.replace(" ", "")
    if not text:
        return []
    x0, top, x1, bottom = box
    size = min(10.0, (bottom - top) * 0.6)
    middle = (top + bottom) / 2
    step = min(size, (x1 - x0 - 2) / len(text))
    start = (x0 + x1) / 2 - step * len(text) / 2
    return [_char(ch, start + k * step, start + (k + 1) * step, middle - size / 2, middle + size / 2,
                  image.page_number, image.height) for k, ch in enumerate(text)]


def _char(text: str, x0: float, x1: float, top: float, bottom: float, page_number: int, height: float) -> dict:
    size = bottom - top
    return {"object_type": "char", "page_number": page_number, "text": text, "fontname": "OCR", "size": size,
            "upright": True, "matrix": (1, 0, 0, 1, x0, height - bottom), "x0": x0, "x1": x1, "top": top,
            "bottom": bottom, "doctop": top, "y0": height - bottom, "y1": height - top, "width": x1 - x0,
            "height": size}


def _long_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    """The pixels of `mask` that lie on a run of at least `min_len` along axis 1."""
    out = np.zeros_like(mask)
    edges = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    for row in np.nonzero(mask.sum(axis=1) >= min_len)[0]:
        starts, ends = np.nonzero(edges[row] == 1)[0], np.nonzero(edges[row] == -1)[0]
        for start, end in zip(starts, ends, strict=True):
            if end - start >= min_len:
                out[row, start:end] = True
    return out


def _segments(mask: np.ndarray, axis: int) -> list[tuple[int, int, int, int]]:
    """Rules as (x0, y0, x1, y1) pixel segments: the rows (axis 0) or columns (axis 1) of a thick rule
    merged into one segment at their middle."""
    grid = mask if axis == 0 else mask.T
    open_runs: list[list[int]] = []  # [start, end, first row, last row]
    done: list[list[int]] = []
    edges = np.diff(np.pad(grid.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    for row in np.nonzero(grid.any(axis=1))[0]:
        starts, ends = np.nonzero(edges[row] == 1)[0], np.nonzero(edges[row] == -1)[0]
        still = []
        for run in open_runs:
            (still if row - run[3] <= 2 else done).append(run)
        open_runs = still
        for start, end in zip(starts, ends, strict=True):
            run = next((r for r in open_runs if abs(r[0] - start) <= 3 and abs(r[1] - end) <= 3), None)
            if run is None:
                open_runs.append([int(start), int(end), int(row), int(row)])
            else:
                run[3] = int(row)
    out = []
    for start, end, first, last in done + open_runs:
        middle = (first + last) // 2
        out.append((start, middle, end, middle) if axis == 0 else (middle, start, middle, end))
    return out


def _meeting(verticals: list[tuple[int, int, int, int]], horizontals: list[tuple[int, int, int, int]],
             reach: int = 6) -> list[tuple[int, int, int, int]]:
    """The vertical segments that meet a horizontal rule at an end: a table's rules meet, the long
    strokes of a large heading's characters do not."""
    def touches(x: int, y: int) -> bool:
        return any(abs(hy - y) <= reach and hx0 - reach <= x <= hx1 + reach for hx0, hy, hx1, _ in horizontals)
    return [seg for seg in verticals if touches(seg[0], seg[1]) or touches(seg[0], seg[3])]


def _line(x0: float, y0: float, x1: float, y1: float, scale: float, height: float) -> dict:
    x0, x1, top, bottom = x0 * scale, x1 * scale, y0 * scale, y1 * scale
    return {"object_type": "line", "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "y0": height - bottom, "y1": height - top, "width": x1 - x0, "height": bottom - top}


@dataclass
class _Word:
    text: str
    left: int
    width: int
    top: int  # its text line's top and bottom, so every character of a line sits on one baseline
    bottom: int
    line: tuple[int, int, int]

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def _words(image: np.ndarray, lang: str | None = None, config: str | None = None) -> list[_Word]:
    data = _tesseract_tsv(image, lang or OCR_SETTINGS["lang"], config or OCR_SETTINGS["config"])
    lines: dict[tuple[int, int, int], tuple[int, int]] = {}
    words = []
    for i, level in enumerate(data["level"]):
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if level == 4:
            lines[key] = (data["top"][i], data["top"][i] + data["height"][i])
        text = data["text"][i].strip()
        if level != 5 or not text or float(data["conf"][i]) < OCR_SETTINGS["min_confidence"]:
            continue
        top, bottom = lines.get(key, (data["top"][i], data["top"][i] + data["height"][i]))
        words.append(_Word(text, data["left"][i], data["width"][i], top, bottom, key))
    return words


def _chars(image: np.ndarray, scale: float, page_number: int, page_height: float) -> list[dict]:
    """Tesseract's words as characters: each word's box split evenly, on its text line's top and bottom."""
    chars = []
    for word in _words(image):
        text = word.text.strip(_SPECKS)  # dust read as a quote or a dot between characters
        if not text:
            continue
        step = word.width / len(word.text)
        for k, ch in enumerate(text, start=word.text.index(text[0])):
            x0 = (word.left + k * step) * scale
            chars.append(_char(ch, x0, x0 + step * scale, word.top * scale, word.bottom * scale, page_number,
                               page_height))
    return chars
