"""Report years: 2019 (the first national template) to the latest year whose reports are due."""


import warnings

import dagster as dg

from pipeline.parse.reportyears import FIRST_YEAR, latest_report_year

# single-run backfills are the design, not an experiment here: say so once, not at every asset
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

YEARS = dg.StaticPartitionsDefinition([str(y) for y in range(FIRST_YEAR, latest_report_year() + 1)])
SINGLE_RUN = dg.BackfillPolicy.single_run()  # a backfill of any range of years is one run


def run_years(context: dg.AssetExecutionContext) -> list[int]:
    return sorted(int(k) for k in context.partition_keys)
