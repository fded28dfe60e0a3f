"""Report years: 2019 (the first national template) to the latest year whose reports are due."""


import datetime as dt
import warnings
from zoneinfo import ZoneInfo

import dagster as dg

# single-run backfills are the design, not an experiment here: say so once, not at every asset
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

FIRST_YEAR = 2019
TZ = ZoneInfo("Asia/Shanghai")


def latest_report_year(today: dt.date | None = None) -> int:
    """Reports for year Y are due by 31 January of Y + 1: the current report year is this year - 1."""
    today = today or dt.datetime.now(TZ).date()
    return today.year - 1


def years_due(when: dt.datetime) -> list[int]:
    """What a nightly run refreshes: the current report year, and from January to March the one before,
    whose late reports are still appearing."""
    current = latest_report_year(when.astimezone(TZ).date())
    return [current, current - 1] if when.astimezone(TZ).month <= 3 else [current]


YEARS = dg.StaticPartitionsDefinition([str(y) for y in range(FIRST_YEAR, latest_report_year() + 1)])
SINGLE_RUN = dg.BackfillPolicy.single_run()  # a backfill of any range of years is one run


def run_years(context: dg.AssetExecutionContext) -> list[int]:
    return sorted(int(k) for k in context.partition_keys)
