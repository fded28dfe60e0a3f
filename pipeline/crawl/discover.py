"""Reading listing and article pages: report links, pagination, publication dates, attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlparse

import lxml.html
from lxml import etree

from pipeline.text.decode import declared_charset, decode_text
from pipeline.text.norm import compact, normalise
from pipeline.text.titles import agency_from_title, annual_report_year

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".rtf")
_NEXT = re.compile(r"^(下一页|下页|后页|下一頁|next|>|»|>>)", re.I)  # 下一页, 下一页>, Next »
_PAGED = re.compile(r"(?:index|list|default|page)_\d+\.(?:s?html?|jhtml)$", re.I)
# TRS pagers: createPageHTML(5, 0, "index", "html") and the newer createPageHTML('page_div', 5, 1, 'index', 'shtml', 68)
_CREATE_PAGE = re.compile(r"createPage(?:HTML|Html)?\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?"
                          r"\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]")
_YEAR_IN = re.compile(r"((?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})\s*年")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_PUBLISHED = re.compile(r"(?:发布日期|发布时间|发文日期|成文日期|公开日期|日期|时间)\s*[:：]\s*"
                        r"((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})")


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    date: str | None = None  # the date printed beside the link (a listing's 发布日期 column)

    @property
    def report_year(self) -> int | None:
        return annual_report_year(self.text)

    @property
    def maybe_report(self) -> bool:
        """A title cut short on the listing (平潭综合实验区2021年度政府信息公开工…): the page's own title decides."""
        flat = compact(self.text)
        return flat.endswith(("…", "...", "..")) and "信息公开" in flat and _YEAR_IN.search(flat) is not None

    @property
    def agency(self) -> str | None:
        return agency_from_title(compact(self.text))

    @property
    def is_attachment(self) -> bool:
        """A document file: by its path, or by a file name passed to a download script (downfile.jsp?filename=…)."""
        parsed = urlparse(self.url)
        return parsed.path.lower().endswith(ATTACHMENT_SUFFIXES) or any(
            value.lower().endswith(ATTACHMENT_SUFFIXES) for _, value in parse_qsl(parsed.query))


def parse_html(body: bytes, content_type: str | None = None) -> lxml.html.HtmlElement | None:
    declared = None
    if content_type and "charset=" in content_type.lower():
        declared = content_type.lower().split("charset=")[-1].split(";")[0].strip().strip("\"'")
    text = decode_text(body, declared or declared_charset(body))
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        return lxml.html.document_fromstring(text) if text.strip() else None
    except (etree.ParserError, ValueError):
        return None


def iso_date(text: str) -> str | None:
    m = _DATE.search(normalise(text))
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


def links(root: lxml.html.HtmlElement, base_url: str) -> list[Link]:
    """Every link with its text (or title) and the date printed in the same list item or table row."""
    out = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        text = " ".join((a.get("title") or a.text_content() or "").split())
        if len(text) < len(" ".join(a.text_content().split())):
            text = " ".join(a.text_content().split())  # a shortened title attribute: the text is fuller
        out.append(Link(urljoin(base_url, href), normalise(text), _date_near(a)))
    return out


def _date_near(a: lxml.html.HtmlElement) -> str | None:
    node = a.getparent()
    for _ in range(3):  # the list item, the row, or the block holding both
        if node is None:
            return None
        others = [x for x in node.iter("a") if x is not a]
        if others and len(others) > 2:
            return None  # a block of many links: a date here is not this link's
        found = iso_date(node.text_content().replace(a.text_content(), ""))
        if found:
            return found
        node = node.getparent()
    return None


def next_pages(root: lxml.html.HtmlElement, page_url: str) -> list[str]:
    """Further pages of a listing: 下一页 links, numbered index_N pages, and TRS createPageHTML scripts."""
    found = []
    for link in links(root, page_url):
        if _NEXT.match(compact(link.text)) or _PAGED.search(urlparse(link.url).path):
            found.append(link.url)
    for script in root.iter("script"):
        m = _CREATE_PAGE.search(script.text or "")
        if m:
            count, name, ext = int(m.group(1)), m.group(3), m.group(4)
            found += [urljoin(page_url, f"{name}_{n}.{ext}") for n in range(1, count)]
    own = urlparse(page_url)
    return [u for u in dict.fromkeys(found) if urlparse(u).netloc == own.netloc and u != page_url]


@dataclass(frozen=True)
class Article:
    title: str | None
    published_at: str | None
    attachments: tuple[Link, ...]
    has_tables: bool  # the page itself carries the report's tables


def article(root: lxml.html.HtmlElement, url: str) -> Article:
    title = None
    for xpath in ('//meta[@name="ArticleTitle"]/@content', "//title/text()", "//h1//text()"):
        hit = root.xpath(xpath)
        if hit and str(hit[0]).strip():
            title = normalise(re.split(r"[_|]", str(hit[0]).strip())[0])
            break
    published = None
    for xpath in ('//meta[@name="PubDate"]/@content', '//meta[@name="pubdate"]/@content',
                  '//meta[@name="firstpublishedtime"]/@content'):
        hit = root.xpath(xpath)
        if hit and iso_date(str(hit[0])):
            published = iso_date(str(hit[0]))
            break
    text = normalise(root.text_content())
    if published is None and (m := _PUBLISHED.search(text)):
        published = iso_date(m.group(1))
    flat = compact(text)
    has_tables = bool(root.xpath("//table")) and ("本年新收" in flat or "第二十条" in flat)
    attachments = tuple(link for link in links(root, url) if link.is_attachment)
    return Article(title, published, attachments, has_tables)
