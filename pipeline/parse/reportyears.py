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


EARLIEST_YEAR = 2008  # the first year the 2007 条例 required a report for
YEARS_FORMAT = "a year or a range: 2019:2025, 2021, or 2019,2021"


class YearsError(ValueError):
    """A --years value that names no report years; the message says what it should look like."""


def parse_years(text: str | None) -> list[int]:
    """'2019:2025', '2021' or '2019,2021' -> years; default: FIRST_YEAR to the current report year."""
    if text is None:
        return list(range(FIRST_YEAR, latest_report_year() + 1))
    last = latest_report_year()
    years: set[int] = set()
    for part in text.replace("：", ":").replace("，", ",").split(","):
        bounds = [b.strip() for b in part.split(":")]
        if len(bounds) > 2 or not all(b.isascii() and b.isdigit() for b in bounds):
            raise YearsError(f"{text!r} is not {YEARS_FORMAT}")
        start, end = int(bounds[0]), int(bounds[-1])
        for year in (start, end):
            if not EARLIEST_YEAR <= year <= last:
                raise YearsError(f"{year} is not a report year: reports exist for {EARLIEST_YEAR} to {last}")
        if end < start:
            raise YearsError(f"{part.strip()} runs backwards: write {end}:{start}")
        years.update(range(start, end + 1))
    return sorted(years)
