"""Which body a report belongs to: one agency_id per body, whatever its title says.

A government's key is its seat's division code (adcode): 洪泽区人民政府, 淮安市洪泽区人民政府,
江苏省淮安市洪泽区政府 and 洪泽区人民政府办公室 (the office that writes the report) are all
`gov:320813`. A department's key is its government's code plus its standard name (沭阳县发改局 =
沭阳县发展和改革局 = `dept:321322:发展和改革局`); a township's, its county's code plus its name. The
region prefixes a title repeats, the 人民政府 / 政府 / 办公室 suffixes and the 管委会 forms never change
an identity. Where no region is known the key falls back to the names (and a short name that fits two
places is reported, never guessed).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from pipeline.load import divisions
from pipeline.load.departments import standard_department
from pipeline.parse.describe import Region

CANONICAL_SUFFIX = "(党工委管委会|管理委员会|管委会|人民政府)$"  # the seat's suffix, not part of the body's name
_TITLE_SUFFIX = re.compile(CANONICAL_SUFFIX)
# What a title adds after the body's own name: the seat's words and the office that writes the report.
_SEAT_SUFFIX = re.compile(r"(人民政府办公室|人民政府办公厅|人民政府|政府办公室|政府办公厅|政府|党工委管委会|"
                          r"党工委管理委员会|管理委员会|管委会)$")
_LEVEL_WORD = re.compile(r"^(省|市|区|县|州|旗|盟)")  # 县发展和改革局 on the county's own site
_TOWNSHIP = re.compile(r"(街道办事处|街道|乡|镇)$")
_DIVISION_PREFIX = re.compile(r"^.{2,12}?(省|自治区|市|自治州|州|地区|盟|区|县|自治县|旗)")
_DEPARTMENT_END = ("局", "委", "委员会", "厅", "办", "办公室", "中心", "院", "署", "处")


def canonical_name(name: str) -> str:
    """The body's name without the seat's suffix: 宝山区人民政府 = 宝山区, 平潭综合实验区管委会 = 平潭综合实验区."""
    return _TITLE_SUFFIX.sub("", name) or name


@dataclass(frozen=True)
class Identity:
    key: str
    level: str | None
    adcode: str | None  # the seat's code: the government's own, a department's government's
    chain: tuple[divisions.Division, ...] = ()  # the seat's divisions, province first
    parent_key: str | None = None
    ambiguous: tuple[str, ...] = field(default=())  # places a bare short name could be, when no region says

    @property
    def agency_id(self) -> str:
        return agency_id_of(self.key)  # type: ignore[return-value]


def identify(name: str | None, region: Region) -> Identity | None:
    """The body a title names, placed by the report's region."""
    if not name:
        return None
    chain = divisions.resolve(region.province, region.city, region.county)
    rest = re.sub(r"\s+", "", name)
    if not chain and (zone := divisions.zone_named(rest)) is not None:  # a zone's name places it alone
        chain = [*reversed(divisions.ancestors(zone)), zone]
    rest, chain = _strip_places(rest, chain)
    rest = _SEAT_SUFFIX.sub("", rest)
    if rest and _LEVEL_WORD.fullmatch(rest):
        rest = ""  # 市政府, 县人民政府办公室: the government of the seat itself
    seat = chain[-1] if chain else None
    if seat is None:
        return _by_names(name, region, rest)
    gov_key = f"gov:{seat.code}"
    parent = divisions.parent(seat)
    if not rest:
        return Identity(gov_key, seat.level, seat.code, tuple(chain), f"gov:{parent.code}" if parent else None)
    if _TOWNSHIP.search(rest) and not standard_department(rest):
        return Identity(f"{gov_key}:{_TOWNSHIP.sub(_township_word, rest)}", "township", seat.code, tuple(chain), gov_key)
    standard = standard_department(rest) or standard_department(_LEVEL_WORD.sub("", rest))
    if standard:
        return Identity(f"dept:{seat.code}:{standard}", "department", seat.code, tuple(chain), gov_key)
    # another body under the seat's government: a department by its name, else a zone one level down
    # (平潭综合实验区 under 福建省 is county-level, a 开发区 under a county township-level)
    level = "department" if rest.endswith(_DEPARTMENT_END) else "township" if seat.level == "county" else "county"
    return Identity(f"body:{seat.code}:{rest}", level, seat.code, tuple(chain), gov_key)


def _township_word(m: re.Match) -> str:
    return "街道" if m.group(1).startswith("街道") else m.group(1)


def _strip_places(rest: str, chain: list[divisions.Division]) -> tuple[str, list[divisions.Division]]:
    """Drop the places the title repeats (江苏省淮安市洪泽区…), extending the chain with a place the title
    names under it (淮安市 + 洪泽区人民政府 → 洪泽区)."""
    while True:
        for name in (n for d in chain for n in (d.name, *divisions.former_names(d.code))):
            if rest.startswith(name):
                rest = rest[len(name):]
                break
        else:
            found = _DIVISION_PREFIX.match(rest)
            below = [d for d in divisions.named(found.group()) if chain and d.code != chain[-1].code
                     and chain[-1] in divisions.ancestors(d)] if found else []
            if len(below) != 1:
                return rest, chain
            chain = [*chain, below[0]]
            rest = rest[len(below[0].name):]


def _by_names(name: str, region: Region, rest: str) -> Identity:
    """No division settles the seat: the key is the region's names and the body's name, as printed."""
    key = "|".join([region.province or "", region.city or "", region.county or "", canonical_name(name)])
    places = []
    if not (region.province or region.city):
        found = _DIVISION_PREFIX.match(re.sub(r"\s+", "", name))
        candidates = divisions.named(found.group()) if found else []
        if len(candidates) > 1:
            places = ["".join(a.name for a in reversed(divisions.ancestors(d))) + d.name for d in candidates]
    return Identity(key, None, None, (), None, tuple(places))


def agency_id_of(key: str | None) -> str | None:
    return None if key is None else "ag_" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
