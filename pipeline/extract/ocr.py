"""Scanned PDFs: each page rendered by pdfium and cleaned as a scan needs (a red seal dropped, the tilt
undone), its table rules found in the image, its cells and text read by two OCR engines, all laid out in
pdfplumber's object model, so the same table finder and text-line clustering as for a text PDF read the
cells (`pdf._page_items`).

A number read from a page image is kept only where two independent readings agree: PaddleOCR's
PP-OCRv4 model (`ppocr`) and tesseract's digits (`tesseract`). Where they differ, the cell carries both
as candidates (`5~3`) and the template's sums choose, or it is left out with them (`parse.cells`). The
rules are erased before a cell is read (a rule beside a digit reads as 1 or |). Numbers read this way
are marked OCR-derived by the caller, and a rule they break leaves them out (`batch.report`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from pipeline.extract import ppocr, tesseract
from pipeline.extract.model import ExtractionError
from pipeline.extract.pdfium import PdfiumPage
from pipeline.text.norm import CHOICE, UNSURE

# Tuning decisions, one visible line each (chosen by bench/ocr.py and bench/formats.py).
OCR_SETTINGS = {
    "dpi": 300,  # pages are read at this resolution whatever they were scanned at
    "cell_readers": ("ppocr", "tesseract"),  # two independent readings of every cell's number
    "word_reader": "ppocr",  # the words of cells that hold words: labels, headers, 无
    "text_reader": "tesseract",  # the text around the tables (PP-OCR reads prose ten times slower: bench/ocr.py)
    "text_checker": "ppocr",  # reads each word with digits of that text again ("": its numbers stand alone)
    "title_reader": "ppocr",  # the first page's top lines again: the body and year printed in the title
    "title_zone": 0.4,  # share of the first page's height searched for the title
    "title_confidence": 0.8,
    "dark": 200,  # grey level under which a pixel is ink
    "faint": 230,  # a scan greys thin rules: runs of pixels under this grey are rules too where they are
    "faint_length": 3,
    "rule_gap": 8,  # pixels a scan's noise may break a rule by: two pieces in line across it are one rule  # this many times the length a dark run needs (text lines never run on that far)
    "rule_halo": 230,  # grey under which a pixel beside a rule is the rule's own blur, erased with it
    "rule_h_inches": 0.35,  # a horizontal run of ink at least this long is a rule (CJK strokes are shorter)
    "rule_v_inches": 0.2,
    "median": 3,  # a median filter's size against scanner noise (1: none)
    "max_skew_degrees": 3.0,  # tilts searched for, in steps of skew_step
    "skew_step": 0.1,
}
ENGINES: dict[str, Callable[[], str | None]] = {"ppocr": ppocr.missing, "tesseract": tesseract.missing}


def engines() -> list[str]:
    """The engines the settings read with."""
    readers = (*OCR_SETTINGS["cell_readers"],
               *(OCR_SETTINGS[k] for k in ("word_reader", "text_reader", "title_reader", "text_checker")))
    return list(dict.fromkeys(name.split("@")[0] for name in readers if name))


def ocr_missing() -> str | None:
    """Why OCR cannot run here, or None."""
    return next((reason for name in engines() if (reason := ENGINES[name]())), None)


@dataclass
class PageImage:
    """A rendered page: its pixels with the rules erased, the rules as pdfplumber lines (in points)."""

    clean: np.ndarray
    lines: list[dict]
    width: float  # points
    height: float
    page_number: int
    skew: float = 0.0  # degrees the page was turned back by

    @property
    def scale(self) -> float:  # points per pixel
        return 72 / OCR_SETTINGS["dpi"]


def render_page(doc, index: int) -> PageImage:
    if reason := ocr_missing():
        raise ExtractionError("needs_ocr", f"the PDF is scanned (no text layer) and {reason}")
    dpi = OCR_SETTINGS["dpi"]
    page = doc[index]
    try:
        width, height = page.get_size()
        image, skew = _straighten(_grey(np.asarray(page.render(scale=dpi / 72).to_pil().convert("RGB"))))
    finally:
        page.close()
    ink, faint, longer = image < OCR_SETTINGS["dark"], image < OCR_SETTINGS["faint"], OCR_SETTINGS["faint_length"]
    across, down = int(dpi * OCR_SETTINGS["rule_h_inches"]), int(dpi * OCR_SETTINGS["rule_v_inches"])
    bridge = OCR_SETTINGS["rule_gap"]
    horizontal = _bridged(_long_runs(ink, across) | _long_runs(_thin(faint), across * longer), bridge)
    vertical = _bridged(_long_runs(ink.T, down) | _long_runs(_thin(faint.T), down * longer), bridge).T
    across = _segments(horizontal, axis=0)
    downs = _meeting(_segments(vertical, axis=1), across)
    # erased: the rules, not the long strokes of a heading's characters (a vertical run meets no rule)
    rules = horizontal | (vertical & _bands(downs, image.shape))
    clean = image.copy()
    clean[_near(rules, 2) & (image < OCR_SETTINGS["rule_halo"])] = 255
    lines = [_line(x0, y0, x1, y1, 72 / dpi, height) for x0, y0, x1, y1 in across + downs]
    return PageImage(clean, lines, width, height, index + 1, skew)


def _thin(mask: np.ndarray, reach: int = 4) -> np.ndarray:
    """The pixels of `mask` with none of it `reach` pixels above or below: a rule, not a shaded cell."""
    out = mask.copy()
    out[reach:] &= ~mask[:-reach]
    out[:-reach] &= ~mask[reach:]
    return out


RULE_BAND = 4  # pixels either side of a vertical rule's middle that are its own


def _bands(segments: list[tuple[int, int, int, int]], shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape[:2], dtype=bool)
    for x, y0, _, y1 in segments:
        out[y0:y1 + 1, max(0, x - RULE_BAND):x + RULE_BAND + 1] = True
    return out


def _grey(rgb: np.ndarray) -> np.ndarray:
    """The page in grey with red ink (a seal, a signature stamp) dropped: print is black, seals are red,
    and a seal over a table would otherwise read as strokes across its digits."""
    r, g, b = (rgb[..., i].astype(np.int16) for i in range(3))
    grey = np.asarray(Image.fromarray(rgb).convert("L"))
    red = (r - np.maximum(g, b) > 35) & (r > 110)  # JPEG's halved colour blurs a seal's thin strokes
    grey = np.where(red, 255, grey).astype(np.uint8)
    if OCR_SETTINGS["median"] > 1:
        grey = np.asarray(Image.fromarray(grey).filter(ImageFilter.MedianFilter(OCR_SETTINGS["median"])))
    return grey


def _straighten(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The page turned back by its tilt: the angle at which its rows of ink (text lines, rules) are the
    sharpest, searched on a quarter-size copy."""
    small = image[::4, ::4] < OCR_SETTINGS["dark"]
    ys, xs = np.nonzero(small)
    if len(ys) < 100:
        return image, 0.0
    limit, step = OCR_SETTINGS["max_skew_degrees"], OCR_SETTINGS["skew_step"]
    best = _sharpest(ys, xs, np.arange(-limit, limit + step / 2, step))
    best = _sharpest(ys, xs, np.arange(best - step, best + step, step / 5))  # then to a fifth of a step
    if abs(best) < step / 2:
        return image, 0.0
    # a row of ink at y + x·tan(a) is level once the page is turned by -a (PIL turns counter-clockwise)
    turned = Image.fromarray(image).rotate(-best, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return np.asarray(turned), best


def _sharpest(ys: np.ndarray, xs: np.ndarray, angles: np.ndarray) -> float:
    """The angle whose rows of ink are the sharpest (the largest sum of squared row counts)."""
    best, best_score = 0.0, -1.0
    for angle in angles:
        rows = np.round(ys + xs * np.tan(np.radians(angle))).astype(np.int64)
        score = float(np.square(np.bincount(rows - rows.min())).sum())
        if score > best_score:
            best, best_score = float(angle), score
    return best


def ocr_page(image: PageImage, cells: list[tuple[float, float, float, float]]) -> PdfiumPage:
    """The page in pdfplumber's object model: each table cell (a box in points) read on its own, the text
    around the tables read as lines."""
    chars: list[dict] = []
    for box, text in zip(cells, read_cells(image, cells), strict=True):
        chars += _spread(text, box, image)
    outside = image.clean.copy()
    for x0, top, x1, bottom in cells:
        outside[_px(top, image):_px(bottom, image), _px(x0, image):_px(x1, image)] = 255
    chars += _text_chars(outside, image)
    objects = {"char": chars, "line": image.lines, "rect": [], "curve": []}
    return PdfiumPage(objects, image.width, image.height, image.page_number)


def lines_page(image: PageImage) -> PdfiumPage:
    """The rules alone: for the table finder to find the cells before any text is read."""
    return PdfiumPage({"char": [], "line": image.lines, "rect": [], "curve": []}, image.width, image.height,
                      image.page_number)


def _px(points: float, image: PageImage) -> int:
    return max(0, int(round(points / image.scale)))


CELL_MARGIN = 12  # pixels of white around a cell's ink when tesseract reads it on its own
PPOCR_MARGIN = 2  # and when PP-OCR does: it reads lines cut close (a lone 0 with more white reads as b or nothing)
CELL_INSET = 4  # pixels trimmed from each side of a cell: what is left of its rules


@dataclass
class Crops:
    """A table's cells cut from the page: as printed, and as bare ink (black on white, with a margin)."""

    plain: list[np.ndarray | None]  # None: a cell with no ink (blank)
    tight: list[np.ndarray | None]


def cut_cells(image: PageImage, cells: list[tuple[float, float, float, float]]) -> Crops:
    plain, tight = [], []
    for x0, top, x1, bottom in cells:
        crop = image.clean[_px(top, image) + CELL_INSET:_px(bottom, image) - CELL_INSET,
                           _px(x0, image) + CELL_INSET:_px(x1, image) - CELL_INSET]
        ink = crop < OCR_SETTINGS["dark"] if crop.size else None
        if ink is None or ink.sum() < 4:  # a speck is not a character
            plain.append(None)
            tight.append(None)
            continue
        rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
        plain.append(np.pad(crop[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], PPOCR_MARGIN, constant_values=255))
        bare = np.where(ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], 0, 255).astype(np.uint8)
        tight.append(np.pad(bare, CELL_MARGIN, constant_values=255))
    return Crops(plain, tight)


def _by_ppocr(crops: Crops) -> list[str]:
    """Each cell's lines read one by one (the model reads one line: a label wrapped over three comes back
    as one of them) and joined."""
    lines = [[] if c is None else _text_lines(c) for c in crops.plain]
    found = iter(ppocr.read_crops([line for cell in lines for line in cell]))
    return ["\n".join(next(found)[0] for _ in cell) for cell in lines]


def _text_lines(crop: np.ndarray) -> list[np.ndarray]:
    """A cell's crop cut into its text lines, at the rows of white between them."""
    inked = (crop < OCR_SETTINGS["dark"]).any(axis=1)
    edges = np.diff(np.concatenate([[0], inked.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    spans: list[list[int]] = []
    for start, end in zip(starts, ends, strict=True):
        if spans and start - spans[-1][1] < LINE_GAP:
            spans[-1][1] = end  # a gap inside a character (二, 三) or a dot above: the same line
        else:
            spans.append([int(start), int(end)])
    spans = [span for span in spans if span[1] - span[0] >= LINE_MIN]
    if len(spans) <= 1:
        return [crop]
    return [np.pad(crop[start:end], ((PPOCR_MARGIN, PPOCR_MARGIN), (0, 0)), constant_values=255) for start, end in spans]


LINE_GAP = 6  # pixels of white that part two text lines of a cell (at 300 dpi; strokes of one character leave less)
LINE_MIN = 8  # pixels: anything lower is a speck, not a line


def _by_tesseract(crops: Crops) -> list[str]:
    return tesseract.read_crops(crops.tight, "eng", tesseract.SETTINGS["digits_config"])


def _by_tesseract_2x(crops: Crops) -> list[str]:
    larger = [None if c is None else np.kron(c, np.ones((2, 2), dtype=np.uint8)) for c in crops.tight]
    return tesseract.read_crops(larger, "eng", tesseract.SETTINGS["digits_config"])


def _by_tesseract_words(crops: Crops) -> list[str]:
    return tesseract.read_crops(crops.plain, tesseract.SETTINGS["lang"], tesseract.SETTINGS["config"])


# Every way a cell can be read: an engine, and how its crop is prepared.
CELL_READERS: dict[str, Callable[[Crops], list[str]]] = {
    "ppocr": _by_ppocr, "tesseract": _by_tesseract, "tesseract@2x": _by_tesseract_2x,
}
WORD_READERS: dict[str, Callable[[Crops], list[str]]] = {"ppocr": _by_ppocr, "tesseract": _by_tesseract_words}


def read_cells(image: PageImage, cells: list[tuple[float, float, float, float]]) -> list[str]:
    """Every cell's text: its words (labels, headers, placeholders) from the word reader, its number from
    the cell readers, kept only where they agree (`combine`)."""
    crops = cut_cells(image, cells)
    readers = OCR_SETTINGS["cell_readers"]
    readings = {name: CELL_READERS[name](crops) for name in readers}
    _read_again(readings, crops)
    word_reader = WORD_READERS[OCR_SETTINGS["word_reader"]]
    reused = [found for name, found in readings.items() if CELL_READERS[name] is word_reader]
    words = reused[0] if reused else word_reader(crops)
    return [combine(words[i], [readings[name][i] for name in readers]) for i in range(len(cells))]


# A reader that found nothing in a cell where another read a number reads it again, prepared another way
# (tesseract's mosaic drops many a lone 0 at its size, and reads it at twice the size).
READ_AGAIN = {"tesseract": "tesseract@2x"}


def _read_again(readings: dict[str, list[str]], crops: Crops) -> None:
    for name, again in READ_AGAIN.items():
        if name not in readings:
            continue
        found = readings[name]
        empty = [i for i, text in enumerate(found) if not text.strip() and crops.tight[i] is not None
                 and any(number_of(other[i]) for key, other in readings.items() if key != name)]
        if empty:
            subset = Crops([crops.plain[i] for i in empty], [crops.tight[i] for i in empty])
            for i, text in zip(empty, CELL_READERS[again](subset), strict=True):
                found[i] = text


_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "θ": "0", "Θ": "0", "ø": "0", "Ø": "0",
                             "I": "1", "l": "1", "|": "1", "S": "5", "B": "8",
                             "，": ",", "。": ".", "．": ".", "－": "-", "一": "-", "—": "-"})
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PLACEHOLDER = re.compile(r"^(无|—+|-+|/|－|空)$")
_NUMBER_READ = re.compile(r"^-?\d+(?:,\d{3})*(?:\.\d+)?(万元|元)?$")


_SPLIT_DIGITS = re.compile(r"\d\s+\d")


def number_of(reading: str) -> str | None:
    """A reading as a number with its unit (251000元, 9116.36), or None: look-alike letters read as the
    digits they stand for (l for 1, O for 0), spaces and stray edge marks dropped."""
    if _SPLIT_DIGITS.search(reading.strip()):
        return None  # digits on two lines, or apart on one: cells of merged rows, or a misread; never one number
    text = reading.replace(" ", "").strip("'`\"‘’“”_")
    if text.endswith(("万元", "元")):
        unit = "万元" if text.endswith("万元") else "元"
        text = text[:-len(unit)]
    else:
        unit = ""
    text = text.translate(_LOOKALIKES).strip(".,")
    text = re.sub(r"(?<=\d)-+$", "", text)
    return text + unit if _NUMBER_READ.match(text + unit) else None


def combine(words: str, readings: list[str]) -> str:
    """A cell's text from its readings. A label (two or more Chinese characters) or a placeholder (无, —)
    as the words read it, where no number reading contradicts it; a number where every reading gives the
    same digits (the unit and decimal point too, where a reading shows them); else UNSURE followed by the
    numbers read, as candidates (`?21~27`, `?21` where the other reading found none)."""
    squeezed = words.replace(" ", "").replace("\n", "")
    numbers = [number_of(r) for r in readings if r.strip()]
    if len(_CJK.findall(squeezed)) >= 2:
        return words.replace("\n", "")  # a label's lines, joined as Chinese is written
    if _PLACEHOLDER.match(squeezed) and not any(n and any(ch in "123456789" for ch in n) for n in numbers):
        return squeezed
    if numbers and all(n is not None for n in numbers) and len(numbers) == len(readings):
        digits = {_digits(n) for n in numbers}  # type: ignore[arg-type]
        if len(digits) == 1:
            return max(numbers, key=len)  # type: ignore[arg-type,return-value]  # the one that shows the unit
    found = list(dict.fromkeys(n for n in numbers if n is not None))
    return UNSURE + CHOICE.join(found)


def _digits(number: str) -> str:
    return number.removesuffix("万元").removesuffix("元").replace(",", "")


def _text_chars(image: np.ndarray, page: PageImage) -> list[dict]:
    """The text around the tables as characters: tesseract's words, each box split evenly among its
    characters. The first page's top lines (the title: body and year) are read again by the title reader
    (PP-OCR reads a line in seconds, a page of prose in tens of them), and its text kept where it is sure
    and reads the same numbers. Every other word with digits is read again by PP-OCR (`_confirmed`)."""
    lines: dict[tuple[int, int, int], list[tesseract.Word]] = {}
    last: tesseract.Word | None = None
    for word in tesseract.words(image):
        if last is not None and _one_number(last, word):
            line = lines[last.line]
            last = line[-1] = tesseract.Word(last.text + word.text, last.left, word.left + word.width - last.left,
                                             last.top, last.bottom, last.line)
            continue
        lines.setdefault(word.line, []).append(word)
        last = word
    reread: dict[tuple[int, int, int], str] = {}
    if page.page_number == 1 and OCR_SETTINGS["title_reader"] == "ppocr":
        zone = image.shape[0] * OCR_SETTINGS["title_zone"]
        heads = [(key, ws) for key, ws in lines.items() if ws[0].bottom < zone]
        crops = [_line_crop(image, ws) for _, ws in heads]
        for (key, ws), (text, score) in zip(heads, ppocr.read_crops(crops), strict=True):
            if score >= OCR_SETTINGS["title_confidence"] and text.strip() \
                    and _numbers(text) == _numbers(" ".join(w.text for w in ws)):  # a year both read alike
                reread[key] = text.replace(" ", "")
    confirmed = {}
    if OCR_SETTINGS["text_checker"] == "ppocr":
        numbered = [w for key, ws in lines.items() if key not in reread for w in ws if _DIGITS.search(w.text)]
        second = [text for text, _ in ppocr.read_crops([_line_crop(image, [w], NUMBER_REACH) for w in numbered])]
        confirmed = {id(w): _confirmed(w.text, other) for w, other in zip(numbered, second, strict=True)}
    chars = []
    for key, words in lines.items():
        if key in reread:
            left, right = min(w.left for w in words), max(w.left + w.width for w in words)
            chars += _spread_line(reread[key], left, right, words[0].top, words[0].bottom, page)
            continue
        for word in words:
            text = word.text.strip(_SPECKS)  # dust read as a quote or a dot between characters
            if text:
                step = word.width / len(word.text)
                start = word.left + word.text.index(text[0]) * step
                chars += _spread_line(confirmed.get(id(word), text), start, start + len(text) * step, word.top,
                                      word.bottom, page)
    return chars


_DIGITS = re.compile(r"\d+(?:[.,]\d+)*[.,]?")  # a trailing point: a reading that saw decimals begin


def _one_number(left: tesseract.Word, right: tesseract.Word) -> bool:
    """Two words that are one number split at its decimal point (48 .9919, 48. 9919), side by side."""
    gap, height = right.left - (left.left + left.width), left.bottom - left.top
    split = (left.text[-1:].isdigit() and right.text[:1] in ".," and right.text[1:2].isdigit()) or \
        (left.text[-1:] in ".," and left.text[-2:-1].isdigit() and right.text[:1].isdigit())
    side_by_side = abs(right.middle - left.middle) < height / 2 and -height / 4 < gap < height
    return split and side_by_side


def _numbers(text: str) -> list[str]:
    return [m.replace(",", "") for m in _DIGITS.findall(text.translate(_LOOKALIKES) if len(text) <= 12 else text)]


def _confirmed(word: str, other: str) -> str:
    """A word of text as tesseract read it, each of its numbers that the second reading (`other`, of the
    same box) does not give the same marked unsure with both candidates, as a cell of its own."""
    mine, theirs = _numbers(word), _numbers(other)
    if mine == theirs:
        return word
    out, pos = [], 0
    found = list(_DIGITS.finditer(word))
    for k, m in enumerate(found):
        alt = theirs[k].rstrip(".,") if len(theirs) == len(found) else ""
        out.append(word[pos:m.start()])
        out.append(f" {UNSURE}{m.group().rstrip('.,')}{CHOICE + alt if alt else ''} ")
        pos = m.end()
    return "".join(out) + word[pos:]


NUMBER_REACH = 0.3  # of a line's height: a word with digits is read again with this much more on its right,
# so digits tesseract left out of the word (a decimal part) make the readings differ


def _line_crop(image: np.ndarray, words: list[tesseract.Word], reach: float = 0.0) -> np.ndarray:
    left, right = min(w.left for w in words), max(w.left + w.width for w in words)
    top, bottom = words[0].top, words[0].bottom
    pad = PPOCR_MARGIN + 2  # tesseract's boxes sit on the ink: a little more, never a line's worth
    return image[max(0, top - pad):bottom + pad, max(0, left - pad):right + pad + int(reach * (bottom - top))]


def _spread_line(text: str, left: float, right: float, top: float, bottom: float, page: PageImage) -> list[dict]:
    """Characters laid evenly over a box given in pixels (a space as the gap it leaves)."""
    step = (right - left) / len(text) * page.scale
    return [_char(ch, left * page.scale + k * step, left * page.scale + (k + 1) * step, top * page.scale,
                  bottom * page.scale, page.page_number, page.height) for k, ch in enumerate(text) if ch != " "]


_SPECKS = "'`\"‘’“”|"


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




def _bridged(runs: np.ndarray, gap: int) -> np.ndarray:
    """`runs` (rules found along axis 1) with every gap of up to `gap` pixels between two of them filled:
    only between rules, never between strokes of text, which are too short to be runs."""
    out = runs.copy()
    for span in range(2, gap + 2):
        both = runs[:, :-span] & runs[:, span:]
        for k in range(1, span):
            out[:, k:k + both.shape[1]] |= both
    return out


def _near(mask: np.ndarray, reach: int) -> np.ndarray:
    """The pixels within `reach` of `mask` (a square neighbourhood)."""
    grown = Image.fromarray(mask.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(2 * reach + 1))
    return np.asarray(grown) > 0


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


