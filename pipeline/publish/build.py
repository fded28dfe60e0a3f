"""`gongkai site`: the published warehouse as a static site of small, pre-aggregated data files.

Each view reads only what it shows (Evidence/Observable's way): a body's page one bucket of bodies, a
region's page its own file (and, for a large region, one file per metric), the search page the index.
DuckDB builds every file's JSON; Python only writes them out. Nothing is fetched from elsewhere at run
time: the page is three files of our own (static/), and the full Parquet export sits beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.analysis.export import export
from pipeline.publish.search import search_keys
from pipeline.publish.views import meta

STATIC = Path(__file__).parent / "static"
SETTINGS = {
    "bodies_per_bucket": 64,  # a body's page reads one bucket: ~64 bodies' series, tens of kB
    "embed_region_values_up_to": 300,  # bodies; a larger region gets one file per metric instead
}


MARKER = ".gongkai-site"  # a folder holding it is a previous build, whose data a new build may replace


class NotASiteFolder(ValueError):
    pass


@dataclass(frozen=True)
class SiteSummary:
    out: Path
    bodies: int
    regions: int
    files: int
    bytes: int
    seconds: float


def bucket_of(agency_id: str, buckets: int) -> int:
    """FNV-1a (32 bit) of the id's UTF-8 bytes, mod `buckets`: site.js computes the same to find a body."""
    h = 0x811C9DC5
    for b in agency_id.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h % buckets


def region_id(path: tuple[str, ...]) -> str:
    return hashlib.sha1("/".join(path).encode("utf-8")).hexdigest()[:10]


def build_site(con: duckdb.DuckDBPyConnection, out: Path, parquet: bool = True, archive: bool = True) -> SiteSummary:
    """Write the explorer into `out` (replacing a previous build's data): index.html, its script and
    style, `data/` (the views' files), `archive/` (each report's archived bytes) and `download/` (the
    Parquet export with its manifest)."""
    start = time.perf_counter()
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise NotASiteFolder(f"{out} holds files that are not a gongkai site: name an empty or new folder "
                             "(a build replaces its folder's data/, archive/ and download/)")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by `gongkai site`; a new build replaces data/, archive/ and download/\n")
    for folder in ("data", "archive", "download"):
        shutil.rmtree(out / folder, ignore_errors=True)
    for name in ("index.html", "site.js", "site.css"):
        shutil.copyfile(STATIC / name, out / name)
    data = out / "data"
    (data / "body").mkdir(parents=True)
    (data / "region").mkdir()

    agencies = con.execute("""SELECT agency_id, name, province, city, county, level FROM agencies
                              ORDER BY agency_id""").fetchdf()
    buckets = max(1, -(-len(agencies) // SETTINGS["bodies_per_bucket"]))
    years = [int(y) for (y,) in con.execute("SELECT DISTINCT year FROM current_reports ORDER BY year").fetchall()]
    _write(data / "meta.json", meta(years, buckets))

    members = _regions(agencies)
    con.register("site_members", members)
    con.register("site_buckets", pd.DataFrame({"agency_id": agencies["agency_id"],
                                               "bucket": [bucket_of(a, buckets) for a in agencies["agency_id"]]}))
    archived = _archive(con, out / "archive") if archive else set()
    con.register("site_archived", pd.DataFrame({"report_id": sorted(archived)}, dtype=object))
    _write_bodies(con, data / "body")
    _write_index(con, agencies, members, data)
    n_regions = _write_regions(con, members, data / "region")
    if parquet:
        export(con, out / "download", "parquet")
    for name in ("site_members", "site_buckets", "site_archived"):
        con.unregister(name)
    files = [p for p in out.rglob("*") if p.is_file()]
    return SiteSummary(out, len(agencies), n_regions, len(files), sum(p.stat().st_size for p in files),
                       time.perf_counter() - start)


def _write(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _regions(agencies: pd.DataFrame) -> pd.DataFrame:
    """(region_id, path, depth, agency_id): each body in its province, city and county, as known."""
    rows = []
    for a in agencies.itertuples():
        path: tuple[str, ...] = ()
        for part in (a.province, a.city, a.county):
            if not isinstance(part, str) or not part:
                continue
            path = (*path, part)
            rows.append((region_id(path), "/".join(path), len(path), a.agency_id))
    return pd.DataFrame(rows, columns=["region_id", "path", "depth", "agency_id"])


def _archive(con: duckdb.DuckDBPyConnection, folder: Path) -> set[str]:
    """Each report's archived bytes as archive/REPORT_ID.EXT: hard links where the file system allows."""
    folder.mkdir()
    kept = set()
    for report_id, raw_path in con.execute("SELECT report_id, raw_path FROM reports WHERE raw_path IS NOT NULL").fetchall():
        source = Path(raw_path)
        if not source.is_file():
            continue
        target = folder / f"{report_id}{source.suffix}"
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        kept.add(report_id)
    return kept


def _write_bodies(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """data/body/BUCKET.json: {agency_id: the body, its metric series, reports, scorecards and titles}."""
    rows = con.execute("""
        WITH series AS (
            -- [year, value]: the page derives prior, change and pct_change as yoy_metrics does
            SELECT agency_id, metric, to_json(list(json_array(year, value) ORDER BY year)) AS s
            FROM yoy_metrics GROUP BY ALL),
        m AS (SELECT agency_id, json_group_object(metric, s) AS metrics FROM series GROUP BY agency_id),
        r AS (SELECT r.agency_id, to_json(list(json_object(
                  'year', r.year, 'report_id', r.report_id, 'title', coalesce(r.title, r.agency_name),
                  'template', r.template, 'status', r.status, 'format', r.format, 'source_uri', r.source_uri,
                  'current', r.superseded_by IS NULL,
                  'archive', CASE WHEN x.report_id IS NOT NULL THEN 'archive/' || r.report_id
                                  || regexp_extract(r.raw_path, '(\\.[A-Za-z0-9]+)$', 1) END,
                  'published_at', d.published_at::VARCHAR) ORDER BY r.year DESC, r.superseded_by NULLS FIRST)) AS reports
              FROM reports r LEFT JOIN site_archived x USING (report_id)
              LEFT JOIN (SELECT sha256, min(published_at) AS published_at FROM raw_documents GROUP BY sha256) d
                ON d.sha256 = r.report_id
              GROUP BY r.agency_id),
        c AS (SELECT agency_id, to_json(list(json_object('year', year, 'score', score, 'band', band,
                  'weakest', weakest, 'timeliness', timeliness, 'completeness', completeness,
                  'consistency', consistency, 'continuity', continuity, 'originality', originality,
                  'narrative', narrative, 'evidence', evidence::JSON) ORDER BY year)) AS cards
              FROM scorecards GROUP BY agency_id),
        n AS (SELECT agency_id, to_json(list(json_object('title', title, 'first_year', first_year,
                  'last_year', last_year) ORDER BY first_year)) AS titles FROM agency_names GROUP BY agency_id),
        g AS (SELECT agency_id, to_json(list(json_array(region_id, path) ORDER BY depth)) AS regions
              FROM site_members GROUP BY agency_id)
        SELECT b.bucket, a.agency_id, json_object(
            'id', a.agency_id, 'name', a.name, 'province', a.province, 'city', a.city, 'county', a.county,
            'level', a.level, 'adcode', a.adcode, 'parent', CASE WHEN p.agency_id IS NOT NULL THEN
                json_object('id', p.agency_id, 'name', p.name) END,
            'metrics', coalesce(m.metrics, '{}'::JSON), 'reports', coalesce(r.reports, '[]'::JSON),
            'scorecards', coalesce(c.cards, '[]'::JSON), 'titles', coalesce(n.titles, '[]'::JSON),
            'regions', coalesce(g.regions, '[]'::JSON))::VARCHAR AS body
        FROM agencies a JOIN site_buckets b USING (agency_id) LEFT JOIN agencies p ON p.agency_id = a.parent_id
        LEFT JOIN m USING (agency_id) LEFT JOIN r USING (agency_id) LEFT JOIN c USING (agency_id)
        LEFT JOIN n USING (agency_id) LEFT JOIN g USING (agency_id)
        ORDER BY b.bucket, a.agency_id""").fetchall()
    by_bucket: dict[int, list[str]] = {}
    for bucket, agency_id, body in rows:
        by_bucket.setdefault(bucket, []).append(f"{json.dumps(agency_id)}:{body}")
    for bucket, bodies in by_bucket.items():
        (folder / f"{bucket}.json").write_text("{" + ",".join(bodies) + "}", encoding="utf-8")


def _write_index(con: duckdb.DuckDBPyConnection, agencies: pd.DataFrame, members: pd.DataFrame, data: Path) -> None:
    """data/index.json: every body as [id, name, region, level, pinyin keys, years with a report], and
    every region as [id, path, bodies, pinyin keys], for the search page."""
    years = dict(con.execute("""SELECT agency_id, string_agg(year::VARCHAR, ',' ORDER BY year)
                                FROM current_reports GROUP BY agency_id""").fetchall())
    bodies = []
    for a in agencies.itertuples():
        region = "/".join(x for x in (a.province, a.city, a.county) if isinstance(x, str) and x)
        bodies.append([a.agency_id, a.name, region, a.level, search_keys(f"{region}{a.name}"), years.get(a.agency_id, "")])
    regions = members.groupby(["region_id", "path"]).size().reset_index(name="bodies").sort_values("path")
    regions["keys"] = [search_keys(path.replace("/", "")) for path in regions["path"]]
    _write(data / "index.json", {"bodies": bodies, "regions": regions.values.tolist()})


def _write_regions(con: duckdb.DuckDBPyConnection, members: pd.DataFrame, folder: Path) -> int:
    """data/region/ID.json: a region's bodies (by name), its sub-regions, the registry's coverage of it and,
    for a small region, every body's values ({metric: [[body index, year, value], ...]}); a large region
    keeps each metric in data/region/ID/METRIC.json."""
    ranked = con.execute("""
        SELECT m.region_id, m.path, m.depth, m.agency_id, a.name, a.level,
               row_number() OVER (PARTITION BY m.region_id ORDER BY a.name, m.agency_id) - 1 AS i
        FROM site_members m JOIN agencies a USING (agency_id)""").fetchdf()
    con.register("site_ranked", ranked)
    values = con.execute("""
        SELECT k.region_id, y.metric, to_json(list(json_array(k.i, y.year, y.value) ORDER BY k.i, y.year))::VARCHAR
        FROM site_ranked k JOIN yoy_metrics y USING (agency_id) WHERE y.value IS NOT NULL GROUP BY ALL""").fetchall()
    coverage = con.execute("""
        SELECT region, name, level, list(year ORDER BY year) FILTER (WHERE reports > 0) AS published,
               list(year ORDER BY year) FILTER (WHERE missing) AS missing
        FROM coverage GROUP BY ALL ORDER BY region, name""").fetchall()
    con.unregister("site_ranked")
    per_region: dict[str, dict[str, str]] = {}
    for rid, metric, triples in values:
        per_region.setdefault(rid, {})[metric] = triples
    paths = ranked.drop_duplicates("region_id").set_index("path")["region_id"].to_dict()
    children: dict[str, list[str]] = {}
    for path in sorted(paths):
        if "/" in path:
            children.setdefault(path.rsplit("/", 1)[0], []).append(path)
    covered: dict[str, list[dict[str, object]]] = {}  # each registered body under its region and every region above
    for where, name, level, published, missing in coverage:
        parts = (where or "").split("/")
        for k in range(1, len(parts) + 1):
            covered.setdefault("/".join(parts[:k]), []).append(
                {"name": name, "level": level, "region": where, "published": published or [], "missing": missing or []})
    limit = SETTINGS["embed_region_values_up_to"]
    count = 0
    for (rid, path), group in ranked.sort_values("i").groupby(["region_id", "path"], sort=False):
        parts = path.split("/")
        region = {
            "id": rid, "path": path, "name": parts[-1],
            "parents": [[paths["/".join(parts[:k])], parts[k - 1]] for k in range(1, len(parts)) if "/".join(parts[:k]) in paths],
            "children": [[paths[c], c.rsplit("/", 1)[-1]] for c in children.get(path, [])],
            "bodies": group[["agency_id", "name", "level"]].values.tolist(),
            "coverage": covered.get(path, []),
        }
        metrics = per_region.get(rid, {})
        body = json.dumps(region, ensure_ascii=False, separators=(",", ":"))
        if len(group) <= limit:
            body = body[:-1] + ',"values":{' + ",".join(f'"{m}":{v}' for m, v in metrics.items()) + "}}"
        else:
            (folder / rid).mkdir()
            for metric, triples in metrics.items():
                (folder / rid / f"{metric}.json").write_text(triples, encoding="utf-8")
            body = body[:-1] + ',"split":true}'
        (folder / f"{rid}.json").write_text(body, encoding="utf-8")
        count += 1
    return count
