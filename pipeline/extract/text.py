"""Plain text: tab dumps, crawler dumps with cells run together, Markdown from converters."""

from __future__ import annotations

import html
import re

from pipeline.extract.model import PAGE_NUMBER, Document
from pipeline.text.decode import decode_text
from pipeline.text.norm import BLANK_MARK, normalise

_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_CHARACTER_REFERENCE = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,5});")


def extract_text(data: bytes) -> Document:
    text = decode_text(data)
    if _CHARACTER_REFERENCE.search(text):
        text = html.unescape(text)  # a crawler that kept the page's &nbsp; between cells: they separate cells
    text = normalise(text)
    lines = []
    for line in text.splitlines():
        if _MD_RULE.match(line) or PAGE_NUMBER.match(line):
            continue  # a Markdown table's |---|---| rule, or a page number
        if line.count("|") >= 1 and not line.lstrip().startswith(("http", "www")):
            line = "\t".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        if "\t" in line:  # a grid row: an empty field between tabs is a real, empty cell
            line = "\t".join(cell.strip() or BLANK_MARK for cell in line.split("\t"))
        lines.append(line)
    return Document("\n".join(lines))
