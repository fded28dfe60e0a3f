"""Settle a table's run-together rows together: the readings each row allows alone, narrowed by the
rules that join rows (table 三's column sums and balance).

Exact, not heuristic: a reading is dropped only when no choice of the other rows' readings keeps a rule.
First each rule prunes alone (the sums the other rows can reach, per applicant column) until nothing
changes; then, when few combinations are left, every combination is checked against all rules at once.
What remains for a row is every reading some solution of the whole table uses, so a cell on which they
all agree is known, whatever the other cells turn out to be.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from pipeline.parse.rules import Equation, Vectors, column_equations, column_violations

Reading = tuple[float | None, ...]

MAX_REACHABLE = 5_000  # distinct sums kept per rule while pruning; past it that rule does not prune
PRUNE_WORK = 400_000  # sums formed while pruning one table (a few hundred ms at most); then it stops
MAX_COMBINATIONS = 20_000  # combinations checked together once pruning is done


def settle(certain: Vectors, ambiguous: Mapping[str, Sequence[Reading]]) -> dict[str, list[Reading]]:
    """Each ambiguous row's readings that some solution of the whole table uses. When no combination keeps
    every rule (the report's own numbers break one), the rows keep all their readings."""
    domains = {code: list(readings) for code, readings in ambiguous.items()}
    equations = column_equations([*certain, *ambiguous])
    if not equations:
        return domains
    work = [PRUNE_WORK]  # what pruning has left to spend: every step that stops early keeps a sound answer
    changed = True
    while changed and work[0] > 0:
        changed = False
        for eq in equations:
            for code, kept in _prune(eq, certain, domains, work).items():
                if not kept:
                    return {code: list(readings) for code, readings in ambiguous.items()}
                if len(kept) < len(domains[code]):
                    domains[code], changed = kept, True
    codes = [c for c in domains if len(domains[c]) > 1]
    combinations = 1
    for code in codes:
        combinations *= len(domains[code])
    if not codes or combinations > MAX_COMBINATIONS:
        return domains  # every solution still lies within these readings
    fixed = {**certain, **{c: r[0] for c, r in domains.items() if len(r) == 1}}
    used: dict[str, set[Reading]] = {code: set() for code in codes}
    for combo in itertools.product(*(domains[c] for c in codes)):
        if not column_violations({**fixed, **dict(zip(codes, combo, strict=True))}):
            for code, reading in zip(codes, combo, strict=True):
                used[code].add(reading)
    if not used[codes[0]]:
        return {code: list(readings) for code, readings in ambiguous.items()}
    return domains | {code: [r for r in domains[code] if r in used[code]] for code in codes}


def _prune(eq: Equation, certain: Vectors, domains: Mapping[str, list[Reading]],
           work: list[int]) -> dict[str, list[Reading]]:
    """The readings of each ambiguous row in `eq` for which the other rows can still make `eq` hold."""
    j = eq.column
    terms: list[tuple[str, int, set[float]]] = []
    for code, sign in [*((c, 1) for c in eq.left), *((c, -1) for c in eq.right)]:
        values = {r[j] for r in domains[code]} if code in domains else {certain[code][j]}
        if None in values:
            return {}  # a cell left out: this rule cannot prune
        terms.append((code, sign, values))  # type: ignore[arg-type]
    out: dict[str, list[Reading]] = {}
    for i, (code, sign, values) in enumerate(terms):
        if code not in domains or len(values) < 2:
            continue
        reachable = _reachable([(s, v) for k, (_, s, v) in enumerate(terms) if k != i], work)
        if reachable is None:
            continue
        out[code] = [r for r in domains[code] if _key(-sign * r[j]) in reachable]  # type: ignore[operator]
    return out


def _reachable(terms: Sequence[tuple[int, set[float]]], work: list[int]) -> set[float] | None:
    """Every sum the terms can make, or None when there are too many to be worth knowing."""
    sums = {0.0}
    for sign, values in terms:
        work[0] -= len(sums) * len(values)
        if work[0] < 0:
            return None
        sums = {_key(s + sign * v) for s in sums for v in values}
        if len(sums) > MAX_REACHABLE:
            return None
    return sums


def _key(value: float) -> float:
    return round(value, 6)  # amounts with decimals: compare sums without float noise


def agreed(readings: Sequence[Reading]) -> Reading:
    """Per column, the value every reading gives, or None where they differ."""
    return tuple(col[0] if all(v == col[0] for v in col) else None for col in zip(*readings, strict=True))
