"""The templates' consistency rules, checked on every report (and used to resolve ambiguous rows).

Rules work on row vectors keyed by `Row.code` (e.g. `outcomes:granted`), the parser's own output,
so the same functions both judge a report and choose between readings of a damaged row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.parse.cells import satisfies_rule
from pipeline.parse.templates import APPLICANTS, Row

Vectors = Mapping[str, Sequence[float]]

RECEIVED, CARRIED_OVER, CARRIED_FORWARD = "applications:received", "applications:carried_over", "applications:carried_forward"
OUTCOME_TOTAL, OTHER_HEADING = "outcomes:total", "outcomes:other"


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str


def row_sum_violations(row: Row, values: Sequence[float]) -> list[Violation]:
    out = []
    for rule in row.sums:
        if not satisfies_rule(values, rule):
            parts = [_col(row, i) for i in rule.parts]
            got = sum(values[i] for i in rule.parts)
            name = "table4_total" if row.table == "appeals" else "table3_applicant_total"
            out.append(Violation(name, f"{row.code}: {_col(row, rule.total)} = {_fmt(values[rule.total])}, "
                                       f"but {' + '.join(parts)} = {_fmt(got)}"))
    return out


def column_violations(vectors: Vectors) -> list[Violation]:
    """Table 三, per applicant column: 一 + 二 = （七） + 四, and （七） = the sum of the outcome rows."""
    out: list[Violation] = []
    outcome_rows = [code for code in vectors if code.startswith("outcomes:") and code != OUTCOME_TOTAL]
    if any(code.startswith("outcomes:other.") for code in outcome_rows):
        outcome_rows = [code for code in outcome_rows if code != OTHER_HEADING]
    for j, applicant in enumerate(APPLICANTS):
        if all(k in vectors for k in (RECEIVED, CARRIED_OVER, OUTCOME_TOTAL, CARRIED_FORWARD)):
            left = vectors[RECEIVED][j] + vectors[CARRIED_OVER][j]
            right = vectors[OUTCOME_TOTAL][j] + vectors[CARRIED_FORWARD][j]
            if abs(left - right) > 1e-9:
                out.append(Violation("table3_balance", f"{applicant}: 本年新收 + 上年结转 = {_fmt(left)}, "
                                                        f"but 总计 + 结转下年度 = {_fmt(right)}"))
        if OUTCOME_TOTAL in vectors and outcome_rows:
            total = sum(vectors[code][j] for code in outcome_rows)
            if abs(total - vectors[OUTCOME_TOTAL][j]) > 1e-9:
                out.append(Violation("table3_outcome_total", f"{applicant}: （七）总计 = "
                                     f"{_fmt(vectors[OUTCOME_TOTAL][j])}, but the outcome rows add up to {_fmt(total)}"))
    return out


def _col(row: Row, i: int) -> str:
    return "/".join(row.columns[i].dims.values())


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


# Rules whose rows record what was done with a cell; they do not lower a report's status.
NOTE_RULES = frozenset({"blank_as_zero", "cell_note", "legacy_template", "extraction_note", "ocr_derived"})
INCOMPLETE_RULES = frozenset({"table_missing", "row_missing", "cells_unresolved", "cells_ambiguous", "cells_missing",
                              "legacy_template"})


def check(rows: Mapping[str, tuple[Row, Sequence[float]]]) -> list[Violation]:
    """Every consistency rule of the templates on one report's rows."""
    out: list[Violation] = []
    for row, values in rows.values():
        out.extend(row_sum_violations(row, values))
    out.extend(column_violations({code: values for code, (_, values) in rows.items()}))
    return out


def status(issues: Sequence[Violation], n_facts: int) -> str:
    """`failed` (nothing loaded), `partial` (something missing), `inconsistent` (a rule broken) or `ok`."""
    rules = {i.rule for i in issues}
    if n_facts == 0:
        return "partial" if "legacy_template" in rules else "failed"
    if rules & INCOMPLETE_RULES:
        return "partial"
    if rules - NOTE_RULES:
        return "inconsistent"
    return "ok"
