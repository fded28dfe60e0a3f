"""The administrative division tree (province → city → county) with its 6-digit codes, from the
gazetteer cpca ships, plus the divisions renamed or merged since (declared once, below, as data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pipeline.parse.gazetteer import PLACEHOLDERS, cpca

LEVELS = ("province", "city", "county")

# Divisions renamed or merged: (province, city, the old county name) -> the code that succeeded it.
# A report printed under the old name belongs to the body that carries on under the new code.
DIVISION_CHANGES: dict[tuple[str, str, str], str] = {
    ("江苏省", "淮安市", "洪泽县"): "320813",  # 2016: 洪泽县 → 淮安市洪泽区
    ("江苏省", "淮安市", "楚州区"): "320803",  # 2012: 楚州区 → 淮安区
    ("江苏省", "苏州市", "吴江市"): "320509",  # 2012: 吴江市 → 吴江区
    ("江苏省", "苏州市", "沧浪区"): "320508",  # 2012: 沧浪、平江、金阊 → 姑苏区
    ("江苏省", "苏州市", "平江区"): "320508",
    ("江苏省", "苏州市", "金阊区"): "320508",
    ("上海市", "上海市", "闸北区"): "310106",  # 2015: 闸北区 merged into 静安区
    ("上海市", "上海市", "卢湾区"): "310101",  # 2011: 卢湾区 merged into 黄浦区
    ("北京市", "北京市", "崇文区"): "110101",  # 2010: 崇文区 → 东城区
    ("北京市", "北京市", "宣武区"): "110102",  # 2010: 宣武区 → 西城区
    ("福建省", "福州市", "长乐市"): "350112",  # 2017: 长乐市 → 长乐区
    ("黑龙江省", "双鸭山市", "宝山县"): "230506",
}


# Places outside the division tree that publish reports as bodies in their own right: zones, new areas
# and 管委会, each under the government it reports to, with the code it is administered under.
# name -> (the code, the code of the government it reports to, its level)
ZONES: dict[str, tuple[str, str, str]] = {
    "平潭综合实验区": ("350128", "350000", "county"),  # administered as 平潭县; reports to 福建省
    "河北雄安新区": ("133100", "130000", "city"),  # 雄安新区 (NBS statistical code 133100), under 河北省
    "雄安新区": ("133100", "130000", "city"),
    "苏州工业园区": ("320571", "320500", "county"),  # NBS statistical code 320571, under 苏州市
}


@dataclass(frozen=True)
class Division:
    code: str  # 6 digits
    name: str
    level: str  # province | city | county
    reports_to: str | None = None  # a zone's government (its code says nothing of it)

    @property
    def parent_codes(self) -> list[str]:
        if self.reports_to is not None:
            return [self.reports_to]
        if self.level == "province":
            return []
        candidates = [self.code[:4] + "00", self.code[:2] + "0000"] if self.level == "county" else [self.code[:2] + "0000"]
        return [c for c in candidates if c != self.code]


@lru_cache(maxsize=1)
def _tree() -> tuple[dict[str, Division], dict[str, list[Division]]]:
    by_code: dict[str, Division] = {}
    by_name: dict[str, list[Division]] = {}
    for info in cpca().ad_2_addr_dict.values():  # loaded here: only when a division is wanted
        if info.name in PLACEHOLDERS:
            continue
        division = Division(str(info.adcode)[:6], info.name, LEVELS[int(info.rank)])
        by_code[division.code] = division
        by_name.setdefault(division.name, []).append(division)
    for name, (code, reports_to, level) in ZONES.items():  # by name only: the code may be a county's too
        by_name.setdefault(name, []).append(Division(code, name, level, reports_to))
    return by_code, by_name


def by_code(code: str | None) -> Division | None:
    return _tree()[0].get(code[:6]) if code else None


def named(name: str) -> list[Division]:
    """Every division printed with exactly this name (宝山区: two, in 上海市 and 黑龙江省双鸭山市)."""
    return list(_tree()[1].get(name, []))


def zone_named(text: str) -> Division | None:
    """The zone a name starts with (平潭综合实验区经济发展局 -> 平潭综合实验区): its name is its own place."""
    for name in sorted(ZONES, key=len, reverse=True):
        if text.startswith(name):
            return next(d for d in named(name) if d.reports_to is not None)
    return None


def parent(division: Division) -> Division | None:
    for code in division.parent_codes:
        if (found := by_code(code)) is not None:
            return found
    return None


def ancestors(division: Division) -> list[Division]:
    """Its city and province (nearest first)."""
    out: list[Division] = []
    current = parent(division)
    while current is not None:
        out.append(current)
        current = parent(current)
    return out


def _under(division: Division, ancestor: Division) -> bool:
    return any(a.code == ancestor.code for a in ancestors(division))


def resolve(province: str | None, city: str | None, county: str | None) -> list[Division]:
    """The chain of divisions these names settle, province first, as far as they agree with each other;
    a name that is not in the tree (平潭综合实验区) ends the chain where it stands."""
    chain: list[Division] = []
    for name in (province, city, county):
        if not name:
            continue
        if chain and name == chain[-1].name:
            continue  # 上海市 上海市 宝山区: the municipality is its own city
        fits = [d for d in named(name) if not chain or _under(d, chain[-1])]
        if len(fits) != 1:
            renamed = _renamed(province, city, name)
            if renamed is None:
                break
            fits = [renamed]
        chain.append(fits[0])
    return chain


def former_names(code: str) -> list[str]:
    """The names a division was printed under before it was renamed or merged (洪泽县 for 320813)."""
    return [name for (_, _, name), new in DIVISION_CHANGES.items() if new == code]


def _renamed(province: str | None, city: str | None, name: str) -> Division | None:
    code = DIVISION_CHANGES.get((province or "", city or province or "", name))
    return by_code(code) if code else None
