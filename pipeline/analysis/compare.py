"""One body's metrics side by side by year, and the series its chart draws."""

from __future__ import annotations

import difflib
import itertools

import duckdb
import pandas as pd

from pipeline.load.metrics import METRIC_BY_CODE

# What `compare` shows, in this order, and what its chart draws.
COMPARE_METRICS = ("requests_received", "requests_handled", "requests_carried_forward", "granted_share",
                   "withheld_share", "unavailable_share", "permits_decided", "penalties_decided", "fees_wan_yuan",
                   "review_total", "review_correction_rate", "litigation_total", "published_late")
CHART_COUNTS = ("requests_received", "requests_handled", "review_total", "litigation_total")
CHART_SHARES = ("granted_share", "withheld_share", "unavailable_share")


class AgencyNotFound(LookupError):
    pass


def find_agency(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    """Bodies matching an agency_id, a name, or a name with its region (黑龙江省宝山区)."""
    return con.execute("""
        SELECT agency_id, name, province, city, county, level, adcode FROM agencies
        WHERE agency_id = $q OR name = $q OR canonical_name = $q OR contains(name, $q)
           OR contains(concat_ws('', province, city, county, name), $q)
           OR contains(concat_ws('', province, city, name), $q) OR contains(concat_ws('', province, name), $q)
        ORDER BY (agency_id = $q OR name = $q) DESC, province, city, name""", {"q": query}).fetchdf()


def resolve_agency(con: duckdb.DuckDBPyConnection, query: str) -> pd.Series:
    """One body, or an error that lists the candidates: a short name shared by two regions is never guessed."""
    found = find_agency(con, query)
    if found.empty:
        close = closest_agencies(con, query)
        hint = ("; the closest: " + ", ".join(close)) if close else "; `gongkai sql \"SELECT name FROM agencies\"` lists them"
        raise AgencyNotFound(f"no body matches {query!r}{hint}")
    by_id = found[found["agency_id"] == query]
    if len(by_id) == 1:
        return by_id.iloc[0]
    if len(found) > 1:
        listing = "\n".join(f"  {r.agency_id}  {r.name}  ({'/'.join(x for x in (r.province, r.city, r.county) if isinstance(x, str))})"
                            for r in found.itertuples())
        raise AgencyNotFound(f"{query!r} matches {len(found)} bodies; name one by its agency_id or with its region "
                             f"(e.g. 黑龙江省宝山区):\n{listing}")
    return found.iloc[0]


def closest_agencies(con: duckdb.DuckDBPyConnection, query: str, n: int = 5) -> list[str]:
    """The bodies whose name, or region and name, reads most like `query` (北京市 -> 北京市人民政府)."""
    rows = con.execute("""SELECT agency_id, name, concat_ws('', province, city, county) AS region
                          FROM agencies WHERE name IS NOT NULL""").fetchall()
    wanted = set(query)

    def likeness(row: tuple) -> float:
        full = f"{row[2]}{row[1]}"
        shared = len(wanted & set(full))  # characters in common: a short query still finds its body
        return max(difflib.SequenceMatcher(None, query, row[1]).ratio(),
                   difflib.SequenceMatcher(None, query, full).ratio()) + shared / (len(wanted) or 1)

    ranked = sorted(rows, key=likeness, reverse=True)
    return [f"{name}（{region or '地区未知'}, {agency_id}）" for agency_id, name, region in ranked[:n]
            if likeness((agency_id, name, region)) > 0.5]


def compare_frame(con: duckdb.DuckDBPyConnection, agency_id: str, years: list[int]) -> pd.DataFrame:
    """Metrics (rows) by year (columns) for one body, plus the last year's change: in percent for counts
    and amounts, in percentage points for shares, as a before → after for flags."""
    rows = con.execute("""
        SELECT metric, year, value, prior_value, change, pct_change FROM yoy_metrics
        WHERE agency_id = ? AND year BETWEEN ? AND ?""", [agency_id, min(years), max(years)]).fetchdf()
    if rows.empty:
        return pd.DataFrame()
    wide = rows.pivot_table(index="metric", columns="year", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex([m for m in COMPARE_METRICS if m in wide.index])
    last = rows[rows["year"] == rows["year"].max()].set_index("metric")
    wide[f"Δ {int(rows['year'].max())}"] = [_change(METRIC_BY_CODE[m].unit, last.loc[m]) if m in last.index else None
                                            for m in wide.index]
    wide.index = [f"{METRIC_BY_CODE[m].label_zh} {m}" for m in wide.index]
    return wide


def _change(unit: str, row: pd.Series) -> str | None:
    if pd.isna(row["prior_value"]) or pd.isna(row["value"]):
        return None
    if unit == "ratio":  # a share's change is in percentage points: 2% -> 4% is +2.0 pp, not +100%
        return f"{row['change'] * 100:+.1f} pp"
    if unit == "flag":
        return "unchanged" if row["change"] == 0 else f"{row['prior_value']:.0f} → {row['value']:.0f}"
    return None if pd.isna(row["pct_change"]) else f"{row['pct_change'] * 100:+.1f}%"


def template_boundaries(con: duckdb.DuckDBPyConnection, agency_id: str, years: list[int]) -> list[tuple[int, str, str]]:
    """(first year, template before, template from then) wherever the body's reports change template: its
    series change meaning there (metric_definitions.boundary says how far)."""
    rows = con.execute("""SELECT year, template FROM current_reports WHERE agency_id = ? AND year BETWEEN ? AND ?
                          AND template <> 'unknown' ORDER BY year""", [agency_id, min(years), max(years)]).fetchall()
    return [(year, before, after) for (_, before), (year, after) in itertools.pairwise(rows) if before != after]


def boundary_note(boundaries: list[tuple[int, str, str]]) -> str | None:
    if not boundaries:
        return None
    named = {"legacy": "free form (2008–2018)", "2019": "the 2019 template", "2021": "the 2021 template"}
    return "‖ template changes: " + "; ".join(f"{y - 1}→{y} ({named.get(a, a)} → {named.get(b, b)})"
                                             for y, a, b in boundaries) + \
        "; how each metric joins across 2018→2019: metric_definitions.boundary (docs/metrics.md)"


def format_compare(frame: pd.DataFrame, boundaries: list[tuple[int, str, str]] | None = None) -> str:
    def cell(value: object, metric: str, column: object) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return "—"
        if isinstance(value, str):
            return value
        unit = METRIC_BY_CODE[metric.rsplit(" ", 1)[-1]].unit
        if unit == "ratio":
            return f"{value * 100:.1f}%"
        return f"{value:,.2f}" if unit == "wan_yuan" else f"{value:,.0f}"

    shown = pd.DataFrame({c: [cell(v, m, c) for m, v in frame[c].items()] for c in frame.columns}, index=frame.index)
    starts = {y for y, _, _ in boundaries or []}
    shown.columns = [f"‖{c}" if c in starts else c for c in shown.columns]  # ‖: the template changes here
    with pd.option_context("display.unicode.east_asian_width", True):  # a CJK character takes two columns
        return shown.to_string()


def chart_series(con: duckdb.DuckDBPyConnection, agency_id: str, years: list[int]) -> pd.DataFrame:
    return con.execute(f"""
        SELECT year, metric, value FROM yoy_metrics WHERE agency_id = ? AND year BETWEEN ? AND ?
        AND metric IN {CHART_COUNTS + CHART_SHARES} ORDER BY year""", [agency_id, min(years), max(years)]).fetchdf()
