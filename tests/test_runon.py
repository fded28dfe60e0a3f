"""Row boundaries from the template, not from the next digit: a report's prose run on from a table row
(a year word) is never read as cells, and the label variants real reports print find their row."""

from __future__ import annotations

import random

import pytest
from conftest import fact_key, result_facts

from pipeline.batch.report import process_report
from pipeline.parse.rows import _one_edit, parse_tables
from pipeline.parse.templates import TEMPLATES
from pipeline.synth.generate import SAMPLE_BODIES, Style, flatten, make_report, render_text
from pipeline.text.norm import TRADITIONAL_LABEL_FORMS, normalise

PROSE = "2025年，本机关将进一步做好政府信息公开工作，全年主动公开信息198条。"


def _truth_and_text(seed: int, year: int) -> tuple[dict, str]:
    report = make_report(SAMPLE_BODIES[2], year, random.Random(seed))
    text = render_text(report).decode("utf-8")
    return result_facts(process_report(text.encode(), "plain.txt")), text


@pytest.mark.parametrize("seed", range(4))
def test_prose_run_on_after_the_last_row_of_table_two_is_not_a_cell(seed):
    truth, text = _truth_and_text(seed, 2021 + seed)
    line = next(line for line in text.split("\n") if line.startswith("行政事业性收费"))
    ran_on = text.replace(line + "\n", line + PROSE + "\n", 1)  # no separator: 844.742025年…
    got = result_facts(process_report(ran_on.encode(), "ran_on.txt"))
    assert got == truth


def test_a_zero_fee_followed_by_a_year_is_zero():
    truth, text = _truth_and_text(7, 2024)
    line = next(line for line in text.split("\n") if line.startswith("行政事业性收费"))
    zero = text.replace(line, "行政事业性收费0" + PROSE, 1)  # 行政事业性收费02025年…: read as 0, never 2025
    got = result_facts(process_report(zero.encode(), "zero.txt"))
    fees = {k: v for k, v in got.items() if k[0] == "fees"}
    assert list(fees.values()) == [0]
    assert {k: v for k, v in got.items() if k[0] != "fees"} == {k: v for k, v in truth.items() if k[0] != "fees"}


@pytest.mark.parametrize("prose", [
    "（二）依申请公开情况。全年共收到申请15件，办结12件。",  # a heading that opens sentences
    "（二）依申请公开：全年共收到申请15件；",
    "二、全年共收到申请15件。",
])
def test_a_heading_that_opens_prose_ends_the_row(prose):
    truth, text = _truth_and_text(11, 2023)
    line = next(line for line in text.split("\n") if line.startswith("行政事业性收费"))
    fee = line.split("\t")[-1]
    ran_on = text.replace(line, "行政事业性收费" + fee + prose, 1)  # 15 and 12 are the prose's, not cells
    result = process_report(ran_on.encode(), "heading.txt")
    assert result_facts(result) == truth
    assert not [i for i in result.issues if i.rule.startswith("cells_")]


def test_a_group_label_among_a_rows_numbers_is_not_prose():
    truth, text = _truth_and_text(5, 2021)
    line = next(line for line in text.split("\n") if line.startswith("4.保护第三方合法权益"))
    cells = line.split("\t")[1:]
    merged = text.replace(line, "4.保护第三方合法权益\t" + "\t".join(cells[:3]) + "\t（三）不予公开\t"
                          + "\t".join(cells[3:]), 1)  # a merged cell's label printed among the numbers
    assert result_facts(process_report(merged.encode(), "merged.txt")) == truth


@pytest.mark.parametrize("header, printed, amount", [
    ("采购总金额（元）", "26\t3042532", 304.2532),  # the unit said once, in the column header
    ("采购总金额(万元)", "26\t304.2532", 304.2532),
    ("采购总金额（元）", "26\t3042532万元", 3042532),  # a cell's own unit wins over its header's
])
def test_an_amount_in_the_unit_its_header_declares(header, printed, amount):
    _, text = _truth_and_text(2, 2019)
    line = next(line for line in text.split("\n") if line.startswith("政府集中采购"))
    text = text.replace("采购总金额", header, 1).replace(line, "政府集中采购\t" + printed, 1)
    got = result_facts(process_report(text.encode(), "yuan.txt"))
    assert {k[1:]: v for k, v in got.items() if k[0] == "procurement"} == {
        (("measure", "projects"),): 26, (("measure", "amount_wan_yuan"),): amount}


def test_a_label_printed_as_a_variant_finds_its_row():
    truth, text = _truth_and_text(3, 2022)
    varied = text.replace("属于行政执法案卷", "属于行政执法案件")
    result = process_report(varied.encode(), "variant.txt")
    assert result_facts(result) == truth
    assert not [i for i in result.issues if i.rule in ("row_missing", "cells_unresolved", "cells_ambiguous")]


@pytest.mark.parametrize("printed, reading", [
    ("30 0 0 0 03", (3, 0, 0, 0, 0, 0, 3)),  # spaces inside a run of one-digit cells
    ("1 20 0 0 03", (1, 2, 0, 0, 0, 0, 3)),
    ("10 0 0 0 0 10", None),  # 10 or 1 0: the sums allow several readings, so none is loaded
])
def test_spaces_inside_a_run_of_one_digit_cells(printed, reading):
    from pipeline.parse.cells import candidates, tokenize
    from pipeline.parse.templates import SumRule

    found = candidates(tokenize(printed), 7, (SumRule(parts=(0, 1, 2, 3, 4, 5), total=6),))
    assert (found == [reading]) if reading else len(found) != 1


@pytest.mark.parametrize("template_label, printed", [
    ("属于国家秘密", "属于国家机密"),  # one character off
    ("本机关不掌握相关政府信息", "本机关不掌握相关的政府信息"),  # 的 added
    ("没有现成信息需要另行制作", "没有现成信息须另行制作"),  # two edits: the shorter keys (另行制作) find it
    ("属于行政查询事项", "属于行政査询事项"),  # a variant character (査)
])
def test_labels_one_character_off_find_their_row(template_label, printed):
    truth, text = _truth_and_text(5, 2023)
    varied = text.replace(template_label, printed)
    result = process_report(varied.encode(), "varied.txt")
    got = result_facts(result)
    assert {k: v for k, v in got.items() if truth.get(k) != v} == {}  # never a wrong number
    if _one_edit(printed, template_label):
        assert got == truth


@pytest.mark.parametrize(("simplified", "traditional"), [
    ("行政许可", "行政許可"), ("行政处罚", "行政處罰"), ("属于国家秘密", "屬於國家秘密"), ("予以公开", "予以公開"),
    ("行政事业性收费", "行政事業性收費"), ("收到和处理政府信息公开申请情况", "收到和處理政府資訊公開申請情況"),
])
def test_labels_printed_in_traditional_forms_in_a_simplified_report_find_their_row(simplified, traditional):
    truth, text = _truth_and_text(3, 2022)
    result = process_report(text.replace(simplified, traditional).encode(), "traditional.txt")
    assert result_facts(result) == truth
    assert not [i for i in result.issues if i.rule in ("row_missing", "table_missing")]


def test_the_traditional_forms_table_covers_every_label_character():
    from zhconv import zhconv

    label_chars = {ch for template in TEMPLATES.values() for block in template.blocks
                   for key in (*block.anchors, *block.end_anchors, *(k for row in block.rows for k in row.keys))
                   for ch in key}
    expected = sorted((t, s) for t, s in zhconv.getdict("zh-cn").items()
                      if len(t) == 1 and len(s) == 1 and t != s and s in label_chars)
    assert sorted(zip(*TRADITIONAL_LABEL_FORMS, strict=True)) == expected


def test_a_text_as_close_to_two_labels_is_not_chosen():
    from pipeline.parse.rows import _find_fuzzy
    from pipeline.text.norm import CompactIndex

    index = CompactIndex("7.属于行政执法案件\t0\t1")
    found = _find_fuzzy(index, ["属于行政执法案卷"], 0, len(index.compact), ["属于行政执法案例"])  # another row's
    assert isinstance(found, str) and "neither is chosen" in found
    assert _find_fuzzy(index, ["属于行政执法案卷"], 0, len(index.compact), ["属于行政查询事项"]) == (2, 10)


def test_dumps_of_tables_printed_with_blanks_dashes_and_separators_never_load_a_wrong_number():
    """Reports printed as real ones are (blank, —, /, 无 and - for zero, full-width digits, 1,282, notes in
    cells, spaced labels), their dumps losing every separator and so every blank cell: what is loaded is
    what was printed, what is not is listed, and most of it is loaded."""
    right = total = 0
    said = []
    for seed in range(24):
        report = make_report(SAMPLE_BODIES[seed % 3], 2019 + seed % 7, random.Random(seed))
        truth = {fact_key(f): f["value"] for f in report.expected_facts()}
        dump = flatten(render_text(report, Style(True, random.Random(seed))).decode("utf-8"))
        result = process_report(dump.encode(), "quirks_dump.txt")
        got = result_facts(result)
        assert {k: (v, truth.get(k)) for k, v in got.items() if truth.get(k) != v} == {}, seed
        if len(got) < len(truth):
            assert [i for i in result.issues if i.rule in ("cells_ambiguous", "cells_unresolved")], seed
        right, total = right + len(got), total + len(truth)
        said += [i.detail for i in result.issues if i.rule == "cells_ambiguous"]
    assert right / total > 0.8
    assert any("blank cells that left no trace" in detail for detail in said)  # why a short row has many readings


def test_a_row_label_inside_another_rows_note_is_not_that_row():
    """其他对外管理服务事项（指…行政处罚、行政强制…） names rows it is not, even spaced out and after
    another cell's note has closed its own parenthesis."""
    report = make_report(SAMPLE_BODIES[0], 2019, random.Random(8))
    text = render_text(report).decode("utf-8")
    line = next(line for line in text.split("\n") if line.startswith("规范性文件"))
    first, *others = line.split("\t")[1:]
    text = text.replace(line, "\t".join(["规范性文件", first + "（其中修订7件）", *others]), 1)
    note = " ".join("其他对外管理服务事项（指行政许可以外的政务服务事项，含行政确认、行政处罚、行政强制和公共服务事项）")
    text = text.replace("其他对外管理服务事项", note, 1)
    parsed = parse_tables(normalise(flatten(text)), TEMPLATES["2019"])
    printed = {code: "".join(c.raw for c in reading.cells) for code, reading in parsed.readings.items()}
    printed |= {i.detail.split(":")[0] + ":" + i.detail.split(":")[1]: i.detail.split("[")[1].split("]")[0].replace(" ", "")
                for i in parsed.issues if i.rule == "cells_ambiguous"}
    for code in ("penalties:penalty", "penalties:coercion"):
        assert printed[code] == "".join(str(int(v)) for v in report.values[code])  # its own numbers, no more


def test_a_dump_that_kept_the_pages_character_references_reads_them_as_characters():
    """A crawler that did not decode the page's &nbsp;: between cells and inside labels, they are spaces."""
    truth, text = _truth_and_text(4, 2022)
    kept = (text.replace("\t", "&nbsp;").replace("\n", "&#160;")
            .replace("行政许可", "行政&nbsp;许可").replace("属于国家秘密", "属于&nbsp;国家&nbsp;秘密"))
    result = process_report(kept.encode(), "entities.txt")
    assert result_facts(result) == truth
