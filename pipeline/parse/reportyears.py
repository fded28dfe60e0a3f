"""Which report years exist and which are still changing: reports for year Y are due by 31 January Y + 1."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

FIRST_YEAR = 2019  # the first national template
TZ = ZoneInfo("Asia/Shanghai")


def latest_report_year(today: dt.date | None = None) -> int:
    """The current report year: this year - 1 (its reports are due, or overdue)."""
    today = today or dt.datetime.now(TZ).date()
    return today.year - 1


def years_due(when: dt.datetime) -> list[int]:
    """What a nightly run refreshes: the current report year, and from January to March the one before,
    whose late reports are still appearing."""
    local = when.astimezone(TZ)
    current = latest_report_year(local.date())
    return [current, current - 1] if local.month <= 3 else [current]


def parse_years(text: str | None) -> list[int]:
    """'2019:2025', '2021' or '2019,2021' -> years; default: FIRST_YEAR to the current report year."""
    if not text:
        return list(range(FIRST_YEAR, latest_report_year() + 1))
    years: list[int] = []
    for part in text.split(","):
        if ":" in part:
            start, end = part.split(":")
            years += range(int(start), int(end) + 1)
        else:
            years.append(int(part))
    return sorted(set(years))
