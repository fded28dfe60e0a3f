"""Crawler-style text dumps: generated reports with every cell separator removed, read back.

    python bench/dumps.py [--reports 1000] [--seed 13]

Each report is rendered as text (cells by tabs, rows by lines), then flattened the way a crawler's
tag-stripped dump is (tabs and line breaks dropped: 行政许可2293行政处罚…). Printed: how many of the
generated numbers came back right, wrong and left out (with the share recovered), and the extra time a
flattened report costs over the same report with its separators (median and 90th percentile). Twice:
for reports printed plainly, and for reports printed with real ones' quirks, whose blank cells vanish.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.batch.report import process_report  # noqa: E402
from pipeline.parse.templates import FACT_DIMS  # noqa: E402
from pipeline.synth.generate import SAMPLE_BODIES, Style, flatten, make_report, render_text  # noqa: E402


def facts(result) -> dict[tuple, float]:
    return {(table, *row[:-1]): row[-1] for table, rows in result.fact_rows.items() for row in rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    print(f"# bench/dumps.py: {args.reports} generated reports, seed {args.seed}, separators removed")
    for quirks in (False, True):
        measure(args.reports, args.seed, quirks)


def measure(reports: int, seed: int, quirks: bool) -> None:
    """Read `reports` generated reports back from their dumps; print what came back and what it cost.
    `quirks`: printed as real reports are (blanks, dashes and 无 for zero, full-width digits, thousands
    separators, notes in cells, spaced labels), so the dump also loses every blank cell."""
    rng = random.Random(seed)
    right = wrong = left_out = 0
    extra_ms: list[float] = []
    wrong_examples: list[str] = []
    for i in range(reports):
        report = make_report(SAMPLE_BODIES[i % len(SAMPLE_BODIES)], 2019 + i % 7, rng)
        text = render_text(report, Style(quirks, random.Random(i)))
        truth = {(f["table"], *(f[d] for d in FACT_DIMS[f["table"]])): f["value"] for f in report.expected_facts()}
        start = time.perf_counter()
        process_report(text, f"r{i}.txt")
        separated = time.perf_counter() - start
        start = time.perf_counter()
        got = facts(process_report(flatten(text.decode("utf-8")).encode("utf-8"), f"r{i}_dump.txt"))
        extra_ms.append((time.perf_counter() - start - separated) * 1000)
        for key, value in truth.items():
            if key not in got:
                left_out += 1
            elif got[key] == value:
                right += 1
            else:
                wrong += 1
                if len(wrong_examples) < 5:
                    wrong_examples.append(f"report {i}: {key} = {got[key]}, printed {value}")
    total = right + wrong + left_out
    extra_ms.sort()
    print("## printed with the quirks of real reports" if quirks else "## printed plainly")
    print(f"- numbers: {total}; right {right}; wrong {wrong}; left out {left_out}; "
          f"**recovered {right / total:.1%}**")
    print(f"- extra time per report (flattened over separated): median {statistics.median(extra_ms):.1f} ms, "
          f"90th percentile {extra_ms[int(0.9 * len(extra_ms))]:.1f} ms")
    for example in wrong_examples:
        print(f"  - wrong: {example}")


if __name__ == "__main__":
    main()
