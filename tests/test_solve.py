"""Solving a table as a whole: the rules that join rows settle what each row's own sums cannot, a cell is
loaded when every solution agrees on it, and what is left out has its readings in report_issues."""

from __future__ import annotations

import random
import re

import pytest
from conftest import CORPUS, result_facts

from pipeline.batch.report import process_report
from pipeline.parse.rows import parse_tables
from pipeline.parse.rules import (
    CARRIED_FORWARD,
    CARRIED_OVER,
    OTHER_PARTS,
    OUTCOME_PARTS,
    OUTCOME_TOTAL,
    RECEIVED,
)
from pipeline.parse.solve import MAX_COMBINATIONS, agreed, settle
from pipeline.synth.generate import SAMPLE_BODIES, flatten, make_report, render_text, template_for
from pipeline.text.norm import normalise

ZEROS = (0,) * 7
OUTCOME_ROWS = OUTCOME_PARTS + OTHER_PARTS  # every row that adds up to （七）总计 (2021)


def _row(a: float) -> tuple[float, ...]:
    return (a, 0, 0, 0, 0, 0, a)


def _with_other_rows_zero(certain: dict, ambiguous: dict) -> dict:
    """`certain` with every outcome row neither holds read as zeros: （七）总计 is the sum of all of them."""
    return certain | {code: ZEROS for code in OUTCOME_ROWS if code not in certain and code not in ambiguous}


def test_column_sums_settle_rows_no_row_settles_alone_past_what_enumeration_could_try():
    rows = OUTCOME_ROWS[:8]
    ambiguous = {code: [_row(a) for a in (1, 2, 3, 4, 5)] for code in rows}
    assert 5 ** len(rows) > MAX_COMBINATIONS  # pruning, not enumeration, must do it
    certain = {RECEIVED: _row(8), CARRIED_OVER: ZEROS, OUTCOME_TOTAL: _row(8), CARRIED_FORWARD: ZEROS}
    assert settle(_with_other_rows_zero(certain, ambiguous), ambiguous) == {code: [_row(1)] for code in rows}


def test_an_outcome_row_not_read_keeps_the_column_sums_from_settling_anything():
    """（七）总计 is the sum of every outcome row: with one of them unreadable, the rows that were read need
    not add up to it, so they settle nothing (and a report is not called inconsistent for it)."""
    rows = OUTCOME_ROWS[:8]
    ambiguous = {code: [_row(a) for a in (1, 2)] for code in rows}
    certain = _with_other_rows_zero({RECEIVED: _row(8), CARRIED_OVER: ZEROS, OUTCOME_TOTAL: _row(8),
                                     CARRIED_FORWARD: ZEROS}, ambiguous)
    del certain[OUTCOME_ROWS[-1]]  # printed but unreadable: its value is unknown, not 0
    assert settle(certain, ambiguous) == ambiguous


def test_solutions_that_differ_leave_only_the_cells_they_share():
    a, b = OUTCOME_ROWS[:2]
    certain = {RECEIVED: (3, 0, 0, 0, 0, 0, 3), CARRIED_OVER: ZEROS, CARRIED_FORWARD: ZEROS}
    ambiguous = {OUTCOME_TOTAL: [(3, 0, 0, 0, 0, 0, 3), (30, 0, 0, 0, 0, 0, 30)],
                 a: [(1, 0, 0, 0, 0, 0, 1), (2, 0, 0, 0, 0, 0, 2)],
                 b: [(1, 0, 0, 0, 0, 0, 1), (2, 0, 0, 0, 0, 0, 2)]}
    got = settle(_with_other_rows_zero(certain, ambiguous), ambiguous)
    assert got[OUTCOME_TOTAL] == [(3, 0, 0, 0, 0, 0, 3)]  # the balance: 3 received, nothing carried
    assert got[a] == got[b] == [(1, 0, 0, 0, 0, 0, 1), (2, 0, 0, 0, 0, 0, 2)]
    assert agreed(got[a]) == (None, 0, 0, 0, 0, 0, None)


def test_rules_the_printed_numbers_break_in_every_reading_settle_nothing():
    certain = {RECEIVED: _row(9), CARRIED_OVER: ZEROS, OUTCOME_TOTAL: _row(8), CARRIED_FORWARD: ZEROS}
    ambiguous = {OUTCOME_ROWS[0]: [_row(1), _row(8)], OUTCOME_ROWS[1]: [_row(0), _row(7)]}
    assert settle(_with_other_rows_zero(certain, ambiguous), ambiguous) == ambiguous


def _text(year: int, seed: int) -> str:
    """A generated report as a tab dump, normalised as every extractor leaves its text."""
    return normalise(render_text(make_report(SAMPLE_BODIES[seed % 3], year, random.Random(seed))).decode("utf-8"))


def _readings(detail: str) -> list[str]:
    return detail.split("readings fit ")[1].split(": ", 1)[1].split("; left out")[0].split(" (and")[0].split(" | ")


def _plain(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.6f}".rstrip("0")


@pytest.mark.parametrize("seed", range(30))
def test_a_table_with_its_separators_removed_is_recovered_or_flagged_with_the_true_split(seed):
    """Property: every row of a generated report, flattened as a crawler dump, is read right, or its cells
    that are not are left out and its issue lists the true reading among its candidates."""
    template = template_for(2019 + seed % 7)
    text = _text(2019 + seed % 7, seed)
    truth = parse_tables(text, template).vectors()
    flat = parse_tables(flatten(text), template)
    listed = {i.detail.split(": [")[0]: i.detail for i in flat.issues if i.rule == "cells_ambiguous"}
    for code, values in truth.items():
        got = flat.readings[code].values if code in flat.readings else (None,) * len(values)
        assert all(g is None or g == v for g, v in zip(got, values, strict=True)), code  # never wrong
        if None in got and "more)" not in listed[code]:
            assert " ".join(map(_plain, values)) in _readings(listed[code]), (code, listed[code])


def test_a_row_whose_readings_share_a_cell_loads_that_cell():
    text = _text(2019, 5)
    line = next(line for line in text.split("\n") if line.startswith("行政许可"))
    dump = text.replace(line, "行政许可3-120", 1)  # 3, -12, 0 or 3, -1, 20: 上一年项目数量 is 3 either way
    result = process_report(dump.encode(), "shared.txt")
    permits = {k[1:]: v for k, v in result_facts(result).items() if k[0] == "permits" and "administrative_permit" in str(k)}
    assert list(permits.values()) == [3]
    issue = next(i.detail for i in result.issues if i.rule == "cells_ambiguous")
    assert "3 -12 0 | 3 -1 20" in issue and issue.endswith("left out: items_change, decisions")
    assert result.status == "partial"


def test_an_amount_in_yuan_run_into_its_count_lists_every_split_in_wan_yuan():
    result = process_report((CORPUS / "raw" / "fujian_pingtan_2019.txt").read_bytes(), "fujian_pingtan_2019.txt")
    issue = next(i.detail for i in result.issues if i.detail.startswith("procurement:"))
    assert issue.startswith("procurement:: [13575394432.52元] for 2 columns; 10 readings fit no sum")
    assert "135 7539.443252" in _readings(issue)  # the printed one: 135 projects, 75394432.52元
    assert not [k for k in result_facts(result) if k[0] == "procurement"]
    assert re.search(r"left out: projects, amount_wan_yuan$", issue)


def test_a_table_too_large_to_prune_whole_keeps_every_true_reading():
    """Twenty rows of twelve readings each: pruning stops at its work budget and whatever it returns
    still holds each row's true reading (a cell is never settled by running out of time)."""
    rng = random.Random(1)
    truth = {code: tuple(rng.randint(0, 999) for _ in range(6)) for code in OUTCOME_ROWS[:20]}
    truth = {code: (*v, sum(v)) for code, v in truth.items()}
    ambiguous = {code: [true] + [(*r, sum(r)) for r in (tuple(rng.randint(0, 999) for _ in range(6)) for _ in range(11))]
                 for code, true in truth.items()}
    total = tuple(sum(v[j] for v in truth.values()) for j in range(7))
    certain = {RECEIVED: total, CARRIED_OVER: ZEROS, CARRIED_FORWARD: ZEROS, OUTCOME_TOTAL: total}
    got = settle(_with_other_rows_zero(certain, ambiguous), ambiguous)
    assert all(truth[code] in got[code] for code in truth)
