"""The same asset graph on Dagster's celery executor: each step a task any worker may take.

Needs the `distributed` extra (dagster-celery, dagster-postgres) and an instance whose storage every
worker reaches (PostgreSQL): steps send their events there. The pool "warehouse" (limit 1, from the
instance's concurrency settings) still lets one step at a time write DuckDB; workers share DATA_DIR
(one machine, or a shared volume), where each year's Parquet staging lands before the load.
"""

import dagster as dg
from dagster_celery import celery_executor

from assets.definitions import defs as local_defs

# partitioned like its assets (year x shard); a run's shards are spread over the workers as steps
celery_job = dg.define_asset_job("ingest_years_celery", selection=dg.AssetSelection.all(), executor_def=celery_executor)

defs = dg.Definitions(assets=list(local_defs.assets or []), jobs=[celery_job], resources=local_defs.resources)


def job() -> dg.JobDefinition:
    """The resolved job, for `dg.reconstructable(job)`: how workers find the code again."""
    return defs.resolve_job_def("ingest_years_celery")
