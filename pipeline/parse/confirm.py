"""Numbers read by OCR stand only where the template's rules hold with them.

Every OCR cell that loads has two readings that agree, or was chosen by the sums (`cells.candidates`).
Two engines can still agree on a wrong digit; a rule that then breaks (a row total, table 三's balance
or column sums, a table 四 total) cannot tell the misread cell from the printed ones, so every cell it
involves is left out, with what was read.
"""

from __future__ import annotations

from collections import defaultdict

from pipeline.parse.cells import satisfies_rule
from pipeline.parse.rows import Parsed, RowReading
from pipeline.parse.rules import Violation, column_equations

RULE = "ocr_unconfirmed"


def broken_cells(parsed: Parsed) -> dict[str, set[int]]:
    """For each row, the columns of the cells that a broken rule involves."""
    out: dict[str, set[int]] = defaultdict(set)
    for code, reading in parsed.readings.items():
        values = reading.values
        for rule in reading.row.sums:
            members = (*rule.parts, rule.total)
            if all(values[i] is not None for i in members) and not satisfies_rule(values, rule):
                out[code].update(members)
    vectors = parsed.vectors()
    for eq in column_equations(vectors):
        sides = eq.sides(vectors)
        if sides is not None and abs(sides[0] - sides[1]) > 1e-9:
            for code in (*eq.left, *eq.right):
                out[code].add(eq.column)
    return dict(out)


def decline_unconfirmed(parsed: Parsed) -> list[Violation]:
    """Leave out every OCR cell that a broken rule involves; say which, and what was read."""
    issues = []
    for code, columns in broken_cells(parsed).items():
        reading = parsed.readings[code]
        values = list(reading.values)
        shown = ", ".join(f"{'/'.join(reading.row.columns[i].dims.values()) or i}={_plain(values[i])}"
                          for i in sorted(columns))
        for i in columns:
            values[i] = None
        parsed.readings[code] = RowReading(reading.row, tuple(values), reading.cells)
        issues.append(Violation(RULE, f"{code}: read by OCR as {shown}, but the template's sums do not hold "
                                      "with them (a misread cell or the report's own arithmetic): left out"))
    return issues


def _plain(value: float | None) -> str:
    return "?" if value is None else str(int(value)) if float(value).is_integer() else f"{value:g}"
