"""A PDF page's characters and ruling lines read through pdfium, in pdfplumber's own object model.

pdfminer interprets content streams in Python, which is most of the time a pdfplumber page takes;
pdfium does it in C. The objects read here have the geometry pdfminer gives (a character's box is its
advance by its font size, over the font's descent; a path becomes a line, a rect or a curve by
pdfminer's own rules), so pdfplumber's table finder and text-line clustering run on them unchanged and
read the same cells. A page this cannot read the same way (rotated, an offset media box, a form
XObject, unmapped glyphs) is left to pdfplumber: `read_page` says why.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import cached_property

import pypdfium2 as pdfium
import pypdfium2.raw as raw
from pdfplumber.page import Page

_NO_TEXT = {0, 0xFFFE, 0xFFFF, 0x0D, 0x0A, 0x02}  # pdfium's generated breaks and unknown-glyph marks
# Fonts every reader carries (PDF's standard 14): their metrics never depend on this machine's fonts.
_STANDARD_FONTS = frozenset({"Courier", "Helvetica", "Times", "Symbol", "ZapfDingbats", "TimesNewRoman", "Arial"})


@dataclass
class Fallback:
    """This page goes to pdfplumber, and why (it becomes an extraction note)."""

    reason: str


class PdfiumPage(Page):
    """A pdfplumber Page whose objects come from pdfium instead of pdfminer."""

    def __init__(self, objects: dict[str, list[dict]], width: float, height: float, page_number: int) -> None:
        self.pdf = None
        self.root_page = self
        self.page_obj = None
        self.page_number = page_number
        self.initial_doctop = 0
        self.rotation = 0
        self.mediabox = self.cropbox = self.bbox = (0, 0, width, height)
        self._objects = objects
        from functools import lru_cache

        self.get_textmap = lru_cache()(self._get_textmap)

    @cached_property
    def objects(self) -> dict[str, list[dict]]:  # type: ignore[override]
        return self._objects


def open_document(data: bytes) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(data)


def read_page(doc: pdfium.PdfDocument, index: int) -> PdfiumPage | Fallback:
    page = doc[index]
    try:
        if page.get_rotation() % 360:
            return Fallback("the page is rotated")
        left, bottom, right, top = page.get_mediabox()
        if left or bottom:
            return Fallback("the media box does not start at 0, 0")
        height = top - bottom
        objects = _path_objects(page, height)
        if isinstance(objects, Fallback):
            return objects
        chars = _chars(page, height, index + 1)
        if isinstance(chars, Fallback):
            return chars
        objects["char"] = chars
        return PdfiumPage(objects, right - left, height, index + 1)
    finally:
        page.close()


def _chars(page: pdfium.PdfPage, height: float, page_number: int) -> list[dict] | Fallback:
    textpage = page.get_textpage()
    try:
        tp = textpage.raw
        count = raw.FPDFText_CountChars(tp)
        box, matrix = raw.FS_RECTF(), raw.FS_MATRIX()
        ox, oy = ctypes.c_double(), ctypes.c_double()
        fonts: dict[int, str] = {}
        chars = []
        for i in range(count):
            code = raw.FPDFText_GetUnicode(tp, i)
            if raw.FPDFText_IsGenerated(tp, i) or code in _NO_TEXT:
                continue
            if raw.FPDFText_HasUnicodeMapError(tp, i):
                return Fallback("a glyph has no Unicode mapping")
            raw.FPDFText_GetLooseCharBox(tp, i, box)
            raw.FPDFText_GetMatrix(tp, i, matrix)
            a, b, c, d = matrix.a, matrix.b, matrix.c, matrix.d
            if b or c or d <= 0 or a <= 0:
                return Fallback("text that is not upright")
            size = raw.FPDFText_GetFontSize(tp, i) * d
            x0, x1, bottom = box.left, box.right, height - box.bottom
            if box.top - box.bottom > 2 * size:
                # vertical writing (Identity-V): pdfium's loose box spans the font's vertical extent; pdfminer
                # boxes the glyph as one em square standing on pdfium's origin
                raw.FPDFText_GetCharOrigin(tp, i, ox, oy)
                x0, x1, bottom = ox.value, ox.value + size, height - oy.value
            obj = raw.FPDFText_GetTextObject(tp, i)
            key = ctypes.cast(obj, ctypes.c_void_p).value or 0
            fontname = fonts.get(key)
            if fontname is None:
                fontname = fonts[key] = _font_name(obj)
            chars.append({
                "object_type": "char", "page_number": page_number, "text": chr(code), "fontname": fontname,
                "size": size, "upright": True, "matrix": (a, b, c, d, matrix.e, matrix.f),
                "x0": x0, "x1": x1, "y0": height - bottom, "y1": height - bottom + size,
                "top": bottom - size, "bottom": bottom, "doctop": bottom - size, "width": x1 - x0, "height": size,
            })
        return chars
    finally:
        textpage.close()


def _not_embedded(font, seen: set[int]) -> str | None:
    """The name of a font the file only names (not one of the standard 14), the first time it is met."""
    key = ctypes.cast(font, ctypes.c_void_p).value or 0
    if not font or key in seen:
        return None
    seen.add(key)
    if raw.FPDFFont_GetIsEmbedded(font):
        return None
    name = _base_font_name(font)
    return None if name.split(",")[0].split("-")[0] in _STANDARD_FONTS else name


def _font_name(text_object) -> str:
    font = raw.FPDFTextObj_GetFont(text_object)
    return _base_font_name(font) if font else ""


def _base_font_name(font) -> str:
    n = raw.FPDFFont_GetBaseFontName(font, None, 0)
    buffer = ctypes.create_string_buffer(n)
    raw.FPDFFont_GetBaseFontName(font, buffer, n)
    return buffer.value.decode("utf-8", "replace")


def _path_objects(page: pdfium.PdfPage, height: float) -> dict[str, list[dict]] | Fallback:
    """Every path as pdfminer classifies it: one segment a line, an axis-aligned closed box a rect,
    anything else a curve through its points (their axis-aligned pairs are still table rules)."""
    out: dict[str, list[dict]] = {"line": [], "rect": [], "curve": []}
    matrix = raw.FS_MATRIX()
    x, y = ctypes.c_float(), ctypes.c_float()
    fonts: set[int] = set()
    for index in range(raw.FPDFPage_CountObjects(page.raw)):
        obj = raw.FPDFPage_GetObject(page.raw, index)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == raw.FPDF_PAGEOBJ_FORM:
            return Fallback("a form XObject (nested drawing)")
        if kind == raw.FPDF_PAGEOBJ_TEXT:
            if missing := _not_embedded(raw.FPDFTextObj_GetFont(obj), fonts):
                # pdfium measures such glyphs with whatever fonts this machine has, and drops a one-glyph
                # text object it cannot measure: the page would read differently from machine to machine
                return Fallback(f"font {missing} is not embedded")
            continue
        if kind != raw.FPDF_PAGEOBJ_PATH:
            continue
        raw.FPDFPageObj_GetMatrix(obj, matrix)
        m = (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)
        ops: list[tuple[str, tuple[float, float]]] = []
        pending_curve = 0
        for s in range(raw.FPDFPath_CountSegments(obj)):
            segment = raw.FPDFPath_GetPathSegment(obj, s)
            raw.FPDFPathSegment_GetPoint(segment, x, y)
            point = (m[0] * x.value + m[2] * y.value + m[4], m[1] * x.value + m[3] * y.value + m[5])
            seg_type = raw.FPDFPathSegment_GetType(segment)
            if seg_type == raw.FPDF_SEGMENT_MOVETO:
                ops.append(("m", point))
            elif seg_type == raw.FPDF_SEGMENT_LINETO:
                ops.append(("l", point))
            else:  # a Bézier curve is three segments: two control points, then its end
                pending_curve += 1
                if pending_curve == 3:
                    ops.append(("c", point))
                    pending_curve = 0
            if raw.FPDFPathSegment_GetClose(segment):
                ops.append(("h", ops[0][1] if ops else point))
        for subpath in _subpaths(ops):
            _classify(subpath, height, out)
    return out


def _subpaths(ops: list[tuple[str, tuple[float, float]]]) -> list[list[tuple[str, tuple[float, float]]]]:
    paths: list[list[tuple[str, tuple[float, float]]]] = []
    for op in ops:
        if op[0] == "m" or not paths:
            paths.append([op])
        else:
            if op[0] == "h":
                op = ("h", paths[-1][0][1])
            paths[-1].append(op)
    return [p for p in paths if p[0][0] == "m"]


def _classify(path: list[tuple[str, tuple[float, float]]], height: float, out: dict[str, list[dict]]) -> None:
    shape = "".join(op for op, _ in path)
    pts = [pt for _, pt in path]
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:  # pdfminer drops a redundant l
        shape = shape[:-2] + "h"
        pts.pop()
    if shape in ("mlh", "ml"):
        out["line"].append(_box("line", pts[:2], height))
        return
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
        if pts[0] == pts[4] and square:
            out["rect"].append(_box("rect", [pts[0], pts[2]], height))
            return
    curve = _box("curve", pts, height)
    curve["pts"] = [(px, height - py) for px, py in pts]
    out["curve"].append(curve)


def _box(kind: str, pts: list[tuple[float, float]], height: float) -> dict:
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    return {"object_type": kind, "x0": x0, "x1": x1, "y0": y0, "y1": y1, "top": height - y1, "bottom": height - y0,
            "doctop": height - y1, "width": x1 - x0, "height": y1 - y0}


PdfiumError = pdfium.PdfiumError

__all__ = ["Fallback", "PdfiumError", "PdfiumPage", "open_document", "read_page"]
