"""Bytes of one report -> `Document`: its text, with table cells separated by tabs and rows by lines.
The format is sniffed from the bytes (`sniff`).

One module per format; each returns the same model so that `parse` never knows where a row came from.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.extract.model import Document, ExtractionError
from pipeline.text.norm import looks_traditional, to_simplified


def extract(data: bytes, fmt: str, on_ocr_page: Callable[[], None] | None = None) -> Document:
    """The document's text, in simplified characters (the template's labels are simplified).
    `on_ocr_page`: called as each page of a scan starts its OCR (seconds each, not milliseconds)."""
    doc = _extract(data, fmt, on_ocr_page)
    if looks_traditional(doc.text):
        doc.text = to_simplified(doc.text)
        doc.title = to_simplified(doc.title) if doc.title else doc.title
        doc.notes.append("converted from traditional characters")
    return doc


def _extract(data: bytes, fmt: str, on_ocr_page: Callable[[], None] | None = None) -> Document:
    """Dispatch on the format detected from the bytes (`sniff.detect_format`)."""
    if fmt == "empty":
        raise ExtractionError("empty_file", "the file is empty (0 bytes or only white space)")
    if fmt == "binary":
        raise ExtractionError("unknown_format", "the bytes are binary data, not a PDF, Word, HTML or text "
                              "document (a wrong link, or a format this pipeline does not read)")
    if fmt == "pdf":
        from pipeline.extract.pdf import extract_pdf

        return extract_pdf(data, on_ocr_page=on_ocr_page)
    if fmt == "html":
        from pipeline.extract.html import extract_html

        return extract_html(data)
    if fmt == "docx":
        from pipeline.extract.docx import extract_docx

        return extract_docx(data)
    if fmt in ("doc", "rtf", "zip"):
        from pipeline.extract.office import extract_via_libreoffice

        if fmt == "zip":
            from pipeline.extract.docx import check_archive

            check_archive(data)

        return extract_via_libreoffice(data, fmt)
    from pipeline.extract.text import extract_text

    return extract_text(data)


__all__ = ["Document", "ExtractionError", "extract"]
