"""A region's bodies by their scorecards: who sits in which band, and what pulls each one down."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.load.scorecard import BANDS, WEIGHTS


def scorecard_listing(con: duckdb.DuckDBPyConnection, region: str | None = None, level: str | None = None,
                      year: int | None = None) -> tuple[int | None, pd.DataFrame]:
    """(the year shown, one row per body): its region, level, score, band, weakest component and every
    component; the latest year with scorecards unless `year` is given."""
    if year is None:
        year = con.execute("SELECT max(year) FROM scorecards").fetchone()[0]
    where, params = ["c.year = ?"], [year]
    if region:
        where.append("(a.province = ? OR a.city = ? OR a.county = ? OR "
                     "contains(concat_ws('', a.province, a.city, a.county), ?))")
        params += [region] * 4
    if level:
        where.append("a.level = ?")
        params.append(level)
    frame = con.execute(f"""
        SELECT a.name AS body, concat_ws('/', a.province, a.city, a.county) AS region, a.level, c.year,
               c.score, c.band, c.weakest, {', '.join(f'c.{k}' for k in WEIGHTS)}, c.agency_id, c.report_id
        FROM scorecards c JOIN agencies a USING (agency_id)
        WHERE {' AND '.join(where)} ORDER BY c.score DESC NULLS LAST, a.name""", params).fetchdf()
    return year, frame


def banded_text(frame: pd.DataFrame) -> list[str]:
    """Lines: each band with its bodies, each with its score and weakest component."""
    lines = []
    for name, floor in BANDS:
        members = frame[frame["band"] == name]
        lines.append(f"{name} ({floor}+): {len(members)} bodies" if floor else f"{name} (<{BANDS[-2][1]}): "
                     f"{len(members)} bodies")
        for row in members.itertuples():
            weakest = f"weakest: {row.weakest} {getattr(row, row.weakest):.0f}" if row.weakest else ""
            lines.append(f"  {row.score:5.1f}  {row.body}（{row.region or '地区未知'}）  {weakest}")
    unscored = frame[frame["band"].isna()]
    if len(unscored):
        lines.append(f"not scored: {len(unscored)} bodies (nothing to judge them on)")
    return lines
