"""Year-over-year metrics, the analyst's guide, compare, charts and exports on a warehouse built from the corpus."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import CORPUS

from gongkai.cli import main
from pipeline.load import warehouse
from pipeline.load.metrics import METRICS, catalogue_markdown
from pipeline.synth.generate import RENDERERS, Body, make_report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus_warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "data"
    assert main(["ingest", str(CORPUS / "raw"), str(CORPUS / "pingtan_site"), "--data-dir", str(root)]) == 0
    return root


def _con(root: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True)


def _expected_metrics(year: int) -> dict[str, float | None]:
    facts = json.loads((CORPUS / "expected" / f"fujian_pingtan_{year}.txt.json").read_text(encoding="utf-8"))["facts"]

    def one(table: str, **dims: str) -> float:
        (value,) = [f["value"] for f in facts if f["table"] == table and all(f.get(k) == v for k, v in dims.items())]
        return value

    handled = one("outcomes", applicant="total", outcome="total")
    return {"requests_received": one("applications", applicant="total", stage="received"),
            "requests_handled": handled,
            "granted_share": one("outcomes", applicant="total", outcome="granted") / handled if handled else None,
            "review_total": one("appeals", proceeding="review", result="total")}


def test_pingtan_yoy_follows_from_the_hand_checked_numbers(corpus_warehouse):
    with _con(corpus_warehouse) as con:
        got = con.execute("""SELECT y.year, y.metric, y.value, y.prior_value FROM yoy_metrics y JOIN agencies a
                             USING (agency_id) WHERE a.canonical_name = '平潭综合实验区'""").fetchdf()
        ids = con.execute("SELECT count(*) FROM agencies WHERE canonical_name = '平潭综合实验区'").fetchone()[0]
    assert ids == 1  # the text dumps (no province printed) and the pages are one body
    for year in range(2019, 2026):
        expected, prior = _expected_metrics(year), _expected_metrics(year - 1) if year > 2019 else None
        for metric, value in expected.items():
            row = got[(got["year"] == year) & (got["metric"] == metric)].iloc[0]
            assert row["value"] == pytest.approx(value), (year, metric)
            if prior is None:
                assert pd.isna(row["prior_value"])
            else:
                assert row["prior_value"] == pytest.approx(prior[metric]), (year, metric)


def test_fee_amounts_are_compared_only_within_the_2021_template(corpus_warehouse):
    with _con(corpus_warehouse) as con:
        fees = con.execute("""SELECT y.year, y.value, y.prior_value FROM yoy_metrics y JOIN agencies a USING (agency_id)
                              WHERE a.canonical_name = '平潭综合实验区' AND metric = 'fees_wan_yuan' ORDER BY year""").fetchall()
    assert [y for y, *_ in fees] == [2021, 2022, 2023, 2024, 2025]  # 2019-2020 count fee items, not amounts
    assert fees[0][2] is None or pd.isna(fees[0][2])  # 2021 is not compared with 2020
    assert fees[1][1:] == pytest.approx((9116.36, 24252.311082))


def _guide_queries() -> list[str]:
    text = (ROOT / "docs" / "analyst-guide.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def test_every_query_of_the_analyst_guide_runs(corpus_warehouse):
    queries = _guide_queries()
    assert len(queries) >= 10
    with _con(corpus_warehouse) as con:
        results = [con.execute(q).fetchdf() for q in queries]
    assert sum(1 for r in results if len(r)) >= 10  # they answer something on the corpus


def test_every_query_of_the_analyst_guide_answers_on_the_bundled_sample(tmp_path, capsys):
    """The README's first command, then each query of the guide as an analyst would paste it."""
    root = tmp_path / "data"
    assert main(["run", "--data-dir", str(root)]) == 0
    with _con(root) as con:
        empty = [n for n, q in enumerate(_guide_queries(), 1) if not con.execute(q).fetchall()]
        # two bodies share the short name 宝山区人民政府: every listing of bodies says where each is
        fees = con.execute(_guide_queries()[8]).fetchdf()
    assert empty == []
    assert set(fees[fees["name"] == "宝山区人民政府"]["province"]) == {"上海市", "黑龙江省"}
    capsys.readouterr()
    query = tmp_path / "q.sql"
    query.write_text(_guide_queries()[5], encoding="utf-8")
    assert main(["sql", "--file", str(query), "--data-dir", str(root), "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("outcome,value\ntotal,")


def test_metrics_doc_is_the_catalogue():
    doc = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert doc == catalogue_markdown()
    assert all(f"`{m.code}`" in doc for m in METRICS)


def test_compare_prints_the_table_and_draws_readable_charts(corpus_warehouse, tmp_path, capsys):
    png, page = tmp_path / "pt.png", tmp_path / "pt.html"
    assert main(["compare", "平潭综合实验区", "--data-dir", str(corpus_warehouse), "--chart", str(png)]) == 0
    out = capsys.readouterr().out
    assert "requests_received" in out and "2019" in out and "2025" in out and "Δ 2025" in out
    assert "154" in out and "218" in out  # 2025 and 2024 requests received
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert main(["compare", "平潭综合实验区", "--data-dir", str(corpus_warehouse), "--chart", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.count("<polyline") >= 4 and "本年新收申请数" in html


def test_compare_refuses_a_short_name_shared_by_two_regions(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    for i, body in enumerate((Body("宝山区人民政府", "上海市", None, "宝山区"),
                              Body("宝山区人民政府", "黑龙江省", "双鸭山市", "宝山区"))):
        (src / f"{i}.html").write_bytes(RENDERERS["html"](make_report(body, 2022, random.Random(i))))
    root = tmp_path / "data"
    main(["ingest", str(src), "--data-dir", str(root)])
    capsys.readouterr()
    assert main(["compare", "宝山区", "--data-dir", str(root)]) == 2
    err = capsys.readouterr().err
    assert "matches 2 bodies" in err and "上海市" in err and "黑龙江省" in err
    assert main(["compare", "上海市宝山区", "--data-dir", str(root)]) == 0


def test_cross_year_checks(tmp_path):
    rng = random.Random(8)
    body = Body("洪泽区人民政府", "江苏省", "淮安市", "洪泽区")
    first = make_report(body, 2021, rng)
    chained = make_report(body, 2022, rng, carried_over=first.values["applications:carried_forward"])
    broken = make_report(body, 2023, rng, carried_over=tuple(v + 2 for v in chained.values["applications:carried_forward"][:6]))
    src = tmp_path / "src"
    src.mkdir()
    for r in (first, chained, broken):
        (src / f"{r.year}.html").write_bytes(RENDERERS["html"](r))
    copy = make_report(body, 2024, random.Random(0))
    copy.values = dict(broken.values)
    copy.year = 2024
    (src / "2024.html").write_bytes(RENDERERS["html"](copy).replace(b"2023", b"2024"))
    root = tmp_path / "data"
    main(["ingest", str(src), "--data-dir", str(root)])
    with _con(root) as con:
        issues = con.execute("""SELECT r.year, i.rule FROM report_issues i JOIN reports r USING (report_id)
                                WHERE i.rule LIKE 'cross_year%' ORDER BY 1, 2""").fetchall()
    assert (2023, "cross_year_carry_over") in issues
    assert (2022, "cross_year_carry_over") not in issues
    assert (2024, "cross_year_copied") in issues


def test_export_every_table(corpus_warehouse, tmp_path):
    assert main(["export", str(tmp_path / "pq"), "--data-dir", str(corpus_warehouse)]) == 0
    assert main(["export", str(tmp_path / "csv"), "--format", "csv", "--data-dir", str(corpus_warehouse)]) == 0
    with _con(corpus_warehouse) as con:
        for table in ("reports", "outcomes", "yoy_metrics", "coverage"):
            n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert len(pd.read_parquet(tmp_path / "pq" / f"{table}.parquet")) == n
            assert len(pd.read_csv(tmp_path / "csv" / f"{table}.csv")) == n


def test_timeliness_and_coverage_from_a_crawl(tmp_path):
    from pipeline.synth.generate import write_sample

    registry = write_sample(tmp_path / "sample")
    empty = tmp_path / "sample" / "nobody"
    empty.mkdir()
    (empty / "index.html").write_text("<html><body><a href='x.html'>通知</a></body></html>", encoding="utf-8")
    with registry.open("a", encoding="utf-8") as f:
        f.write("  - id: nobody\n    name: 某某县人民政府\n    region: [江苏省, 淮安市, 某某县]\n    level: county\n"
                "    listing_urls: [file:nobody/index.html]\n")
    root = tmp_path / "data"
    assert main(["run", "--sources", str(registry), "--years", "2019:2025", "--data-dir", str(root)]) == 0
    with _con(root) as con:
        missing = con.execute("SELECT DISTINCT source_id, year FROM coverage WHERE missing "
                              "AND source_id <> 'nobody'").fetchall()
        nobody = con.execute("SELECT count(*), count(*) FILTER (WHERE missing) FROM coverage "
                             "WHERE source_id = 'nobody'").fetchone()
        late = con.execute("""SELECT y.year FROM yoy_metrics y JOIN agencies a USING (agency_id)
                              WHERE metric = 'published_late' AND value = 1 AND a.province = '江苏省'
                              ORDER BY 1""").fetchall()
    assert nobody == (7, 7)  # a body that published nothing is missing every year
    assert missing == [("jiangsu-huaian-hongze", 2020)]  # the sample's broken-off upload is no report
    # the sample publishes every third year's report in March: on time for a county government (due 31 March)
    assert late == []


def test_parent_body_from_the_registry(tmp_path):
    site = tmp_path / "site"
    rng = random.Random(5)
    bodies = {"huaian": Body("淮安市人民政府", "江苏省", "淮安市", None),
              "hongze": Body("洪泽区人民政府", "江苏省", "淮安市", "洪泽区")}
    for sid, body in bodies.items():
        (site / sid).mkdir(parents=True)
        (site / sid / "r.html").write_bytes(RENDERERS["html"](make_report(body, 2023, rng)))
        (site / sid / "index.html").write_text(f"<a href='r.html'>{body.name}2023年政府信息公开工作年度报告</a>",
                                               encoding="utf-8")
    registry = tmp_path / "sources.yaml"
    registry.write_text("settings: {delay_seconds: 0}\nsources:\n"
                        "  - {id: huaian, name: 淮安市人民政府, region: [江苏省, 淮安市], level: city,"
                        " listing_urls: ['file:site/huaian/index.html']}\n"
                        "  - {id: hongze, name: 洪泽区人民政府, region: [江苏省, 淮安市, 洪泽区], level: county,"
                        " parent: huaian, listing_urls: ['file:site/hongze/index.html']}\n", encoding="utf-8")
    root = tmp_path / "data"
    assert main(["run", "--sources", str(registry), "--years", "2023", "--data-dir", str(root)]) == 0
    with _con(root) as con:
        rows = dict(con.execute("SELECT a.name, p.name FROM agencies a LEFT JOIN agencies p ON p.agency_id = a.parent_id"
                                ).fetchall())
    # the registry's parent agrees with the division tree, which goes on up to the province
    assert rows == {"洪泽区人民政府": "淮安市人民政府", "淮安市人民政府": "江苏省人民政府", "江苏省人民政府": None}
