import dagster as dg

from assets.partitions import YEARS, range_tags
from pipeline.parse.reportyears import years_due

nightly_job = dg.define_asset_job("ingest_years", selection=dg.AssetSelection.all())


@dg.schedule(job=nightly_job, cron_schedule="30 2 * * *", execution_timezone="Asia/Shanghai")
def nightly(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    """New reports of the current report year (and, January to March, late ones of the year before)."""
    keys = set(YEARS.get_partition_keys())
    years = [y for y in years_due(context.scheduled_execution_time) if str(y) in keys]
    # one run for the years due, over every shard
    return [dg.RunRequest(run_key=f"{'-'.join(map(str, sorted(years)))}-{context.scheduled_execution_time:%Y%m%d}",
                          tags=range_tags(years))] if years else []
