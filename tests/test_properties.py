"""Property-based tests of the number, year and label readers and the run-together-digit splitter: they
never raise on any text, and what they return satisfies the template's sums or is left out and flagged."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.parse.cells import Cell, candidates, satisfies, tokenize
from pipeline.parse.rows import parse_tables
from pipeline.parse.rules import check
from pipeline.parse.templates import TEMPLATES, SumRule
from pipeline.text.norm import normalise, parse_year

ROW_TOTAL = (SumRule(parts=(0, 1, 2, 3, 4, 5), total=6),)  # table 三: the 总计 column
CELL_TEXT = st.text(alphabet=st.sampled_from(list("0123456789 \t\n.,-—/无万元件（）()一二三、总计予以公开") + ["∅"]),
                    max_size=60)
TEMPLATE_WORDS = sorted({key for t in TEMPLATES.values() for row in t.rows() for key in row.keys})
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=200), st.booleans())
def test_tokenize_never_raises_and_reads_only_finite_numbers(text, glued):
    for cell in tokenize(text, glued):
        assert isinstance(cell, Cell)
        assert cell.value is None or math.isfinite(cell.value)


@FAST
@given(CELL_TEXT, st.integers(min_value=1, max_value=7))
def test_every_reading_of_a_row_has_its_columns_and_keeps_its_sums(text, n):
    cells = tokenize(text)
    sums = ROW_TOTAL if n == 7 else ()
    for reading in candidates(cells, n, sums):
        assert len(reading) == n
        assert not sums or satisfies(reading, sums)


@FAST
@given(st.lists(st.integers(min_value=0, max_value=3000), min_size=6, max_size=6))
def test_digits_run_together_are_split_right_or_left_for_the_caller_to_flag(parts):
    row = (*parts, sum(parts))
    run = "".join(str(v) for v in row)
    readings = candidates(tokenize("行政许可" + run, glued_left=True), 7, ROW_TOTAL)
    for reading in readings:
        assert satisfies(reading, ROW_TOTAL)
    if len(readings) == 1:  # the only reading the row's sum allows is the one loaded: it must be the truth
        assert readings[0] == row
    # several readings: the caller keeps none (cells_unresolved); none: the row is left out, flagged


@FAST
@given(st.text(max_size=8))
def test_years_are_four_digits_or_nothing(token):
    year = parse_year(token)
    assert year is None or 1000 <= year <= 9999


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(TEMPLATE_WORDS), CELL_TEXT), max_size=25), st.sampled_from(sorted(TEMPLATES)))
def test_table_parser_never_raises_and_flags_what_breaks_a_rule(pieces, code):
    text = normalise("\n".join(pieces))
    parsed = parse_tables(text, TEMPLATES[code])
    rows = {c: (r.row, r.values) for c, r in parsed.readings.items()}
    for reading in parsed.readings.values():
        assert len(reading.values) == len(reading.row.columns)
    violations = check(rows)  # whatever was read is either consistent or carries its broken rule
    for v in violations:
        assert v.rule and v.detail
