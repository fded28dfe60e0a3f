"""Which body a report belongs to: one agency_id per body, from its region and its name."""

from __future__ import annotations

import hashlib
import re

from pipeline.parse.describe import Region

CANONICAL_SUFFIX = "(党工委管委会|管理委员会|管委会|人民政府)$"  # the seat's suffix, not part of the body's name
_TITLE_SUFFIX = re.compile(CANONICAL_SUFFIX)


def canonical_name(name: str) -> str:
    """The body's name without the seat's suffix: 宝山区人民政府 = 宝山区, 平潭综合实验区管委会 = 平潭综合实验区."""
    return _TITLE_SUFFIX.sub("", name) or name


def agency_key(name: str | None, region: Region) -> str | None:
    """The body's identity: its region and its canonical name, never a short name alone."""
    if not name:
        return None
    return "|".join([region.province or "", region.city or "", region.county or "", canonical_name(name)])


def agency_id_of(key: str | None) -> str | None:
    return None if key is None else "ag_" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
