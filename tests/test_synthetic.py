"""Synthetic reports round-trip every number, in every format, for both templates."""

from __future__ import annotations

import random
import re
from io import BytesIO

import pdfplumber
import pytest
from conftest import fact_key, result_facts

from pipeline.batch.report import process_report
from pipeline.synth.generate import RENDERERS, SAMPLE_BODIES, Style, make_report, render_html
from pipeline.text.norm import compact


@pytest.mark.parametrize("quirks", [False, True], ids=["clean", "quirks"])
@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("year", [2019, 2020, 2022, 2025])
def test_round_trip(fmt, year, quirks):
    """Quirks: merged label cells, vertical labels, 1、 and spaced labels, blank/—/无 for zero, thousands
    separators, full-width digits, fees in 元, notes in cells, rows split across pages."""
    rng = random.Random(year)
    body = SAMPLE_BODIES[year % len(SAMPLE_BODIES)]
    report = make_report(body, year, rng)
    result = process_report(RENDERERS[fmt](report, style=Style(quirks, random.Random(year))), f"synthetic.{fmt}")
    assert result.format == fmt
    assert result.status == "ok", result.issues
    assert result_facts(result) == {fact_key(f): f["value"] for f in report.expected_facts()}
    assert (result.meta.year, result.meta.agency_name, result.meta.template) == (year, body.name, report.template.code)
    assert (result.meta.region.province, result.meta.region.county) == (body.province, body.county)


def test_pdf_table_breaks_across_pages():
    report = make_report(SAMPLE_BODIES[0], 2021, random.Random(7))
    data = RENDERERS["pdf"](report)
    with pdfplumber.open(BytesIO(data)) as pdf:
        pages = [compact(p.extract_text() or "") for p in pdf.pages]
    first = next(i for i, t in enumerate(pages) if "本年新收" in t)
    last = next(i for i, t in enumerate(pages) if "结转下年度" in t)
    assert last > first, "table 三 should continue on the next page"
    result = process_report(data, "x.pdf")
    assert result.status == "ok" and result.n_facts == len(report.expected_facts())


def test_broken_rule_is_loaded_inconsistent_with_the_rule():
    report = make_report(SAMPLE_BODIES[1], 2023, random.Random(3), break_rule=True)
    result = process_report(render_html(report), "x.html")
    assert result.status == "inconsistent"
    assert "table3_outcome_total" in {i.rule for i in result.issues}
    assert result_facts(result) == {fact_key(f): f["value"] for f in report.expected_facts()}


def test_gbk_html_with_declared_charset():
    report = make_report(SAMPLE_BODIES[2], 2021, random.Random(5))
    result = process_report(render_html(report, charset="gbk"), "x.html")
    assert result.status == "ok" and result.meta.agency_name == "洪泽区人民政府"


def test_gbk_html_without_declared_charset_is_detected():
    report = make_report(SAMPLE_BODIES[2], 2021, random.Random(5))
    data = render_html(report, charset="gbk").replace(b'<meta charset="gbk">', b"")
    result = process_report(data, "x.html")
    assert result.status == "ok" and result.n_facts == len(report.expected_facts())


def test_fake_bold_pdf_is_read_once():
    """Fake-bold PDFs print every character twice, a fraction of a point apart."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from pipeline.synth.generate import render_text

    report = make_report(SAMPLE_BODIES[0], 2021, random.Random(9))
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    y = 800
    for line in render_text(report).decode().splitlines():
        for dx in (0, 0.3):  # the same glyphs again, offset: what a fake-bold export looks like
            c.setFont("STSong-Light", 8)
            c.drawString(20 + dx, y, "  ".join(line.split("\t"))[:110])
        y -= 11
        if y < 40:
            c.showPage()
            y = 800
    c.save()
    result = process_report(out.getvalue(), "bold.pdf")
    assert result.status == "ok", result.issues
    assert result_facts(result) == {fact_key(f): f["value"] for f in report.expected_facts()}


def test_legacy_report_recorded_with_year_and_agency():
    text = "平潭综合实验区2015年度政府信息公开工作年度报告\n一、概述\n2015年，我区主动公开政府信息1234条。"
    result = process_report(text.encode("gb18030"), "legacy.txt")
    assert (result.meta.template, result.meta.year, result.meta.agency_name) == ("legacy", 2015, "平潭综合实验区")
    assert result.status == "partial" and [i.rule for i in result.issues] == ["legacy_template"]


def test_html_page_laid_out_in_tables_keeps_its_text():
    """Old portals put the whole article, title and report tables, inside layout tables."""
    report = make_report(SAMPLE_BODIES[0], 2022, random.Random(4))
    page = render_html(report).decode()
    body_start, body_end = page.index("<body>") + len("<body>"), page.index("</body>")
    wrapped = (page[:body_start] + "<table width='100%'><tr><td>导航</td></tr><tr><td><table><tr><td>"
               + page[body_start:body_end] + "</td></tr></table></td></tr></table>" + page[body_end:])
    wrapped = re.sub(r"<title>.*?</title>", "<title>某某区人民政府门户网站</title>", wrapped)  # the site's name only
    result = process_report(wrapped.encode(), "layout.html")
    assert result.status == "ok" and result.meta.agency_name == SAMPLE_BODIES[0].name
    assert result_facts(result) == {fact_key(f): f["value"] for f in report.expected_facts()}


@pytest.mark.parametrize("year", [2019, 2021, 2024])
def test_borderless_pdf_never_loads_a_wrong_number(year):
    """Tables without rules come out as text lines, labels interleaved with their neighbours and numbers:
    what is read must be right, and what is not certain is left out and said."""
    report = make_report(SAMPLE_BODIES[year % 3], year, random.Random(year))
    result = process_report(RENDERERS["pdf"](report, style=Style(borderless=True)), "borderless.pdf")
    expected = {fact_key(f): f["value"] for f in report.expected_facts()}
    got = result_facts(result)
    assert got == expected and result.status == "ok"
    quirky = make_report(SAMPLE_BODIES[year % 3], year, random.Random(year + 1))
    result = process_report(RENDERERS["pdf"](quirky, style=Style(True, random.Random(year), borderless=True)), "q.pdf")
    expected = {fact_key(f): f["value"] for f in quirky.expected_facts()}
    got = result_facts(result)
    assert all(got[k] == pytest.approx(expected[k]) for k in got)  # blanks for zero vanish without rules:
    if len(got) < len(expected):  # those rows are left out, never guessed
        assert result.status == "partial" and any(i.rule in ("cells_unresolved", "cells_ambiguous", "row_missing") for i in result.issues)
