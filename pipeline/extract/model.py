from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.text.norm import BLANK_MARK, normalise

_DIGIT_GAP = re.compile(r"(?<=\d) (?=\d)")
# A page number on a line of its own (— 4 —, 第 2 页, 2/5): between two halves of a table it reads as a cell.
PAGE_NUMBER = re.compile(r"^\s*(?:[-—–]\s*\d{1,3}\s*[-—–]|第\s*\d{1,3}\s*页(?:\s*[,，/共]\s*\d+\s*页?)?|\d{1,3}\s*/\s*\d{1,3})\s*$")


@dataclass
class Document:
    text: str  # normalised; cells joined by tabs, table rows and paragraphs by new lines
    title: str | None = None  # a title the format carries besides the text (HTML <title>, PDF metadata)
    pages: int = 1
    notes: list[str] = field(default_factory=list)
    read_by: str = "text"  # "ocr": the text came from page images, every number OCR-derived


class ExtractionError(Exception):
    """A report that cannot be read at all; `rule` becomes the report_issues rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def row_line(cells: list[str | None]) -> str:
    """One grid row as a line: merged (None) cells vanish, empty ones become BLANK_MARK."""
    out = []
    for cell in cells:
        if cell is None:
            continue
        # one grid cell holds one number: digits split by a line break or a styled span belong together
        text = _DIGIT_GAP.sub("", " ".join(normalise(cell).split()))
        out.append(text if text else BLANK_MARK)
    return "\t".join(out)
