"""HTML: whole saved pages (site navigation around the report) or bare fragments, any charset."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from pipeline.extract.model import Document, ExtractionError, row_line
from pipeline.text.decode import declared_charset, decode_text
from pipeline.text.norm import normalise

_SKIP = {"script", "style", "noscript", "head", "select", "option", "iframe", "svg", "button"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
          "header", "footer", "blockquote", "pre", "dd", "dt", "dl", "center", "hr", "form", "nav"}
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_TEXT = etree.XPath("string()")  # a cell's text, nested tags included, gathered in C


def extract_html(data: bytes) -> Document:
    text = _XML_DECL.sub("", decode_text(data, declared_charset(data)))
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError("unreadable_html", f"the HTML cannot be parsed: {exc}") from exc
    title = _title(root)
    out: list[str] = []
    body = root.find("body")
    _walk(body if body is not None else root, out)
    lines = [" ".join(line.split()) if "\t" not in line else line for line in "".join(out).split("\n")]
    return Document("\n".join(line for line in lines if line.strip()), title=title)


def _title(root: lxml.html.HtmlElement) -> str | None:
    for xpath in ('//meta[@name="ArticleTitle"]/@content', '//meta[@name="title"]/@content', "//title/text()"):
        found = root.xpath(xpath)
        if found and str(found[0]).strip():
            return normalise(re.split(r"[_|]| - ", str(found[0]).strip())[0])
    return None


def _walk(el: lxml.html.HtmlElement, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _SKIP:
        return
    if tag == "table" and not el.xpath(".//table"):
        for row in _table_rows(el):
            out.append("\n" + row + "\n")
        return
    # a table holding tables lays out the page (old portals): walk it like any container
    block = tag in _BLOCK or tag in ("table", "tr", "td", "th")
    if block:
        out.append("\n")
    if el.text:
        out.append(normalise(el.text))
    for child in el:
        _walk(child, out)
        if child.tail:
            out.append(normalise(child.tail))
    if block:
        out.append("\n")


def _table_rows(table: lxml.html.HtmlElement) -> list[str]:
    rows = []
    for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        cells: list[str | None] = [_TEXT(td) for td in tr if td.tag in ("td", "th")]
        if cells:
            rows.append(row_line(cells))
    return rows
