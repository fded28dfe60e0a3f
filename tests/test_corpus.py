"""Every number of the real reports in ../shared/corpus against the hand-checked expected/ files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS, expected_facts, fact_key, result_facts

from pipeline.batch.report import process_report
from pipeline.parse.rules import NOTE_RULES
from pipeline.parse.templates import TEMPLATES

HERE = Path(__file__).parent
PINGTAN_PAGES = {int(p.parent.name.split("区")[1][:4]): p for p in sorted(CORPUS.glob("pingtan_site/*/*/page.html"))}


def _run(path):
    return process_report(path.read_bytes(), str(path))


def test_seed_report_every_number_and_region(corpus):
    result = _run(corpus / "raw" / "heilongjiang_shuangyashan_baoshan_2021.txt")
    assert result_facts(result) == expected_facts("heilongjiang_shuangyashan_baoshan_2021.txt")
    assert result.status == "ok"
    assert (result.meta.year, result.meta.template) == (2021, "2021")
    region = result.meta.region
    assert (region.province, region.city, region.county, region.adcode) == ("黑龙江省", "双鸭山市", "宝山区", "230506")


def test_hongze_pdf_loads_inconsistent_as_printed(corpus):
    result = _run(corpus / "raw" / "jiangsu_huaian_hongze_2023.pdf")
    assert result.format == "pdf"
    assert result_facts(result) == expected_facts("jiangsu_huaian_hongze_2023.pdf")
    assert result.status == "inconsistent"
    assert {i.rule for i in result.issues} == {"table4_total"}  # review and after-review totals print 0
    assert result.meta.region.adcode == "320813"


def test_a_bare_metadata_title_never_hides_the_one_printed_on_the_first_page(corpus):
    """The real Hongze PDF, its metadata Title set to the bare 政府信息公开工作年度报告 as some bodies'
    PDFs carry it: the first page prints the body on one line and the year on the next, and those win."""
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(corpus / "raw" / "jiangsu_huaian_hongze_2023.pdf"))
    writer.add_metadata({"/Title": "政府信息公开工作年度报告"})
    bare = BytesIO()
    writer.write(bare)
    result = process_report(bare.getvalue(), "bare_title.pdf")
    assert (result.meta.agency_name, result.meta.year) == ("洪泽区人民政府", 2023)
    assert result.meta.region.adcode == "320813"
    assert "agency_unknown" not in {i.rule for i in result.issues}
    assert result_facts(result) == expected_facts("jiangsu_huaian_hongze_2023.pdf")


@pytest.mark.parametrize("year", range(2019, 2026))
def test_pingtan_html_pages_every_number(year):
    result = _run(PINGTAN_PAGES[year])
    assert result.format == "html"
    assert (result.meta.year, result.meta.agency_name) == (year, "平潭综合实验区")
    assert result.meta.template == ("2019" if year < 2021 else "2021")
    assert result_facts(result) == expected_facts(f"fujian_pingtan_{year}.txt")
    # the 2020 report's table 三 does not add up as printed
    assert result.status == ("inconsistent" if year == 2020 else "ok")


@pytest.mark.parametrize("year", range(2019, 2026))
def test_pingtan_crawler_dumps_cells_run_together(year):
    """Table 三 and 四 digits run together are split with the row and column totals; table 二 has no
    totals, so a run such as 693665 (69 3 665? 6 93 665?) is left out and noted, never guessed."""
    result = _run(CORPUS / "raw" / f"fujian_pingtan_{year}.txt")
    got, expected = result_facts(result), expected_facts(f"fujian_pingtan_{year}.txt")
    assert all(got[k] == expected[k] for k in got), {k: (got[k], expected.get(k)) for k in got if got[k] != expected.get(k)}
    missing = {k[0] + ":" + dict(k[1:]).get("category", "") for k in expected if k not in got}
    assert all(k.split(":")[0] in ("regulations", "permits", "penalties", "fees", "procurement") for k in missing)
    unresolved = [i.detail for i in result.issues if i.rule in ("cells_unresolved", "cells_ambiguous")]
    assert unresolved and all(("regulations" in d or "permits" in d or "penalties" in d or "fees" in d
                               or "procurement" in d) for d in unresolved)
    assert result.status == "partial"
    assert {k for k in expected if k[0] in ("applications", "outcomes", "appeals")} <= set(got)
    # every number left out has its row's readings listed, the printed one among them
    listed = {i.detail.split(": [")[0]: _listed_readings(i.detail) for i in result.issues if i.rule == "cells_ambiguous"}
    for key in (k for k in expected if k not in got):
        code, column = _row_and_column(TEMPLATES[result.meta.template], key)
        assert any(abs(float(reading[column]) - expected[key]) < 1e-9 for reading in listed[code]), (key, listed[code])


def _listed_readings(detail: str) -> list[list[str]]:
    shown = detail.split(" readings fit ")[1].split(": ", 1)[1].split("; left out")[0]
    assert "more)" not in shown, detail  # every reading is listed
    return [reading.split() for reading in shown.split(" | ")]


def _row_and_column(template, key: tuple) -> tuple[str, int]:
    """The template row and column a fact key comes from."""
    dims = dict(key[1:])
    for row in template.rows():
        if row.table == key[0] and row.dims.items() <= dims.items():
            for j, column in enumerate(row.columns):
                if {**row.dims, **column.dims} == dims:
                    return row.code, j
    raise KeyError(key)


def test_ocr_markdown_with_lost_header_loads_every_number():
    """Shuyang: one pipe table per row group, applicant header lost (数据1..6), a wrong header row."""
    result = _run(CORPUS / "raw" / "jiangsu_suqian_shuyang_2025.txt")
    checked = json.loads((HERE / "expected" / "jiangsu_suqian_shuyang_2025.txt.json").read_text(encoding="utf-8"))
    assert result_facts(result) == {fact_key(f): f["value"] for f in checked["facts"]}
    assert result.meta.year == 2025
    # every number is right; only its title's misprinted place (沐阳县 for 沭阳县) keeps it from `ok`
    assert result.status == "inconsistent" and {i.rule for i in result.issues} - NOTE_RULES == {"region_unknown"}


@pytest.mark.parametrize(("name", "spot_checks"), [
    ("shanghai_shizhengfu_bangongting_2025.md", {
        ("applications", ("applicant", "natural_person"), ("stage", "received")): 1259,
        ("outcomes", ("applicant", "total"), ("outcome", "total")): 1191,
        ("outcomes", ("applicant", "total"), ("outcome", "other.other")): 276,
        ("appeals", ("proceeding", "review"), ("result", "total")): 55,
        ("appeals", ("proceeding", "litigation_after_review"), ("result", "pending")): 7,
    }),
    ("shanghai_kewei_2024.md", {
        ("outcomes", ("applicant", "natural_person"), ("outcome", "granted")): 9,
        ("applications", ("applicant", "total"), ("stage", "received")): 34,
    }),
])
def test_converter_outputs_load_only_what_is_certain(name, spot_checks):
    """Labels detached from their numbers: what is loaded is what the document says; the rest is flagged."""
    result = _run(CORPUS / "raw" / name)
    got = result_facts(result)
    for key, value in spot_checks.items():
        assert got.get(key) == value, key
    assert result.status == "partial"
    flagged = [i.detail for i in result.issues if i.rule in ("cells_unresolved", "cells_ambiguous", "row_missing", "cells_missing")]
    assert flagged


def test_incomplete_traditional_fragment_loads_table2_and_flags_the_rest(corpus):
    """The Wuhan wiki mirror: traditional characters, table 二 only, labels with notes that name other rows
    (其他对外管理服务事项(指……行政处罚、行政强制……)), cut off at 第二十条第（九）项."""
    result = _run(corpus / "raw" / "hubei_wuhan_shengtaihuanjingju_2020_partial.txt")
    got = result_facts(result)
    assert result.meta.year == 2020 and result.meta.template == "2019"
    assert got[("permits", ("category", "administrative_permit"), ("measure", "decisions"))] == 93
    assert got[("permits", ("category", "other_service"), ("measure", "items_prior_year"))] == 117
    assert got[("penalties", ("category", "penalty"), ("measure", "items_prior_year"))] == 90
    assert got[("penalties", ("category", "coercion"), ("measure", "decisions"))] == 0  # printed "-"
    assert got[("regulations", ("category", "normative_document"), ("measure", "total_published"))] == 19
    assert result.status == "partial"
    assert {i.detail for i in result.issues if i.rule == "table_missing"} == {"table 三 not found", "table 四 not found"}
    assert ("extraction_note", "converted from traditional characters") in {(i.rule, i.detail) for i in result.issues}
