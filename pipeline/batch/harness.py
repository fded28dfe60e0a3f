"""The format harness: reports whose numbers were checked by hand, re-published the ways bodies publish
them (saved by LibreOffice as DOCX, DOC and PDF; printed and scanned, clean and degraded), each variant
read back and scored against the hand-checked numbers: right, wrong (the one count that must stay 0)
and declined.

`bench/formats.py` prints the table over the shared corpus; `tests/test_formats.py` holds the pipeline
to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.batch.report import process_report
from pipeline.load.facts import ReportResult
from pipeline.synth.formats import CLEAN, DEGRADED, Scan, save_as, scan

FactKey = tuple


@dataclass(frozen=True)
class Known:
    """A report whose every number was checked by hand."""

    name: str
    data: bytes
    ext: str  # html, txt or pdf: how it was published
    expected: dict[FactKey, float]


# Each kind: how a known report is re-published. "published" is the report as it was found.
SAVED = ("docx", "doc", "pdf")
SCANS: dict[str, Scan] = {
    "scan 200 dpi": CLEAN,
    "scan 150 dpi": Scan(dpi=150),
    "scan 300 dpi": Scan(dpi=300),
    "scan degraded": DEGRADED,  # 200 dpi, tilted up to 2°, noise, JPEG q40, a red seal
}
KINDS = ("published", *SAVED, *SCANS)


def fact_key(fact: dict) -> FactKey:
    return (fact["table"], *sorted((k, v) for k, v in fact.items() if k not in ("table", "value")))


def expected_facts(path: Path) -> dict[FactKey, float]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {fact_key(f): f["value"] for f in data["facts"]}


def result_facts(result: ReportResult) -> dict[FactKey, float]:
    out = {}
    for table, frame in result.facts.items():
        for rec in frame.to_dict("records"):
            fact = {k: v for k, v in rec.items() if k not in ("report_id", "agency_id", "year")}
            out[fact_key({"table": table, **fact})] = rec["value"]
    return out


_PAGE_YEAR = re.compile(r"((?:19|20)\d{2})年")


def corpus_reports(corpus: Path) -> list[Known]:
    """Every report of the shared corpus with hand-checked numbers: the raw files with an expected file,
    and the Pingtan site's pages (the same numbers as their text dumps, expected/README.md says)."""
    out = []
    for path in sorted((corpus / "raw").iterdir()):
        expected = corpus / "expected" / f"{path.name}.json"
        if expected.exists():
            out.append(Known(path.name, path.read_bytes(), path.suffix.lstrip("."), expected_facts(expected)))
    for page in sorted(corpus.glob("pingtan_site/*/*/page.html")):
        year = _PAGE_YEAR.search(page.parent.name)
        expected = corpus / "expected" / f"fujian_pingtan_{year.group(1) if year else ''}.txt.json"
        if expected.exists():
            out.append(Known(f"pingtan_page_{year.group(1)}.html", page.read_bytes(), "html",  # type: ignore[union-attr]
                             expected_facts(expected)))
    return out


def variants(reports: Iterable[Known], kinds: Iterable[str]) -> Iterator[tuple[Known, str, bytes]]:
    """Each report as each kind, LibreOffice's conversions batched by source format. Scans are made of the
    report's PDF: the one it was published as, or the one LibreOffice saved."""
    reports, kinds = list(reports), list(kinds)
    saved: dict[tuple[str, str], bytes] = {}
    wanted = {k for k in kinds if k in SAVED} | ({"pdf"} if any(k in SCANS for k in kinds) else set())
    for ext in sorted({r.ext for r in reports} - {"pdf"}):
        group = {r.name: r.data for r in reports if r.ext == ext}
        for kind in sorted(wanted):
            for name, data in save_as(group, ext, kind).items():
                saved[(name, kind)] = data
    for report in reports:
        for kind in kinds:
            if kind == "published":
                yield report, kind, report.data
            elif kind in SAVED and report.ext != "pdf":
                yield report, kind, saved[(report.name, kind)]
            elif kind in SCANS:
                pdf = report.data if report.ext == "pdf" else saved[(report.name, "pdf")]
                yield report, kind, scan(pdf, SCANS[kind])


@dataclass
class Score:
    expected: int = 0
    right: int = 0
    wrong: int = 0
    seconds: float = 0.0
    reports: int = 0
    wrong_facts: tuple = ()

    @property
    def declined(self) -> int:
        return self.expected - self.right - self.wrong

    def add(self, other: Score) -> None:
        self.expected += other.expected
        self.right += other.right
        self.wrong += other.wrong
        self.seconds += other.seconds
        self.reports += other.reports
        self.wrong_facts += other.wrong_facts


def score(report: Known, result: ReportResult, seconds: float = 0.0) -> Score:
    """How many of the report's numbers came back right, and which came back wrong."""
    got = result_facts(result)
    wrong = tuple((key, value, got[key]) for key, value in report.expected.items() if key in got and got[key] != value)
    right = sum(1 for key, value in report.expected.items() if got.get(key) == value)
    return Score(len(report.expected), right, len(wrong), seconds, 1, wrong)


def read_back(report: Known, kind: str, data: bytes) -> tuple[ReportResult, Score]:
    import time

    started = time.perf_counter()
    result = process_report(data, f"{report.name}.{kind.replace(' ', '_')}")
    return result, score(report, result, time.perf_counter() - started)
