"""DOCX through python-docx, paragraphs and tables in document order."""

from __future__ import annotations

import zipfile
from io import BytesIO

import docx
from docx.oxml.ns import qn

from pipeline.extract.model import Document, ExtractionError, row_line
from pipeline.text.norm import normalise

MAX_UNZIPPED = 256 << 20  # bytes a DOCX may unpack to: real reports are a few MB; more is a zip bomb


def extract_docx(data: bytes) -> Document:
    check_archive(data)
    try:
        document = docx.Document(BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ExtractionError("unreadable_docx", f"the DOCX cannot be opened: {exc}") from exc
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(normalise(_text(child)))
        elif child.tag == qn("w:tbl"):
            lines.extend(_table_lines(child))
    title = document.core_properties.title or None
    return Document("\n".join(line for line in lines if line.strip()), title=title)


_TEXT, _TAB, _BREAK = qn("w:t"), qn("w:tab"), qn("w:br")


def _text(element) -> str:
    """A paragraph's text; a tab (in a run, not a tab stop's definition) stays a tab, a line break a new
    line: both part cells where a report lays its numbers out with tabs instead of a table."""
    out = []
    for node in element.iter(_TEXT, _TAB, _BREAK):
        if node.tag == _TEXT:
            out.append(node.text or "")
        elif node.getparent().tag == qn("w:r"):
            out.append("\t" if node.tag == _TAB else "\n")
    return "".join(out)


def _table_lines(tbl) -> list[str]:
    lines = []
    for tr in tbl.iter(qn("w:tr")):
        cells: list[str | None] = []
        for tc in tr.iterchildren(qn("w:tc")):
            merge = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
            continued = merge is not None and merge.get(qn("w:val")) in (None, "continue")
            # a vertically merged cell repeats in every row it covers; only its first row carries it
            cells.append(None if continued else " ".join(_text(p) for p in tc.iter(qn("w:p"))))
        lines.append(row_line(cells))
    return lines


def check_archive(data: bytes) -> None:
    """Refuse a zip that would unpack to more than MAX_UNZIPPED, before anything is unpacked."""
    try:
        infos = zipfile.ZipFile(BytesIO(data)).infolist()
    except zipfile.BadZipFile as exc:
        raise ExtractionError("unreadable_docx", f"the DOCX cannot be opened: {exc}") from exc
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNZIPPED:
        raise ExtractionError("zip_bomb", f"the DOCX would unpack to {unpacked:,} bytes from {len(data):,} "
                              f"(more than the {MAX_UNZIPPED >> 20} MB a report may take): not opened")
