"""A report's text -> what it is: title, report year, agency, region and template."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.parse.gazetteer import PLACEHOLDERS, cpca
from pipeline.parse.templates import TEMPLATE_MARKERS
from pipeline.text.norm import compact, normalise, parse_year
from pipeline.text.titles import TITLE_YEAR, agency_from_title, find_title

_PERIOD = re.compile(r"统计期限[^0-9]{0,6}((?:19|20)\d{2})\s*年")
_REPORTING = re.compile(r"现将[^。]{0,20}?((?:19|20)\d{2})年度?[^。]{0,6}政府信息公开(?:工作)?(?:情况|年度报告)")


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


def report_year(title: str | None, text: str) -> int | None:
    if title and (m := TITLE_YEAR.search(title)):
        return parse_year(m.group(1))
    if m := _PERIOD.search(compact(text[:20000])):
        return int(m.group(1))
    if m := _REPORTING.search(compact(text[:3000])):  # 现将我局2020年度政府信息公开情况报告如下
        return int(m.group(1))
    return None


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
_CLAUSE = re.compile(r"[，。；;：:！？!?、（）()《》“”\"\n\t ]+")


def find_region(text: str, agency: str | None) -> Region:
    """Province, city and county from the report's own (normalised) words, never from a short name alone.

    The gazetteer (cpca) reads each clause; a level counts only where its name is printed in that
    clause, so a bare 宝山区 is not taken for 双鸭山市's (上海市 has one too).
    """
    clauses = [c for c in _CLAUSE.split(text[:30000]) if 2 <= len(c) <= 80]  # normalised by describe
    clauses = [c.replace(" ", "") for c in dict.fromkeys(clauses) if re.search(r"[省市区县州旗盟]", c)][:600]
    if agency:
        clauses.insert(0, agency)
    if not clauses:
        return Region()
    votes: dict[tuple[str | None, str | None, str | None, str | None], int] = {}
    for clause, (prov, city, county, adcode) in zip(clauses, _gazetteer(clauses), strict=True):
        prov, city, county = (_clean(x) for x in (prov, city, county))
        if city and (len(_short(city)) < 2 or city in PLACEHOLDERS):
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


def warm_parsers() -> None:
    """Load what the first report would otherwise wait for (the gazetteer): for a worker before its first task."""
    _gazetteer(["福建省福州市鼓楼区人民政府"])


_GAZETTEER_SEEN: dict[str, tuple] = {}  # clause -> cpca's reading: reports repeat their boilerplate


def _gazetteer(clauses: list[str]) -> list[tuple]:
    """cpca's (province, city, county, adcode) for each clause, each distinct clause read once per process."""
    new = [c for c in dict.fromkeys(clauses) if c not in _GAZETTEER_SEEN]
    if new:
        if len(_GAZETTEER_SEEN) > 200_000:
            _GAZETTEER_SEEN.clear()
        frame = cpca().transform(new)
        for clause, row in zip(new, frame[["省", "市", "区", "adcode"]].itertuples(index=False), strict=True):
            _GAZETTEER_SEEN[clause] = tuple(row)
    return [_GAZETTEER_SEEN[c] for c in clauses]


_BODY_AFTER = r"(?:省|市|自治区)?(?:人民政府|政府|党委|人大|省委|市委|区委|县委|办公厅|办公室|[\u4e00-\u9fff]{1,6}?(?<!地)[市区县旗])"


def _as_body(short: str, clause: str) -> bool:
    """The place is printed as a government's seat (福建省人民政府, 双鸭山市宝山区), not in passing (台湾同胞)."""
    return re.search(re.escape(short) + _BODY_AFTER, clause) is not None


def _short(name: str) -> str:
    short = re.sub(r"(省|市|自治区|壮族|回族|维吾尔)+$", "", name)
    return short if len(short) >= 2 else name


def _clean(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# A government's report that sums its region's bodies says so: 汇总平潭综合实验区各有关单位…编制而成,
# 本报告由…汇总全县各部门…; its figures are then its departments' and townships' too.
_COVERS_REGION = re.compile(r"汇总[^。；]{0,30}?(各|所属|全)[^。；]{0,12}?(单位|部门|乡镇|街道|机关)")


def report_covers(text: str) -> str:
    """'region' when the report states that it sums its region's bodies, else 'own'."""
    return "region" if _COVERS_REGION.search(compact(normalise(text[:6000]))) else "own"
