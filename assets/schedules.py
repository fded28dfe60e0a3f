import dagster as dg

from assets.partitions import YEARS
from pipeline.parse.reportyears import years_due

nightly_job = dg.define_asset_job("ingest_years", selection=dg.AssetSelection.all())


@dg.schedule(job=nightly_job, cron_schedule="30 2 * * *", execution_timezone="Asia/Shanghai")
def nightly(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    """New reports of the current report year (and, January to March, late ones of the year before)."""
    keys = set(YEARS.get_partition_keys())
    return [dg.RunRequest(run_key=f"{year}-{context.scheduled_execution_time:%Y%m%d}", partition_key=str(year))
            for year in years_due(context.scheduled_execution_time) if str(year) in keys]
