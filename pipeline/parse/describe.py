"""Bytes -> format and text; text -> report year, agency, region and template."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO

from charset_normalizer import from_bytes

from pipeline.templates import TEMPLATE_MARKERS
from pipeline.textnorm import compact, normalise, parse_year

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|table|meta|div|p|tr|td|span)[\s>/]", re.I)
_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_DECL = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.I)
# GBK and GB2312 pages routinely use characters only GB18030 (their superset) defines.
_CHARSET_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "utf8": "utf-8"}


def detect_format(data: bytes) -> str:
    """'pdf', 'docx', 'doc' (OLE2: DOC, WPS, XLS), 'zip', 'html', 'txt' or 'empty' — from the bytes only."""
    head = data[:4096].lstrip()
    if not data.strip():
        return "empty"
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(OLE2_MAGIC):
        return "doc"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return "zip"
        return "docx" if "word/document.xml" in names else "zip"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if _HTML_SNIFF.search(data[:65536]) and b"<" in head[:2048]:
        return "html"
    return "txt"


def declared_charset(data: bytes) -> str | None:
    m = _DECLARED.search(data[:8192]) or _XML_DECL.search(data[:512])
    return m.group(1).decode("ascii").lower() if m else None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Honour a BOM or the declared charset; otherwise UTF-8, then GB18030, then detection."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace")
    tried = []
    if declared:
        enc = _CHARSET_ALIASES.get(declared, declared)
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            tried.append(enc)
    for enc in ("utf-8", "gb18030"):
        if enc in tried:
            continue
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("gb18030", errors="replace")


# --- report metadata ----------------------------------------------------------------------------
_YEAR = r"((?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})"
_TITLE_YEAR = re.compile(_YEAR + r"\s*年\s*度?")
_PERIOD = re.compile(r"统计期限[^0-9]{0,6}((?:19|20)\d{2})\s*年")
_REPORTING = re.compile(r"现将[^。]{0,20}?((?:19|20)\d{2})年度?[^。]{0,6}政府信息公开(?:工作)?(?:情况|年度报告)")
_TITLE_HINT = re.compile(r"(政府)?信息公开(工作)?年度?报告|信息公开年报|政务公开.{0,4}年度报告")


@dataclass(frozen=True)
class Region:
    province: str | None = None
    city: str | None = None
    county: str | None = None
    adcode: str | None = None


@dataclass(frozen=True)
class ReportMeta:
    title: str | None
    agency_name: str | None
    year: int | None
    template: str
    region: Region


def find_title(text: str, given: str | None = None) -> str | None:
    """The report's title: the given one (HTML <title>, PDF metadata) if it names a report, else the first
    line (or two lines joined: titles break) that does, with the agency's name when printed above it."""
    if given and _TITLE_HINT.search(compact(given)):
        return _clean_title(given)
    lines = [_clean_title(line) for line in text.splitlines()[:200]]
    lines = [line for line in lines if line][:80]
    for i, line in enumerate(lines):
        if _is_title(line):
            m = _TITLE_YEAR.search(line)
            if m and m.start() == 0 and i > 0 and len(lines[i - 1]) <= 30 and not _TITLE_YEAR.search(lines[i - 1]) \
                    and line[m.end():].startswith(("政府信息", "信息公开", "政务公开")):
                return lines[i - 1] + line  # 洪泽区人民政府 / 2023 年政府信息公开工作年度报告
            return line
    for i, line in enumerate(lines[:-1]):  # a title broken over two lines: 2024 年上海市科委政府信息公开工作 / 年度报告
        if _TITLE_YEAR.search(line) and _is_title(line + lines[i + 1]) and not _TITLE_HINT.search(line):
            return line + lines[i + 1]
    return _clean_title(given) if given else None


def _is_title(line: str) -> bool:
    return len(line) <= 70 and _TITLE_HINT.search(line) is not None and _TITLE_YEAR.search(line) is not None


def _clean_title(line: str) -> str:
    line = compact(line).lstrip("#*>")
    line = line.rsplit(">", 1)[-1]  # a breadcrumb: 首页>政务公开>年报
    return re.sub(r"^(标题|题目|title)[:：]", "", line, flags=re.I)


def report_year(title: str | None, text: str) -> int | None:
    if title and (m := _TITLE_YEAR.search(title)):
        return parse_year(m.group(1))
    if m := _PERIOD.search(compact(text[:20000])):
        return int(m.group(1))
    if m := _REPORTING.search(compact(text[:3000])):  # 现将我局2020年度政府信息公开情况报告如下
        return int(m.group(1))
    return None


def annual_report_year(title: str) -> int | None:
    """The report year when a link or page title names an annual disclosure report, else None
    (关于2014年政府信息公开工作要点落实情况的函 is not one)."""
    flat = compact(title)
    if not _TITLE_HINT.search(flat) or not (m := _TITLE_YEAR.search(flat)):
        return None
    return parse_year(m.group(1))


def agency_from_title(title: str | None) -> str | None:
    """The body's name as printed: before the year (宝山区2021年…), or after it (2024年上海市科委政府信息公开…)."""
    if not title or not (m := _TITLE_YEAR.search(title)):
        return None
    name = re.sub(r"^.*[》:]", "", title[: m.start()]).strip("《》“”\"'-_ ")
    name = re.sub(r"^(关于|印发)", "", name)
    if not name:
        after = re.match(r"(.{2,30}?)(?:政府信息公开|信息公开|政务公开)", title[m.end():])
        name = after.group(1) if after else ""
    return name or None


def detect_template(text: str, year: int | None) -> str:
    flat = compact(text)
    scores = {code: sum(flat.count(compact(m)) > 0 for m in marks) for code, marks in TEMPLATE_MARKERS.items()}
    best = max(scores, key=lambda c: scores[c])
    if scores[best] >= 2 and scores[best] > min(scores.values()):
        return best
    if year is not None:
        if year < 2019:
            return "legacy"
        return "2021" if year >= 2021 else "2019"
    return "unknown"


def describe(text: str, given_title: str | None = None) -> ReportMeta:
    text = normalise(text)
    title = find_title(text, given_title)
    year = report_year(title, text)
    agency = agency_from_title(title)
    template = detect_template(text, year)
    return ReportMeta(title, agency, year, template, find_region(text, agency))


def registered_region(region: tuple[str, ...] | list[str], level: str) -> Region:
    """A registry's region list (province first) as a Region."""
    parts = list(region)
    province = parts[0] if parts else None
    city = next((p for p in parts[1:] if re.search(r"(市|州|盟|地区)$", p)), None)
    county = parts[-1] if len(parts) > 1 and level in ("county", "township", "department") and parts[-1] != city else None
    return Region(province, city, county)


def merge_region(found: Region, registered: Region, agency: str | None, source_name: str) -> Region:
    """The report's own words first; the registry fills what they leave open. The registered county or
    city is the body's only when the report names that body (a listing may carry other bodies' reports)."""
    same_body = bool(agency) and (agency in source_name or source_name in agency
                                  or bool(registered.county and registered.county in agency))
    if found.province and found.province != registered.province and registered.province:
        return found  # the report says it is elsewhere: believe it
    return Region(
        found.province or registered.province,
        found.city or (registered.city if same_body or found.county else None),
        found.county or (registered.county if same_body else None),
        found.adcode,
    )


# --- region -------------------------------------------------------------------------------------
_PLACEHOLDER_CITIES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
_CLAUSE = re.compile(r"[，。；;：:！？!?、（）()《》“”\"\n\t ]+")


@lru_cache(maxsize=1)
def _cpca():  # the gazetteer loads in about a second: only when a region is wanted
    import cpca

    return cpca


def find_region(text: str, agency: str | None) -> Region:
    """Province, city and county from the report's own words, never from a short name alone.

    The gazetteer (cpca) reads each clause; a level counts only where its name is printed in that
    clause, so a bare 宝山区 is not taken for 双鸭山市's (上海市 has one too).
    """
    clauses = [c for c in _CLAUSE.split(normalise(text[:30000])) if 2 <= len(c) <= 80]
    clauses = [c.replace(" ", "") for c in dict.fromkeys(clauses) if re.search(r"[省市区县州旗盟]", c)][:600]
    if agency:
        clauses.insert(0, agency)
    if not clauses:
        return Region()
    frame = _cpca().transform(clauses)
    votes: dict[tuple[str | None, str | None, str | None, str | None], int] = {}
    rows = frame[["省", "市", "区", "adcode"]].itertuples(index=False)
    for clause, (prov, city, county, adcode) in zip(clauses, rows, strict=True):
        prov, city, county = (_clean(x) for x in (prov, city, county))
        if city and (len(_short(city)) < 2 or city in _PLACEHOLDER_CITIES):
            city = None  # the gazetteer's placeholder cities (县, 市辖区)
        prov_seen = bool(prov) and _as_body(_short(prov), clause)
        city_seen = bool(city) and _as_body(_short(city), clause)
        if not (prov_seen or city_seen):
            continue  # the gazetteer guessed the parent from a short name
        if county and county not in clause:
            county = None
        if not city_seen and city != prov:
            city = None if not county else city
        code = str(adcode) if isinstance(adcode, str | int) else None
        key = (prov, city, county, code)
        bonus = 3 if agency and county and county in agency else 0
        votes[key] = votes.get(key, 0) + 1 + bonus
    if not votes:
        return Region()
    prov, city, county, adcode = max(votes, key=lambda k: (votes[k] + (2 if k[2] else 0) + (1 if k[1] else 0)))
    return Region(prov, city, county, adcode)


_BODY_AFTER = r"(?:省|市|自治区)?(?:人民政府|政府|党委|人大|省委|市委|区委|县委|办公厅|办公室|[\u4e00-\u9fff]{1,6}?(?<!地)[市区县旗])"


def _as_body(short: str, clause: str) -> bool:
    """The place is printed as a government's seat (福建省人民政府, 双鸭山市宝山区), not in passing (台湾同胞)."""
    return re.search(re.escape(short) + _BODY_AFTER, clause) is not None


def _short(name: str) -> str:
    short = re.sub(r"(省|市|自治区|壮族|回族|维吾尔)+$", "", name)
    return short if len(short) >= 2 else name


def _clean(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
