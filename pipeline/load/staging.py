"""Parsed years on disk as Parquet: what the parsing step hands to the loading steps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from pipeline.load.warehouse import table_columns


def stage_dir(root: Path, year: int) -> Path:
    return root / "staging" / str(int(year))


def write_stage(root: Path, year: int, frames: dict[str, pd.DataFrame]) -> None:
    """Replace a year's staged tables (written beside, then renamed: a reader sees old or new)."""
    target = stage_dir(root, year)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for table, frame in frames.items():
        frame.to_parquet(tmp / f"{table}.parquet", index=False)
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def read_stage(root: Path, years: list[int], table: str) -> pd.DataFrame:
    parts = []
    for year in years:
        path = stage_dir(root, year) / f"{table}.parquet"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: materialise parsed_reports for {year} first")
        parts.append(pd.read_parquet(path))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=table_columns()[table])
