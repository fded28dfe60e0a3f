"""`gongkai run`: the whole asset graph for a range of report years, in this process, as one run."""

import os
import socket
from pathlib import Path

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

from assets.definitions import defs
from assets.instance import instance_at
from assets.partitions import RANGE_END, RANGE_START, YEARS, range_tags
from assets.resources import Gongkai
from assets.schedules import nightly_job
from pipeline.load.lock import writer_lock

__all__ = ["RANGE_END", "RANGE_START", "check_years", "failure_details", "failures", "materialize_years"]


def check_years(years: list[int]) -> list[str]:
    keys = YEARS.get_partition_keys()
    missing = [str(y) for y in years if str(y) not in keys]
    if missing:
        raise ValueError(f"report years {', '.join(missing)} are outside the partitions {keys[0]}..{keys[-1]}")
    return [str(y) for y in years]


OWNER_TAG = "gongkai/process"  # host:pid of the `gongkai run` that executes a run
_UNFINISHED = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING,
               dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Runs of `gongkai run` that never ended because their process was killed (SIGKILL, the OOM killer)
    still hold their concurrency slots (the pool `warehouse`, limit 1): every later run would wait for
    them for ever. Those whose process is gone are marked failed and their slots freed."""
    host, freed = socket.gethostname(), []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=_UNFINISHED)):
        owner = run.tags.get(OWNER_TAG, "")
        where, _, pid = owner.rpartition(":")
        if where != host or not pid.isdigit() or _alive(int(pid)):
            continue  # not ours, another machine's, or still running
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        instance.report_run_failed(run, f"its process ({owner}) is gone: the run was killed")
        freed.append(run.run_id)
    return freed


def materialize_years(years: list[int], root: Path, sources: list[str], progress: bool = True,
                      instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    keys = check_years(sorted(years))
    resources = {"gongkai": Gongkai(data_dir=str(root), sources=sources, progress=progress)}
    # the schedule's job, so a run shows in the UI under the job's name, as the nightly's runs do
    job = dg.Definitions(assets=defs.assets, asset_checks=defs.asset_checks, jobs=defs.jobs,
                         resources=resources).resolve_job_def(nightly_job.name)
    tags = range_tags([int(k) for k in keys])
    # the progress lines and the failures' summary are the display; Dagster's own log, errors and their
    # traces stay in the instance (and `dagster dev`)
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL" if progress else "INFO"}}}}
    kwargs = {"tags": {**tags, OWNER_TAG: f"{socket.gethostname()}:{os.getpid()}"}, "raise_on_error": False,
              "run_config": quiet}
    with writer_lock(root):  # the whole run is one writer: an ingest meanwhile waits for its end
        if instance is not None:
            release_dead_runs(instance)
            return job.execute_in_process(instance=instance, **kwargs)
        with instance_at(root) as inst:
            release_dead_runs(inst)
            return job.execute_in_process(instance=inst, **kwargs)


def _root_cause(error: SerializableErrorInfo) -> SerializableErrorInfo:
    """The error a step's user code raised, inside Dagster's wrapping of it."""
    while error.cause is not None:
        error = error.cause
    return error


def failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """Failed steps (each with the reason its own code gave, on one line) and failed checks, in words."""
    out = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            lines = _root_cause(event.event_specific_data.error).message.strip().splitlines() or ["(no message)"]
            out.append(f"step {event.step_key.split('.')[0]}: {lines[0][:300]}")  # the asset (its op: in the log)
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                failing = data.metadata.get("failing_count")
                count = failing.value if failing is not None else "?"
                out.append(f"check {data.asset_key.to_user_string()}:{data.check_name} failed ({count} cases)")
    return out


def failure_details(result: dg.ExecuteInProcessResult) -> str:
    """Every failed step's whole error, with its traces: what a log file keeps for the operator."""
    parts = [f"run {result.run_id}"]
    for event in result.all_events:
        if event.event_type_value in ("STEP_FAILURE", "RUN_FAILURE") and event.event_specific_data is not None:
            error = getattr(event.event_specific_data, "error", None)
            if error is not None:
                parts.append(f"--- {event.event_type_value} {event.step_key or ''}\n{error.to_string()}")
    return "\n\n".join(parts)
