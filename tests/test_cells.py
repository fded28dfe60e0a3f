"""Reading cells and rows: the quirks of real reports, one at a time."""

from __future__ import annotations

import pytest

from pipeline.extract.sniff import detect_format
from pipeline.parse.cells import BLANK_MARK, candidates, tokenize
from pipeline.parse.describe import describe
from pipeline.parse.rows import parse_tables
from pipeline.parse.templates import (
    APPEAL_SUMS,
    APPLICANT_COLUMNS,
    APPLICANT_SUM,
    ITEMS_2019,
    REG_2021,
    TEMPLATE_2021,
    TEMPLATES,
)
from pipeline.text.norm import normalise, parse_year


@pytest.mark.parametrize(("text", "values"), [
    ("1\t0\t2", [1, 0, 2]),
    ("—\t-\t/\t无", [None, None, None, None]),
    ("２２", [22]),
    ("1,234", [1234]),
    ("2648\t-18\t538", [2648, -18, 538]),
    ("22（其中修订 16 件）", [22]),
    ("00000002.", [0]),  # the next row's enumerator 2. glued to this row's digits
])
def test_tokenize(text, values):
    assert [c.value for c in tokenize(normalise(text))] == values


def test_note_is_kept():
    (cell,) = tokenize(normalise("22（其中修订 16 件）"))
    assert cell.value == 22 and cell.note == "其中修订16件"


def test_yuan_unit():
    (cell,) = tokenize("251000元")
    assert cell.value == 251000 and cell.unit == "元"


def test_run_together_row_split_by_its_total():
    assert candidates(tokenize("申请数量640020470"), 7, APPLICANT_SUM) == [(64, 0, 0, 2, 0, 4, 70)]


def test_run_together_appeals_split_by_group_totals():
    got = candidates(tokenize("总计10203120001200000五、"), 15, APPEAL_SUMS)
    assert got == [(1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0)]


def test_missing_cell_resolved_only_when_certain():
    assert candidates(tokenize("0 0 0 0 0 0"), 7, APPLICANT_SUM) == [(0,) * 7]
    assert len(candidates(tokenize("3 0 0 0 0 3"), 7, APPLICANT_SUM)) > 1  # where is the gap? not certain


def test_table2_run_together_is_ambiguous():
    assert len(candidates(tokenize("行政规范性文件693665"), 3, ())) > 1
    assert candidates(tokenize("规章000"), 3, ()) == [(0, 0, 0)]


def test_a_minus_sign_falls_only_where_a_column_can_be_negative():
    # 上一年项目数量, 本年增/减, 处理决定数量: 8 8 -720 would make a count negative; the dash may also be
    # a placeholder for a change of 0
    assert candidates(tokenize("行政许可88-720"), 3, (), columns=ITEMS_2019) == [(88, -72, 0), (88, -7, 20),
                                                                                (88, 0, 720)]
    assert candidates(tokenize("行政许可2648-18538"), 3, (), columns=ITEMS_2019)[0][0] == 2648


@pytest.mark.parametrize(("segment", "values"), [
    ("230(其中修订3件)/24,381", [230, None, 24381]),  # a placeholder among run-together cells
    ("—0/11313", [None, 0, None, 11313]),
    ("0/0—0—", [0, None, 0, None, 0, None]),
    ("0无无5", [0, None, None, 5]),
    ("0000000(四)无法提供", [0]),  # a group heading's 无 is a word
    ("本年增/减处理决定数量", []),  # a slash inside words is no cell
    ("尚未审结总计—1449", [None, 1449]),  # a header's last word, then the first cell
    ("/005130182 、 ", [None, 513018]),  # the next row's enumerator (2 、 重 复 申 请) run on from the digits
])
def test_placeholders_and_enumerators_among_run_together_cells(segment, values):
    assert [c.value for c in tokenize(segment, glued_left=True)] == values


def test_a_thousands_number_run_on_from_the_cell_before_it():
    # 0 then 24,381 then 17 (规章\t0\t24,381\t17 without its separators): the groups are never cut
    assert candidates(tokenize("024,38117|", glued_left=True), 3, (), columns=REG_2021) == [(0, 24381, 17)]


def test_blank_cells_that_left_no_trace_may_stand_in_any_column():
    # 65 for 3 columns, in a dump whose table prints blanks: every placement is a reading, so none is chosen
    assert candidates(tokenize("65|", glued_left=True), 3, (), columns=REG_2021, vanished=True) == [
        (0, 0, 65), (0, 6, 5), (0, 65, 0), (6, 0, 5), (6, 5, 0), (65, 0, 0)]
    assert candidates(tokenize("65|", glued_left=True), 3, (), columns=REG_2021) == []  # every cell printed: none fits
    # a blank natural-person cell lost from 13 13 0 2 13 41: the row sum alone allows more than the truth
    found = candidates(tokenize("1313021341|", glued_left=True), 7, APPLICANT_SUM, columns=APPLICANT_COLUMNS,
                       vanished=True)
    assert (0, 13, 13, 0, 2, 13, 41) in found and len(found) > 1
    assert candidates(tokenize("0/0—0|", glued_left=True), 7, APPLICANT_SUM, columns=APPLICANT_COLUMNS,
                      vanished=True) == [(0,) * 7]


def test_a_number_standing_alone_is_never_split():
    """Separated by spaces, 17 is seventeen, not 1 and 7 (a blank cell vanished beside it)."""
    assert candidates(tokenize("/ 17"), 3, ()) == []
    assert candidates(tokenize("行政规范性文件 / 17", glued_left=False), 3, ()) == []


def test_blank_label_cells_are_set_aside():
    cells = tokenize("\t".join([BLANK_MARK, "3", "0", "0", "0", "0", "0", "3"]))
    assert candidates(cells, 7, APPLICANT_SUM) == [(3, 0, 0, 0, 0, 0, 3)]


@pytest.mark.parametrize(("token", "year"), [("2021", 2021), ("２０２１", 2021), ("二〇二一", 2021), ("二零二三", 2023)])
def test_years(token, year):
    assert parse_year(token) == year


def test_kangxi_radicals_spaces_and_broken_labels():
    text = "\n".join([
        "XX县人民政府2021年政府信息公开工作年度报告",
        "三、收到和处理政府信息公开申请情况",
        "一、本 年 新 收政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1",
        "二、上年结转\t0\t0\t0\t0\t0\t0\t0",
        "（一）予以公开\t1\t0\t0\t0\t0\t0\t1",
        "2.其他法律行政止公开\t0\t0\t0\t0\t0\t0\t0",  # the typo of a real report
        "5.要求⾏政机关确认或重\n新出具已获取信息\t0\t0\t0\t0\t0\t0\t0",  # Kangxi ⾏ and a broken label
        "（七）总计\t1\t0\t0\t0\t0\t0\t1",
    ])
    parsed = parse_tables(normalise(text), TEMPLATES["2021"])
    vectors = parsed.vectors()
    assert vectors["outcomes:withheld.prohibited_by_law"] == (0,) * 7
    assert vectors["outcomes:not_processed.confirmation"] == (0,) * 7
    assert vectors["outcomes:granted"] == (1, 0, 0, 0, 0, 0, 1)


def test_template_and_metadata_from_text():
    meta = describe("洪泽区人民政府\n2023 年政府信息公开工作年度报告\n本报告由淮安市洪泽区人民政府办公室编制。本年制发件数 本年废止件数")
    assert (meta.agency_name, meta.year, meta.template) == ("洪泽区人民政府", 2023, "2021")
    assert meta.region.county == "洪泽区" and meta.region.city == "淮安市"


def test_short_name_alone_gives_no_region():
    meta = describe("宝山区2021年政府信息公开工作年度报告\n本年制发件数 本年废止件数")
    assert meta.region.province is None  # 宝山区 exists in 上海市 and in 黑龙江省双鸭山市


@pytest.mark.parametrize(("data", "fmt"), [
    (b"%PDF-1.7\n...", "pdf"), (b"PK\x03\x04garbage", "zip"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "doc"),
    (b"<html><body><table></table></body></html>", "html"), (b"<p>fragment</p>", "html"),
    ("纯文本".encode("gb18030"), "txt"), (b"   ", "empty"),
])
def test_detect_format_from_bytes(data, fmt):
    assert detect_format(data) == fmt


_RECEIVED = next(r for r in TEMPLATE_2021.blocks[1].rows if r.code == "applications:received")


@pytest.mark.parametrize(("line", "reading"), [
    ("?21~27\t0\t0\t0\t0\t0\t21", (21, 0, 0, 0, 0, 0, 21)),  # the sum chooses between the two readings
    ("?\t0\t0\t0\t0\t0\t21", (21, 0, 0, 0, 0, 0, 21)),  # nothing read: the sum fills it in
    ("1\t0\t0\t0\t0\t0\t?1~7", (1, 0, 0, 0, 0, 0, 1)),
    ("?5~3\t?1\t0\t0\t0\t0\t8", (None, None, 0, 0, 0, 0, 8)),  # two unknowns in one sum: neither is chosen
    ("?9~0\t?9~0\t0\t0\t0\t0\t?18", (None, None, 0, 0, 0, 0, None)),  # misreads never add up on their own
    ("30\t1\t0\t0\t?0\t0\t81", (None,) * 7),  # the sum makes the unsure cell 50, read 0: a sure cell is misread
    ("?5~3\t0\t0\t0\t0\t0\t8", (None,) * 7),  # the sum says 8, neither reading did
])
def test_an_unsure_ocr_cell_loads_only_as_the_sums_make_it_from_agreed_cells(line, reading):
    cells = tokenize("申请数量\t" + line)
    assert candidates(cells, 7, _RECEIVED.sums, columns=_RECEIVED.columns, counted=True) == [reading]


def test_an_ocr_row_short_of_a_cell_is_no_reading():
    """A number OCR could not read is marked; a row that still lacks one lost it, and where is not known."""
    cells = tokenize("申请数量\t21\t0\t0\t0\t0\t21")
    assert candidates(cells, 7, _RECEIVED.sums, columns=_RECEIVED.columns, counted=True) == []
    assert candidates(cells, 7, _RECEIVED.sums, columns=_RECEIVED.columns) != []  # a text's merged cell may
