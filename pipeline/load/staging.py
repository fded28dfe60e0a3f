"""Parsed report years on disk as Parquet, one folder per year and shard: what the parsing steps hand to
the one loading step. A shard's folder is replaced whole; the loader reads every shard's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from pipeline.load.warehouse import mark_superseded, table_columns

STAGING = "staging"


def stage_dir(root: Path, year: int, shard: str) -> Path:
    return root / STAGING / str(int(year)) / shard


def write_stage(root: Path, year: int, shard: str, frames: dict[str, pd.DataFrame]) -> None:
    """Replace a year's staged tables of one shard (written beside, then renamed: a reader sees old or new)."""
    target = stage_dir(root, year, shard)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for table, frame in frames.items():
        frame.to_parquet(tmp / f"{table}.parquet", index=False)
    mark_staged(root, year)
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def clear_stage(root: Path, year: int, shard: str) -> None:
    """A shard with nothing for the year stages nothing (a document that left it leaves no rows), and the
    year is marked as staged."""
    shutil.rmtree(stage_dir(root, year, shard), ignore_errors=True)
    mark_staged(root, year)


def mark_staged(root: Path, year: int) -> None:
    folder = root / STAGING / str(int(year))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".staged").touch()


def _shard_dirs(root: Path, year: int) -> list[Path]:
    folder = root / STAGING / str(int(year))
    return sorted(d for d in folder.iterdir() if d.is_dir() and "." not in d.name) if folder.is_dir() else []


def read_stage(root: Path, years: list[int], table: str) -> pd.DataFrame:
    """A table's staged rows for these years, from every shard (see `read_stage_parts`)."""
    return read_stage_parts(root, years, table)[0]


def read_stage_parts(root: Path, years: list[int], table: str
                     ) -> tuple[pd.DataFrame, dict[tuple[int, str], pd.DataFrame]]:
    """A table's staged rows for these years, from every shard, and the rows each (year, shard) gave.
    The same bytes fetched by sources of two shards are one report: its rows come from the first shard
    that staged it."""
    parts, by_partition = [], {}
    for year in years:
        shards = _shard_dirs(root, year)
        if not shards and not (root / STAGING / str(year) / ".staged").exists():
            raise FileNotFoundError(f"{root / STAGING / str(year)} has no staged shard: materialise parsed_reports "
                                    f"for {year} first")
        owner: set[str] = set()
        for d in shards:
            path = d / f"{table}.parquet"
            if not path.exists():
                continue
            frame = pd.read_parquet(path)
            if table != "agencies" and len(frame):
                ids = set(pd.read_parquet(d / "reports.parquet", columns=["report_id"])["report_id"])
                frame = frame[~frame["report_id"].isin(owner)]
                owner |= ids
            by_partition[(int(year), d.name)] = frame
            parts.append(frame)
    parts = [p for p in parts if len(p)]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=table_columns()[table])
    if table == "reports" and len(frame):  # versions of one body's year may come from two shards
        frame = mark_superseded(frame.assign(superseded_by=None))
    if table == "agencies" and len(frame):  # a body named by reports in two shards is one row
        frame = frame.groupby("agency_id", as_index=False, sort=False).first()[table_columns()[table]]
    return frame, by_partition
