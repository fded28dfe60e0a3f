"""Timeliness by the law: deadlines by level and report year, and the publication date read from where
bodies print it (a labelled field), never from a page header's clock."""

from __future__ import annotations

import random

import duckdb
import pytest

from gongkai.cli import main
from pipeline.crawl import discover
from pipeline.load import warehouse
from pipeline.load.deadlines import due_date_sql
from pipeline.synth.generate import Body, make_report, render_html


@pytest.mark.parametrize(("level", "year", "due"), [
    ("county", 2024, "2025-03-31"), ("city", 2024, "2025-03-31"), ("province", 2021, "2022-03-31"),
    ("department", 2024, "2025-01-31"),  # 2019 条例 第四十九条
    ("department", 2017, "2018-03-31"), ("county", 2017, "2018-03-31"),  # 2007 条例 第三十一条: every body
    ("department", 2018, "2019-03-31"),  # reports of 2018 were due under the 2007 条例
    (None, 2024, None),  # the level unknown: no deadline is guessed
])
def test_the_deadline_of_each_level_and_year(level, year, due):
    with duckdb.connect() as con:
        got = con.execute(f"SELECT CAST({due_date_sql('y', 'l')} AS VARCHAR) FROM (SELECT ?::INTEGER AS y, ?::VARCHAR AS l)",
                          [year, level]).fetchone()[0]
    assert got == due


HEADER_CLOCK = "<div class='top'>2025年12月30日 星期二 欢迎访问</div>"
SAVED = "<p>采集时间：2025-12-30 10:31</p>"


@pytest.mark.parametrize(("fields", "date", "source"), [
    ("<table><tr><td>公开日期</td><td><publishtime>2024-01-17</publishtime></td></tr>"
     "<tr><td>成文日期</td><td>2024-01-10</td></tr></table>", "2024-01-17", "publishtime"),
    ("<table><tr><td>成文日期：</td><td>2024-01-10</td></tr><tr><td>公开日期：</td><td>2024-01-17</td></tr></table>",
     "2024-01-17", "label:公开日期"),
    ("<p>发文日期：2024-01-09</p><p>发布时间：2024年1月17日</p>", "2024-01-17", "label:发布时间"),
    ("<meta name='PubDate' content='2024-01-17 09:00'>", "2024-01-17", "meta:PubDate"),
    ("<p>成文日期：2024-01-10</p>", None, None),  # written, not published: the listing's date stands
    ("", None, None),  # only the site's clock and the saved copy's date: no publication date
])
def test_the_publication_date_is_a_labelled_field_not_the_header_clock(fields, date, source):
    page = f"<html><head>{fields if fields.startswith('<meta') else ''}</head><body>{HEADER_CLOCK}" \
           f"<h1>洪泽区人民政府2023年政府信息公开工作年度报告</h1>{'' if fields.startswith('<meta') else fields}" \
           f"<p>正文</p>{SAVED}</body></html>"
    got = discover.article(discover.parse_html(page.encode("utf-8"), "text/html; charset=utf-8"), "http://x/a.html")
    assert (got.published_at, got.published_at_source) == (date, source)


def test_a_government_published_on_18_february_is_on_time_and_its_department_late(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    rng = random.Random(3)
    gov = Body("洪泽区人民政府", "江苏省", "淮安市", "洪泽区")
    dept = Body("淮安市洪泽区发展和改革委员会", "江苏省", "淮安市", "洪泽区")
    for name, body, listed, printed in (("gov", gov, "2025-02-18", "<p>公开日期：2025-02-18</p>"),
                                        ("dept", dept, "2025-01-20", "<publishtime>2025-02-18</publishtime>")):
        html = render_html(make_report(body, 2024, rng)).decode("utf-8")
        html = html.replace("<body>", f"<body>{HEADER_CLOCK}{printed}", 1).replace("</body>", f"{SAVED}</body>", 1)
        (site / name).mkdir()
        (site / name / "r2024.html").write_text(html, encoding="utf-8")
        (site / name / "index.html").write_text(
            f"<html><body><ul><li><a href='r2024.html'>{body.name}2024年政府信息公开工作年度报告</a>"
            f"<span>{listed}</span></li></ul></body></html>", encoding="utf-8")
    registry = tmp_path / "sources.yaml"
    registry.write_text("settings: {delay_seconds: 0}\nsources:\n"
                        "  - id: hz\n    name: 洪泽区人民政府\n    region: [江苏省, 淮安市, 洪泽区]\n    level: county\n"
                        "    listing_urls: [file:site/gov/index.html]\n"
                        "  - id: hz-fgw\n    name: 淮安市洪泽区发展和改革委员会\n    region: [江苏省, 淮安市, 洪泽区]\n"
                        "    level: department\n    listing_urls: [file:site/dept/index.html]\n", encoding="utf-8")
    root = tmp_path / "data"
    assert main(["run", "--sources", str(registry), "--years", "2024", "--data-dir", str(root)]) == 0
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        got = dict(con.execute("""
            SELECT a.level, list(y.metric || '=' || y.value ORDER BY y.metric) FROM yoy_metrics y
            JOIN agencies a USING (agency_id) WHERE y.metric IN ('published_late', 'days_after_due') GROUP BY 1""").fetchall())
        dates = dict(con.execute("SELECT source_id, published_at_source FROM raw_documents WHERE sha256 IS NOT NULL").fetchall())
        disagree = con.execute("SELECT detail FROM report_issues WHERE rule = 'published_dates_disagree'").fetchall()
    assert got == {"county": ["days_after_due=-41.0", "published_late=0.0"],
                   "department": ["days_after_due=18.0", "published_late=1.0"]}
    assert dates == {"hz": "label:公开日期", "hz-fgw": "publishtime"}  # not the header's 2025-12-30
    assert len(disagree) == 1 and "listing 2025-01-20, page 2025-02-18" in disagree[0][0]


def test_a_departments_2017_report_published_on_20_march_is_on_time(corpus, tmp_path):
    """A real legacy report of a department: the 2007 条例 gave every body until 31 March (the 2019 条例's
    31 January for departments would call it late). Its publication date is the one a crawl records."""
    from pipeline.load import derive

    root = tmp_path / "data"
    assert main(["ingest", str(corpus / "legacy" / "raw" / "fujian_pingtan_jiaotongju_2017_legacy.txt"),
                 "--data-dir", str(root)]) == 0
    with warehouse.build_session(root) as con:
        con.execute("UPDATE raw_documents SET published_at = DATE '2018-03-20', published_at_source = 'listing'")
        derive.refresh(con, force=True)
        got = dict(con.execute("""SELECT y.metric, y.value FROM yoy_metrics y JOIN agencies a USING (agency_id)
                                  WHERE a.level = 'department' AND y.year = 2017""").fetchall())
    assert {k: got[k] for k in ("published_late", "days_after_due")} == {"published_late": 0.0, "days_after_due": -11.0}
    assert got["requests_received"] == 4  # and its headline figures join the series (legacy_indicators)
