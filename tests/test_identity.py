"""One body, one identity: titles that differ only in how much of the region they repeat, 政府 for
人民政府, the office that writes the report, a department's short and long names, a renamed division,
all keep one agency_id; two places that share a short name never do."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest
from conftest import CORPUS

from gongkai.cli import main
from pipeline.load import warehouse
from pipeline.load.identity import identify
from pipeline.parse.describe import Region
from pipeline.synth.generate import Body, make_report, render_text

HONGZE = Region("江苏省", "淮安市", "洪泽区")


@pytest.mark.parametrize("name, region, key", [
    # a county government, however its title reads
    ("洪泽区人民政府", HONGZE, "gov:320813"),
    ("淮安市洪泽区人民政府", HONGZE, "gov:320813"),
    ("江苏省淮安市洪泽区人民政府", Region("江苏省"), "gov:320813"),
    ("洪泽区政府", Region("江苏省", "淮安市"), "gov:320813"),
    ("洪泽区人民政府办公室", HONGZE, "gov:320813"),
    ("淮安市洪泽区政府办公室", Region("江苏省"), "gov:320813"),
    ("洪泽县人民政府", Region("江苏省", "淮安市", "洪泽县"), "gov:320813"),  # renamed in 2016
    # a city and a province
    ("淮安市人民政府", Region("江苏省", "淮安市"), "gov:320800"),
    ("江苏省淮安市政府", Region("江苏省"), "gov:320800"),
    ("江苏省人民政府", Region("江苏省"), "gov:320000"),
    ("江苏省人民政府办公厅", Region("江苏省"), "gov:320000"),
    # municipalities: the city is the province
    ("上海市宝山区人民政府", Region("上海市", None, "宝山区"), "gov:310113"),
    ("宝山区人民政府", Region("上海市", "上海市", "宝山区"), "gov:310113"),
    ("宝山区人民政府", Region("黑龙江省", "双鸭山市", "宝山区"), "gov:230506"),
    # departments: short and long names, with or without the region, the level word of the body's own site
    ("沭阳县发改局", Region("江苏省", "宿迁市", "沭阳县"), "dept:321322:发展和改革局"),
    ("沭阳县发展和改革局", Region("江苏省", "宿迁市"), "dept:321322:发展和改革局"),
    ("宿迁市沭阳县发展改革局", Region("江苏省"), "dept:321322:发展和改革局"),
    ("县发展和改革局", Region("江苏省", "宿迁市", "沭阳县"), "dept:321322:发展和改革局"),
    ("沭阳县人社局", Region("江苏省", "宿迁市", "沭阳县"), "dept:321322:人力资源和社会保障局"),
    ("上海市科委", Region("上海市"), "dept:310000:科学技术委员会"),
    ("上海市科学技术委员会", Region("上海市"), "dept:310000:科学技术委员会"),
    ("武汉市环境保护局", Region("湖北省", "武汉市"), "dept:420100:生态环境局"),  # 2018 reorganisation
    ("武汉市生态环境局", Region("湖北省", "武汉市"), "dept:420100:生态环境局"),
    # townships and zones
    ("高良涧街道办事处", HONGZE, "gov:320813:高良涧街道"),
    ("洪泽区高良涧街道", Region("江苏省", "淮安市"), "gov:320813:高良涧街道"),
    ("平潭综合实验区管委会", Region("福建省", None, "平潭综合实验区"), "gov:350128"),  # a zone: its own place
    ("平潭综合实验区管理委员会", Region("福建省"), "gov:350128"),
    ("福建省平潭综合实验区党工委管委会", Region("福建省"), "gov:350128"),
    ("平潭综合实验区管委会", Region(), "gov:350128"),  # a zone's name places it without a region
])
def test_title_variants_keep_one_key(name, region, key):
    assert identify(name, region).key == key


@pytest.mark.parametrize("a, b", [
    (("宝山区人民政府", Region("上海市", None, "宝山区")), ("宝山区人民政府", Region("黑龙江省", "双鸭山市", "宝山区"))),
    (("淮安市人民政府", Region("江苏省", "淮安市")), ("洪泽区人民政府", HONGZE)),
    (("沭阳县发改局", Region("江苏省", "宿迁市", "沭阳县")), ("沭阳县人民政府", Region("江苏省", "宿迁市", "沭阳县"))),
    (("宿迁市发改委", Region("江苏省", "宿迁市")), ("宿迁市发改局", Region("江苏省", "宿迁市"))),
    (("洪泽区财政局", HONGZE), ("淮安市财政局", Region("江苏省", "淮安市"))),
])
def test_different_bodies_keep_different_keys(a, b):
    assert identify(*a).key != identify(*b).key


def test_a_bare_short_name_is_never_placed():
    body = identify("宝山区人民政府", Region())
    assert body.adcode is None
    assert set(body.ambiguous) == {"上海市宝山区", "黑龙江省双鸭山市宝山区"}


def test_levels_and_parents_follow_the_division_tree():
    county = identify("洪泽区人民政府", HONGZE)
    assert (county.level, county.parent_key) == ("county", "gov:320800")
    assert identify("淮安市人民政府", Region("江苏省", "淮安市")).parent_key == "gov:320000"
    dept = identify("洪泽区财政局", HONGZE)
    assert (dept.level, dept.parent_key) == ("department", "gov:320813")


def _load(root: Path, files: list[Path]) -> None:
    assert main(["ingest", *map(str, files), "--data-dir", str(root)]) == 0


def _one_body_with_prior_values(root: Path) -> None:
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT agency_id) FROM reports").fetchone()[0] == 1
        later = con.execute("SELECT max(year) FROM reports").fetchone()[0]
        missing = con.execute("""
            SELECT y.metric FROM yoy_metrics y JOIN yoy_metrics p
              ON p.agency_id = y.agency_id AND p.metric = y.metric AND p.year = y.year - 1
            WHERE y.year = ? AND y.value IS NOT NULL AND p.value IS NOT NULL AND y.prior_value IS NULL""",
                              [later]).fetchall()
        compared = con.execute("SELECT count(*) FROM yoy_metrics WHERE year = ? AND prior_value IS NOT NULL",
                               [later]).fetchone()[0]
        titles = con.execute("SELECT count(*) FROM agency_names").fetchone()[0]
    assert missing == [] and compared >= 8
    assert titles == 2  # both titles, each with its year and report, for the analyst to see why


@pytest.mark.parametrize("earlier, later", [
    (None, "淮安市洪泽区人民政府"),  # the corpus PDF (洪泽区人民政府, 2023), then the title with the city
    ("洪泽区人民政府", "洪泽区政府"),
    ("沭阳县发改局", "沭阳县发展和改革局"),
])
def test_two_titles_of_one_body_load_as_one_agency_with_prior_years(tmp_path, earlier, later):
    folder = tmp_path / "in"
    folder.mkdir()
    rng = random.Random(11)
    files = []
    if earlier is None:
        files.append(CORPUS / "raw" / "jiangsu_huaian_hongze_2023.pdf")
    else:
        county = "沭阳县" if "沭阳" in earlier else "洪泽区"
        city = "宿迁市" if county == "沭阳县" else "淮安市"
        files.append(folder / "a.txt")
        files[-1].write_bytes(render_text(make_report(Body(earlier, "江苏省", city, county), 2023, rng)))
    county = "沭阳县" if "沭阳" in later else "洪泽区"
    city = "宿迁市" if county == "沭阳县" else "淮安市"
    (folder / "b.txt").write_bytes(render_text(make_report(Body(later, "江苏省", city, county), 2024, rng)))
    files.append(folder / "b.txt")
    _load(tmp_path / "data", files)
    _one_body_with_prior_values(tmp_path / "data")


def test_corpus_governments_are_placed_and_linked_up_the_tree(tmp_path):
    root = tmp_path / "data"
    _load(root, [CORPUS / "raw"])
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        unplaced = con.execute("""SELECT a.name FROM agencies a WHERE a.adcode IS NULL
                                  AND a.agency_id IN (SELECT agency_id FROM reports)""").fetchall()
        chain = con.execute("""
            SELECT c.name, p.name, g.name, g.parent_id FROM agencies c JOIN agencies p ON p.agency_id = c.parent_id
            JOIN agencies g ON g.agency_id = p.parent_id WHERE c.adcode = '320813'""").fetchall()
    # 沐阳县 is printed so (for 沭阳县) throughout its report, with no province or city: no division has that name
    assert unplaced == [("沐阳县人民政府",)]
    assert chain == [("洪泽区人民政府", "淮安市人民政府", "江苏省人民政府", None)]


def test_a_bare_short_name_gets_an_issue_listing_the_candidates(tmp_path):
    text = render_text(make_report(Body("宝山区人民政府", "", "", "宝山区"), 2022, random.Random(4)))
    path = tmp_path / "baoshan.txt"
    path.write_bytes(text)
    root = tmp_path / "data"
    _load(root, [path])
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        detail = con.execute("SELECT detail FROM report_issues WHERE rule = 'agency_ambiguous'").fetchall()
    assert detail and "上海市宝山区" in detail[0][0] and "黑龙江省双鸭山市宝山区" in detail[0][0]


def test_a_zone_has_its_own_place_and_its_departments_sit_under_it():
    """平潭综合实验区 is administered as 平潭县 (350128) and reports to 福建省; its bureaus report to it."""
    zone = identify("平潭综合实验区管委会", Region("福建省"))
    assert (zone.key, zone.level, zone.adcode, zone.parent_key) == ("gov:350128", "county", "350128", "gov:350000")
    for bureau in ("平潭综合实验区经济发展局", "福建省平潭综合实验区交通与建设局"):
        body = identify(bureau, Region("福建省"))
        assert (body.level, body.adcode, body.parent_key) == ("department", "350128", "gov:350128"), bureau


def test_a_misprinted_place_is_flagged_not_silently_ok(corpus):
    """沐阳县 is a misprint of 沭阳县: no place fits, so the report says so (region_unknown)."""
    from pipeline.batch.report import process_report

    path = corpus / "raw" / "jiangsu_suqian_shuyang_2025.txt"
    result = process_report(path.read_bytes(), str(path))
    assert result.meta.agency_name == "沐阳县人民政府"
    assert [i.rule for i in result.issues if i.rule == "region_unknown"] == ["region_unknown"]
    assert result.status != "ok"


def test_a_report_that_names_no_body_takes_the_linking_page_s_then_the_registry_s(corpus):
    """A real report whose text names no body (its title was lost): the title it was linked under names
    it; without one, the registry's source does; a note says which."""
    from pipeline.batch.report import process_report

    path = corpus / "raw" / "hubei_wuhan_shengtaihuanjingju_2020_partial.txt"
    data = path.read_bytes()
    alone = process_report(data, str(path))
    assert alone.meta.agency_name is None and "agency_unknown" in {i.rule for i in alone.issues}
    region = Region("湖北省", "武汉市")
    linked = process_report(data, str(path), ("武汉市人民政府", region, "武汉市生态环境局2020年政府信息公开工作年度报告"))
    assert linked.meta.agency_name == "武汉市生态环境局" and linked.identity.key == "dept:420100:生态环境局"
    rules = {i.rule for i in linked.issues}
    assert "agency_from_source" in rules and "agency_unknown" not in rules
    registry = process_report(data, str(path), ("武汉市生态环境局", region, None))
    assert registry.meta.agency_name == "武汉市生态环境局"
    assert "from the registry" in next(i.detail for i in registry.issues if i.rule == "agency_from_source")
