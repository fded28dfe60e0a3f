"""The templates' consistency rules, checked on every report (and used to resolve ambiguous rows).

Rules work on row vectors keyed by `Row.code` (e.g. `outcomes:granted`), the parser's own output,
so the same functions both judge a report and choose between readings of a damaged row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pipeline.parse.cells import satisfies_rule
from pipeline.parse.templates import APPLICANTS, TEMPLATE_2021, Row

Vectors = Mapping[str, Sequence[float | None]]  # None: a cell left out

RECEIVED, CARRIED_OVER, CARRIED_FORWARD = "applications:received", "applications:carried_over", "applications:carried_forward"
OUTCOME_TOTAL, OTHER_HEADING = "outcomes:total", "outcomes:other"
_OUTCOME_ROWS = [r for r in TEMPLATE_2021.blocks[1].rows if r.table == "outcomes" and r.code != OUTCOME_TOTAL]
OTHER_PARTS = tuple(r.code for r in _OUTCOME_ROWS if r.code.startswith(OTHER_HEADING + "."))  # 2021: （六） split in 3
OUTCOME_PARTS = tuple(r.code for r in _OUTCOME_ROWS if r.code != OTHER_HEADING and r.code not in OTHER_PARTS)


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str


def row_sum_violations(row: Row, values: Sequence[float | None]) -> list[Violation]:
    out = []
    for rule in row.sums:
        if any(values[i] is None for i in (*rule.parts, rule.total)):
            continue  # a cell left out (its readings differ): the sum cannot be judged
        if not satisfies_rule(values, rule):  # type: ignore[arg-type]
            parts = [_col(row, i) for i in rule.parts]
            got = sum(values[i] for i in rule.parts)  # type: ignore[misc]
            name = "table4_total" if row.table == "appeals" else "table3_applicant_total"
            out.append(Violation(name, f"{row.code}: {_col(row, rule.total)} = {_fmt(values[rule.total])}, "  # type: ignore[arg-type]
                                       f"but {' + '.join(parts)} = {_fmt(got)}"))
    return out


@dataclass(frozen=True)
class Equation:
    """One of table 三's column rules: in applicant column `column`, the rows of `left` add up to those of
    `right`."""
    rule: str
    column: int
    left: tuple[str, ...]
    right: tuple[str, ...]

    def sides(self, vectors: Vectors) -> tuple[float, float] | None:
        """The sums of `left` and of `right`, or None when a cell they need is not known."""
        values = [vectors[c][self.column] for c in (*self.left, *self.right)]
        if any(v is None for v in values):
            return None
        return sum(values[:len(self.left)]), sum(values[len(self.left):])  # type: ignore[arg-type]


def column_equations(codes: Collection[str]) -> list[Equation]:
    """Table 三's column rules among the rows `codes`, per applicant column: 一 + 二 = （七） + 四, and
    （七） = the sum of the outcome rows."""
    out: list[Equation] = []
    outcome_rows = _outcome_parts(codes)
    balance = all(k in codes for k in (RECEIVED, CARRIED_OVER, OUTCOME_TOTAL, CARRIED_FORWARD))
    for j in range(len(APPLICANTS)):
        if balance:
            out.append(Equation("table3_balance", j, (RECEIVED, CARRIED_OVER), (OUTCOME_TOTAL, CARRIED_FORWARD)))
        if OUTCOME_TOTAL in codes and outcome_rows:
            out.append(Equation("table3_outcome_total", j, (OUTCOME_TOTAL,), outcome_rows))
    return out


def _outcome_parts(codes: Collection[str]) -> tuple[str, ...] | None:
    """The rows that add up to （七）总计, when every one of them was read. A row not read (its numbers
    unreadable, its label not found) is not zero: without it the sum says nothing, and would both flag a
    sound report and choose a wrong reading for the rows that were read."""
    if not all(code in codes for code in OUTCOME_PARTS):
        return None
    if all(code in codes for code in OTHER_PARTS):
        return OUTCOME_PARTS + OTHER_PARTS
    if OTHER_HEADING in codes and not any(code in codes for code in OTHER_PARTS):
        return (*OUTCOME_PARTS, OTHER_HEADING)  # the 2019 template, or a 2021 report printing （六） as one row
    return None


def column_violations(vectors: Vectors) -> list[Violation]:
    """Table 三's column rules (`column_equations`) that these row vectors break."""
    out: list[Violation] = []
    for eq in column_equations(vectors):
        sides = eq.sides(vectors)
        if sides is None or abs(sides[0] - sides[1]) <= 1e-9:
            continue
        applicant, (left, right) = APPLICANTS[eq.column], sides
        if eq.rule == "table3_balance":
            out.append(Violation(eq.rule, f"{applicant}: 本年新收 + 上年结转 = {_fmt(left)}, "
                                          f"but 总计 + 结转下年度 = {_fmt(right)}"))
        else:
            out.append(Violation(eq.rule, f"{applicant}: （七）总计 = {_fmt(left)}, but the outcome rows add up to "
                                          f"{_fmt(right)}"))
    return out


def _col(row: Row, i: int) -> str:
    return "/".join(row.columns[i].dims.values())


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


# Rules whose rows record what was done with a cell; they do not lower a report's status.
NOTE_RULES = frozenset({"blank_as_zero", "cell_note", "legacy_template", "extraction_note", "ocr_derived",
                        "agency_from_source", "legacy_cells_split"})
INCOMPLETE_RULES = frozenset({"table_missing", "row_missing", "cells_unresolved", "cells_ambiguous", "cells_missing",
                              "legacy_template", "ocr_unconfirmed", "legacy_cells_ambiguous", "legacy_cell_blank",
                              "legacy_columns_unclear"})


def check(rows: Mapping[str, tuple[Row, Sequence[float | None]]]) -> list[Violation]:
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
