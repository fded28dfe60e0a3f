"""Reports of 2008–2018: headline figures from their statistics tables and prose (`legacy_indicators`), on the
real legacy reports of the corpus with hand-checked figures, and on generated ones in every layout; then
`gongkai run` over 2011–2025 joining a body's series across the 2018→2019 boundary."""

from __future__ import annotations

import contextlib
import io
import json
import random
import re
from pathlib import Path

import duckdb
import pytest
from site_server import Site

from assets.instance import instance_at
from gongkai.cli import main
from pipeline.batch.report import process_report
from pipeline.parse.legacy import LOADED, read_legacy
from pipeline.synth.generate import Body, make_report, render_html, title
from pipeline.synth.legacy import LAYOUTS, LEGACY_RENDERERS, make_legacy_report

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "legacy"
EXPECTED = sorted((CORPUS / "expected").glob("*.json"))


def _expected(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name.split("_legacy")[0])
def test_every_hand_checked_figure_of_a_legacy_report_loads_and_nothing_else(path):
    """Through the whole report path (detect, extract, describe, read): every indicator with its value and
    scope, and not one figure the report does not state."""
    expected = _expected(path)
    result = process_report((CORPUS / "raw" / expected["file"]).read_bytes(), expected["file"])
    assert result.meta.template == "legacy" and result.meta.year == expected["year"]
    loaded = {(r[0], r[1]): r[-1] for r in result.fact_rows["legacy_indicators"]}
    assert loaded == {(i["indicator"], i["scope"]): float(i["value"]) for i in expected["indicators"]}
    assert all(r[3] in ("table", "prose") and r[4] for r in result.fact_rows["legacy_indicators"])  # source, evidence
    assert result.status == "partial"  # the template's tables are not there; the figures are


@pytest.mark.parametrize("name, table, prose", [("caizhengjinrongju_2013", 32, 26), ("jingjifazhanju_2011", 90, 97)])
def test_a_real_report_whose_table_and_prose_differ_loads_the_table_and_records_both(name, table, prose):
    raw = next((CORPUS / "raw").glob(f"*{name}*"))
    result = process_report(raw.read_bytes(), raw.name)
    loaded = {(r[0], r[1]): (r[-1], r[3]) for r in result.fact_rows["legacy_indicators"]}
    assert loaded[("proactive_items", "year")] == (table, "table")
    (issue,) = [i for i in result.issues if i.rule == "legacy_table_prose_differ"]
    assert re.search(rf"table says {table}\b.*prose {prose}\b", issue.detail)


def test_cells_run_together_are_split_only_where_one_split_fits():
    """社会事业局 2018: 主动公开文件数条290872 splits 290|872 by the prose; its 网站 row, 2908722. (the next row's
    ordinal stuck on), by being no more than its parent's; 11 is 1|1."""
    raw = next((CORPUS / "raw").glob("*shehuishiyeju_2018*"))
    reading = read_legacy(raw.read_text(encoding="utf-8"))
    got = {(f.indicator, f.scope): f.value for f in reading.figures}
    assert (got[("proactive_items", "year")], got[("proactive_items", "cumulative")]) == (290, 872)
    assert (got[("proactive_web", "year")], got[("proactive_web", "cumulative")]) == (290, 872)
    assert (got[("requests_received", "year")], got[("requests_received", "cumulative")]) == (1, 1)
    # the same digits with nothing to tell the split are declined, not guessed
    alone = read_legacy("统计表 指标名称 计量单位 2018年度 历年累计 主动公开文件数条290872受理政府信息公开申请总数条11")
    assert ("proactive_items", "year") not in {(f.indicator, f.scope) for f in alone.figures}
    assert any(i.rule == "legacy_cells_ambiguous" and "290872" in i.detail for i in alone.issues)


@pytest.mark.parametrize("layout, fmt", [(layout, fmt) for layout in LAYOUTS for fmt in sorted(LEGACY_RENDERERS)
                                         if layout != "run_together" or fmt == "txt"])  # run together: a text dump
def test_generated_legacy_reports_load_their_figures_in_every_layout(layout, fmt):
    body = Body("合成县交通运输局", "福建省", "福州市", "闽侯县")
    for seed in range(8):
        report = make_legacy_report(body, 2010 + seed, random.Random(seed), layout)
        data = LEGACY_RENDERERS[fmt](report, seed)
        result = process_report(data, f"r{seed}.{fmt}")
        assert result.meta.year == report.year and result.meta.template == "legacy"
        loaded = {(r[0], r[1]): r[-1] for r in result.fact_rows["legacy_indicators"]}
        assert loaded == {k: float(v) for k, v in report.expected.items()}, (seed, layout, fmt)
        sources = {r[3] for r in result.fact_rows["legacy_indicators"]}
        assert sources == ({"prose"} if layout == "prose_only" else {"table"})  # the table has all the prose states
        differ = [i for i in result.issues if i.rule == "legacy_table_prose_differ"]
        if layout == "disagree":  # the table's figure, and both in report_issues
            assert {d.detail.split(" ")[0] for d in differ} == {"proactive_items", "requests_received"}
            for d in differ:
                code = d.detail.split(" ")[0]
                assert f"table says {report.figures[(code, 'year')]} " in d.detail
                assert f"prose {report.prose[(code, 'year')]} " in d.detail
        else:
            assert differ == []


NATIONAL_TABLE = """某市交通运输局2017年政府信息公开工作年度报告
一、概况 2017年共主动公开政府信息356条，接待咨询120人次。
附件：政府信息公开情况统计表（2017年度）
统计指标 单位 统计数
一、主动公开情况 — —
（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条） 条 356
其中：主动公开规范性文件数 条 12
制发规范性文件总数 件 14
（二）通过不同渠道和方式公开政府信息的情况 — —
1.政府公报公开政府信息数 条 3
2.政府网站公开政府信息数 条 350
3.政务微博公开政府信息数 条 100
二、回应解读情况 — —
1.参加或举办新闻发布会总次数 次 3
三、依申请公开情况 — —
（一）收到申请数 件 12
1.当面申请数 件 2
2.传真申请数 件 0
3.网络申请数 件 8
4.信函申请数 件 2
（二）申请办结数 件 11
（三）申请答复数 件 12
1.属于已主动公开范围数 件 3
2.同意公开答复数 件 5
3.同意部分公开答复数 件 1
4.不同意公开答复数 件 1
其中：涉及国家秘密 件 0
5.不属于本行政机关公开数 件 1
四、行政复议数量 件 1
（一）维持具体行政行为数 件 1
五、行政诉讼数量 件 0
六、举报投诉数量 件 2
七、依申请公开信息收取的费用 万元 0.01
八、机构建设和保障经费情况 — —
（三）从事政府信息公开工作人员数 人 3
"""


def test_the_2017_national_statistics_table_layout():
    """The longer table many bodies used for 2016–2018 (统计指标 / 单位 / 统计数): its rows under their own
    names, the rows that are not headline figures ignored, fees in 万元 as 元."""
    got = {(f.indicator, f.scope): f.value for f in read_legacy(NATIONAL_TABLE).figures}
    assert got == {("proactive_items", "year"): 356, ("proactive_web", "year"): 350, ("proactive_gazette", "year"): 3,
                   ("requests_received", "year"): 12, ("requests_in_person", "year"): 2,
                   ("requests_other_channel", "year"): 0, ("requests_online", "year"): 8,
                   ("requests_letter", "year"): 2, ("responses_total", "year"): 12, ("granted", "year"): 5,
                   ("partially_granted", "year"): 1, ("withheld", "year"): 1, ("review_total", "year"): 1,
                   ("litigation_total", "year"): 0, ("complaints", "year"): 2, ("fees_yuan", "year"): 100}


@pytest.mark.parametrize("sentence, wanted", [
    ("我局依申请公开政府信息7条。", {}),  # disclosed on application: not 'received'
    ("本年度没有发生因政府信息公开申请行政复议和行政诉讼的情况。", {"review_total": 0, "litigation_total": 0}),
    ("本年度办理行政复议案件56件，均依法审结。", {}),  # the body's caseload, not disclosure's
    ("截至目前，共主动公开政府信息1200条。", {}),  # since when? no year's figure
    ("全年共受理政府信息公开申请3件，其中当面申请1件、网上申请2件。",
     {"requests_received": 3, "requests_in_person": 1, "requests_online": 2}),
    ("未收到行政复议申请；发生1件针对本局政府信息公开事务的行政诉讼案。", {"review_total": 0, "litigation_total": 1}),
    ("接待群众咨询35人次，发布新闻稿12篇，无收费及减免情况。", {"fees_yuan": 0}),
    ("受理政府信息公开申请共计5件，同意公开的有3件，不予公开的有2件。",
     {"requests_received": 5, "granted": 3, "withheld": 2}),
    ("共收到依申请公开信息十二件，同意公开两件。本年度未发生一起因政府信息公开引起的行政复议案件。",
     {"requests_received": 12, "granted": 2, "review_total": 0}),  # counts in words; 未发生一起 is none
])
def test_prose_gives_only_what_a_sentence_states(sentence, wanted):
    got = {f.indicator: f.value for f in read_legacy(f"某局2014年政府信息公开工作年度报告 {sentence}").figures}
    assert got == wanted


# --- 2011–2025 in one run, over a site on 127.0.0.1 -----------------------------------------------------
BODIES = {  # source id -> (the body, its corpus legacy reports)
    "pingtan-jiaotong": (Body("平潭综合实验区交通与建设局", "福建省", None, "平潭综合实验区"), ("jiaotongju_2017", "jiaotongju_2018")),
    "pingtan-jingji": (Body("平潭综合实验区经济发展局", "福建省", None, "平潭综合实验区"), ("jingjifazhanju_2011", "jingjifazhanju_2016")),
}


def _site(root: Path) -> None:
    rng = random.Random(5)
    for source, (body, legacy) in BODIES.items():
        folder = root / source
        folder.mkdir(parents=True)
        entries = []
        for name in legacy:  # the corpus's reports as published: text dumps, each under its own title
            raw = next((CORPUS / "raw").glob(f"*{name}*"))
            (folder / raw.name).write_bytes(raw.read_bytes())
            heading = raw.read_text(encoding="utf-8").splitlines()[0].split(":", 1)[1].strip()
            entries.append((heading, raw.name, f"{int(name[-4:]) + 1}-01-20"))
        for year in range(2019, 2026):  # and the same body's later reports (generated)
            report = make_report(body, year, rng)
            (folder / f"r{year}.html").write_bytes(render_html(report))
            entries.append((title(report), f"r{year}.html", f"{year + 1}-01-20"))
        items = "".join(f"<li><a href='{href}'>{text}</a><span>{date}</span></li>" for text, href, date in entries[::-1])
        (folder / "index.html").write_text(f"<html><head><meta charset='utf-8'><title>政府信息公开年报</title></head>"
                                           f"<body><ul>{items}</ul></body></html>", encoding="utf-8")


def test_a_run_over_2011_to_2025_joins_the_series_across_2018_to_2019(tmp_path, capsys):
    _site(tmp_path / "site")
    root = tmp_path / "data"
    with Site(tmp_path / "site") as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text("settings:\n  delay_seconds: 0\nsources:\n" + "".join(
            f"  - id: {sid}\n    name: {body.name}\n    region: [福建省, 平潭综合实验区]\n    level: department\n"
            f"    listing_urls: [{site.base}/{sid}/index.html]\n" for sid, (body, _) in BODIES.items()), encoding="utf-8")
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["run", "--years", "2011:2025", "--sources", str(sources), "--data-dir", str(root)]) == 0
    with duckdb.connect(str(root / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
        agency = con.execute("SELECT agency_id FROM agencies WHERE name = '平潭综合实验区交通与建设局'").fetchone()[0]
        series = con.execute("""SELECT year, value, prior_value FROM yoy_metrics WHERE agency_id = ?
                                AND metric = 'requests_received' ORDER BY year""", [agency]).fetchall()
        legacy = con.execute("SELECT count(*), count(DISTINCT report_id) FROM legacy_indicators").fetchone()
        boundary = con.execute("SELECT boundary FROM metric_definitions WHERE metric = 'requests_received'").fetchone()[0]
        other = con.execute("""SELECT list(year ORDER BY year) FROM yoy_metrics y JOIN agencies a USING (agency_id)
                               WHERE a.name = '平潭综合实验区经济发展局' AND metric = 'requests_received'""").fetchone()[0]
        years = con.execute("SELECT count(DISTINCT year) FROM reports").fetchone()[0]
    assert [y for y, _, _ in series] == [2017, *range(2018, 2026)]  # from its first report to 2025
    by_year = {y: (v, p) for y, v, p in series}
    assert by_year[2017][0] == 4 and by_year[2018] == (1, 4)  # the corpus's figures (prose 2017, table 2018)
    assert by_year[2019][1] == 1  # 2019's prior value is 2018's legacy figure: the series joins
    assert other == [2011, 2016, *range(2019, 2026)]
    assert legacy == (8 + 32 + 7 + 32, 4) and years == 11
    with instance_at(root) as instance:  # 2011–2025 is one Dagster run
        assert [r.job_name for r in instance.get_runs()] == ["ingest_years"]
    assert boundary.startswith("joins")
    capsys.readouterr()
    assert main(["compare", agency, "--years", "2011:2025", "--data-dir", str(root), "--chart", str(tmp_path / "c.html")]) == 0
    out = capsys.readouterr().out
    assert "‖2019" in out and "2018→2019 (free form (2008–2018) → the 2019 template)" in out
    assert "class='boundary' data-year='2019'" in (tmp_path / "c.html").read_text(encoding="utf-8")


def test_every_loaded_code_is_one_schema_md_defines():
    schema = (Path(__file__).resolve().parents[2] / "shared" / "SCHEMA.md").read_text(encoding="utf-8")
    section = schema.split("## Legacy years")[1].split("## Year over year")[0]
    assert set(LOADED) == set(re.findall(r"`([a-z_]+)`", section)) - {"legacy_indicators", "year", "cumulative",
                                                                       "table", "prose", "report_issues"}


def test_prose_after_the_table_is_read_and_the_table_is_no_prose():
    text = ("某局2014年政府信息公开工作年度报告 附表：指标名称 计量单位 本年度 历年累计 主动公开信息数 条 12 40 "
            "受理政府信息公开申请总数 件 0 3 四、收费及减免情况 本年度无政府信息公开收费及减免情况。")
    reading = read_legacy(text)
    assert {(f.indicator, f.scope): (f.value, f.source) for f in reading.figures} == {
        ("proactive_items", "year"): (12, "table"), ("proactive_items", "cumulative"): (40, "table"),
        ("requests_received", "year"): (0, "table"), ("requests_received", "cumulative"): (3, "table"),
        ("fees_yuan", "year"): (0, "prose")}


def test_a_table_headed_by_its_items_is_read_as_well():
    reading = read_legacy("某局2014年政府信息公开工作年度报告 统计项目 单位 本年度 累计 主动公开信息数 条 5 9")
    assert {(f.indicator, f.scope): f.value for f in reading.figures} == {("proactive_items", "year"): 5,
                                                                         ("proactive_items", "cumulative"): 9}


def test_a_table_with_last_years_column_reads_this_years_and_one_with_two_years_reads_neither():
    three = read_legacy("某局2014年政府信息公开工作年度报告 指标名称 计量单位 本年度 上年度 历年累计 "
                        "主动公开信息数 条 5 3 9 受理政府信息公开申请总数 件 2 1 4")
    assert {(f.indicator, f.scope): f.value for f in three.figures} == {
        ("proactive_items", "year"): 5, ("proactive_items", "cumulative"): 9,
        ("requests_received", "year"): 2, ("requests_received", "cumulative"): 4}
    two_years = read_legacy("某局2018年政府信息公开工作年度报告 指标名称 单位 2017年 2018年 主动公开信息数 条 5 3")
    assert two_years.figures == [] and [i.rule for i in two_years.issues] == ["legacy_columns_unclear"]
