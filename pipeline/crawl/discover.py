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
# A page's publication date, where bodies print it: a labelled field. 成文日期 and 发文日期 are when the
# text was written or issued, 采集时间 when a copy was saved, and an unlabelled date in a header is the
# site's clock: none of them is the publication date. A bare 日期/时间 counts only as a label of its own.
_PUBLISHED = re.compile(r"(公开日期|公开时间|发布日期|发布时间|发表日期|发表时间|(?<![\u4e00-\u9fff])日期|(?<![\u4e00-\u9fff])时间)"
                        r"\s*[:：]?\s*((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})")
_DATE_META = ("PubDate", "pubdate", "publishdate", "PublishDate", "firstpublishedtime", "article:published_time")


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
    published_at_source: str | None = None  # where the date was read: meta:NAME, publishtime, label:公开日期


def published_date(root: lxml.html.HtmlElement) -> tuple[str | None, str | None]:
    """(date, where it was read): the CMS's meta tags, its <publishtime> field, then a labelled field."""
    for name in _DATE_META:
        for hit in root.xpath(f'//meta[@name="{name}" or @property="{name}"]/@content'):
            if iso_date(str(hit)):
                return iso_date(str(hit)), f"meta:{name}"
    for hit in root.xpath("//publishtime//text()"):
        if iso_date(str(hit)):
            return iso_date(str(hit)), "publishtime"
    if m := _PUBLISHED.search(normalise(root.text_content())):
        return iso_date(m.group(2)), f"label:{m.group(1)}"
    return None, None


def article(root: lxml.html.HtmlElement, url: str) -> Article:
    title = None
    for xpath in ('//meta[@name="ArticleTitle"]/@content', "//title/text()", "//h1//text()"):
        hit = root.xpath(xpath)
        if hit and str(hit[0]).strip():
            title = normalise(re.split(r"[_|]", str(hit[0]).strip())[0])
            break
    published, source = published_date(root)
    flat = compact(normalise(root.text_content()))
    has_tables = bool(root.xpath("//table")) and ("本年新收" in flat or "第二十条" in flat)
    attachments = tuple(link for link in links(root, url) if link.is_attachment)
    return Article(title, published, attachments, has_tables, source)


# --- the report column of a portal -------------------------------------------------------------
COLUMN_HOPS = 3  # clicks from the portal's home page
# what a report column is called (政府信息公开年报, 政府信息公开工作年度报告, 信息公开年报, 年度报告 ...)
_COLUMN = re.compile(r"(信息公开|政务公开)?(工作)?(年报|年度报告)")
# on the way there: the disclosure sections of a portal
_TOWARDS = re.compile(r"政府信息公开|信息公开|政务公开|公开目录|法定主动公开|主动公开")
# look-alikes: plans, statistics, yearbooks, budgets are not the report column
_NOT_COLUMN = re.compile(r"要点|统计公报|统计年报|统计年鉴|年鉴|公报|计划|规划|预算|决算|总结|指南|制度|意见箱|依申请公开$")


def column_score(text: str) -> int:
    """How much a link's text looks like the way to the annual-report column: 2 names it, 1 leads
    towards it (the disclosure sections), 0 is neither; look-alike columns are 0."""
    flat = compact(text)
    if not flat or len(flat) > 30 or _NOT_COLUMN.search(flat) or annual_report_year(flat) is not None:
        return 0  # a long text is an article, and a dated report title is a report, not a column
    if _COLUMN.search(flat):
        return 2
    return 1 if _TOWARDS.search(flat) else 0


def report_links(root: lxml.html.HtmlElement, base_url: str) -> list[Link]:
    """The links to annual reports a page lists."""
    return [link for link in links(root, base_url) if link.report_year is not None]


async def find_report_column(portal: str, read, max_pages: int) -> tuple[str | None, int]:
    """The annual-report column of a portal, within COLUMN_HOPS clicks on its own host: the first page
    reached by a link that names a report column and that lists reports. `read(url)` -> (final url,
    parsed page or None). Returns (the column's URL or None, pages read)."""
    host = urlparse(portal).netloc
    frontier: list[tuple[int, int, int, str]] = [(0, 0, 0, portal)]  # (-score, depth, order, url)
    seen, pages, order = {portal}, 0, 0
    while frontier and pages < max_pages:
        frontier.sort()
        neg_score, depth, _, url = frontier.pop(0)
        final, root = await read(url)
        pages += 1
        if root is None:
            continue
        if -neg_score == 2 and report_links(root, final):
            return final, pages
        if depth >= COLUMN_HOPS:
            continue
        for link in links(root, final):
            score = column_score(link.text)
            if score and urlparse(link.url).netloc == host and link.url not in seen and not link.is_attachment:
                seen.add(link.url)
                order += 1
                frontier.append((-score, depth + 1, order, link.url))
    return None, pages
