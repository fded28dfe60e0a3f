"""The table solver measured against a real one: parse.solve's exact search with pruning and OR-Tools
CP-SAT (every solution enumerated), on the same table 三 problems: every table of 1,000 flattened
generated reports (bench/dumps.py's, seed 13) that has rows several readings fit.

    pip install ortools && python bench/solver.py

Printed: how many problems, whether both keep the same readings for every row, and each one's time.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

try:
    from ortools.sat.python import cp_model
except ImportError:
    raise SystemExit("bench/solver.py compares with OR-Tools: pip install ortools") from None

import pipeline.parse.rows as rows  # noqa: E402
from pipeline.batch.report import process_report  # noqa: E402
from pipeline.parse.rules import column_equations  # noqa: E402
from pipeline.parse.solve import settle  # noqa: E402
from pipeline.synth.generate import SAMPLE_BODIES, flatten, make_report, render_text  # noqa: E402

Readings = dict[str, list[tuple]]


def collect_problems(n: int, seed: int) -> list[tuple[dict, Readings]]:
    """The (certain rows, ambiguous rows' readings) that parsing hands to settle, report by report."""
    problems: list[tuple[dict, Readings]] = []

    def spy(certain: dict, ambiguous: Readings) -> Readings:
        problems.append((dict(certain), {code: list(r) for code, r in ambiguous.items()}))
        return settle(certain, ambiguous)

    rows.settle = spy
    rng = random.Random(seed)
    for i in range(n):
        report = make_report(SAMPLE_BODIES[i % 3], 2019 + i % 7, rng)
        process_report(flatten(render_text(report).decode("utf-8")).encode("utf-8"), f"r{i}_dump.txt")
    rows.settle = settle
    return problems


class _Used(cp_model.CpSolverSolutionCallback):
    def __init__(self, choice: dict[str, list]) -> None:
        super().__init__()
        self.choice = choice
        self.used: dict[str, set[int]] = {code: set() for code in choice}

    def on_solution_callback(self) -> None:
        for code, flags in self.choice.items():
            self.used[code].update(k for k, flag in enumerate(flags) if self.Value(flag))


def cp_sat(certain: dict, ambiguous: Readings) -> Readings:
    """Each row's readings that some solution uses: one boolean per reading, exactly one per row, and
    table 三's column rules as linear equations."""
    model = cp_model.CpModel()
    choice = {code: [model.NewBoolVar(f"{code}:{k}") for k in range(len(r))] for code, r in ambiguous.items()}
    for flags in choice.values():
        model.AddExactlyOne(flags)
    for eq in column_equations([*certain, *ambiguous]):
        terms, constant = [], 0
        for sign, codes in ((1, eq.left), (-1, eq.right)):
            for code in codes:
                if code in ambiguous:
                    terms += [sign * int(r[eq.column]) * flag
                              for r, flag in zip(ambiguous[code], choice[code], strict=True)]
                else:
                    constant += sign * int(certain[code][eq.column])
        model.Add(sum(terms) + constant == 0)
    solver = cp_model.CpSolver()
    solver.parameters.enumerate_all_solutions = True
    solver.parameters.num_workers = 1
    used = _Used(choice)
    solver.Solve(model, used)
    return {code: [ambiguous[code][k] for k in sorted(used.used[code])] for code in ambiguous}


def main() -> None:
    problems = collect_problems(1000, 13)
    ours: list[float] = []
    theirs: list[float] = []
    same = 0
    for certain, ambiguous in problems:
        start = time.perf_counter()
        a = settle(certain, ambiguous)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        b = cp_sat(certain, ambiguous)
        theirs.append(time.perf_counter() - start)
        # no solution at all (the printed numbers break a rule): settle keeps every reading
        same += all(sorted(a[c]) == sorted(b[c]) for c in ambiguous) or not any(b.values())
    print(f"# bench/solver.py: {len(problems)} table 三 problems from 1,000 flattened reports (seed 13)")
    print(f"- the same readings kept for every row: {same} of {len(problems)}")
    for name, times in (("exact search with pruning (parse.solve)", ours), ("OR-Tools CP-SAT, all solutions", theirs)):
        times.sort()
        print(f"- {name}: median {statistics.median(times) * 1000:.2f} ms, 90th percentile "
              f"{times[int(0.9 * len(times))] * 1000:.2f} ms, max {times[-1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
