"""The format harness: every corpus report with hand-checked numbers, re-published as bodies publish it,
reads back with no wrong number and with everything the published report gives.

The DOCX, DOC and PDF kinds run in every test run (LibreOffice renders them: about a minute). The scans
read every page twice by OCR (a few minutes per kind): they run with `GONGKAI_SLOW=1`, and
`python bench/formats.py` prints the whole table (bench/RESULTS.md).
"""

from __future__ import annotations

import os
from functools import lru_cache

import pytest
from conftest import CORPUS

from pipeline.batch.harness import SAVED, SCANS, Known, corpus_reports, read_back, variants
from pipeline.extract.ocr import ocr_missing
from pipeline.extract.office import soffice

needs_libreoffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed: apt-get install "
                                       "libreoffice-writer-nogui (it renders the DOCX, DOC and PDF variants)")
slow = pytest.mark.skipif(os.environ.get("GONGKAI_SLOW") != "1",
                          reason="OCR over every page of every corpus report: set GONGKAI_SLOW=1")


@lru_cache(maxsize=1)
def _reports() -> tuple[Known, ...]:
    return tuple(corpus_reports(CORPUS))


@lru_cache(maxsize=1)
def _published() -> dict[str, int]:
    """What each report gives as it was published: the most a re-published copy can give back."""
    return {report.name: read_back(report, "published", report.data)[1].right for report in _reports()}


def _read_all(kind: str) -> list[tuple[str, int, int, int, tuple]]:
    out = []
    for report, _, data in variants(_reports(), [kind]):
        _, got = read_back(report, kind, data)
        out.append((report.name, got.right, got.wrong, got.expected, got.wrong_facts))
    return out


def test_the_harness_covers_every_report_with_checked_numbers(corpus):
    names = {report.name for report in _reports()}
    assert len(names) == len(list((corpus / "expected").glob("*.json"))) + 7  # the raw files and 7 Pingtan pages
    assert {f"pingtan_page_{year}.html" for year in range(2019, 2026)} <= names


@needs_libreoffice
@pytest.mark.parametrize("kind", SAVED)
def test_saved_by_word_every_number_comes_back(kind):
    """DOCX and DOC give back all the published report gives; a Word-exported PDF, where rows and labels
    run across lines and pages, at least 98 % of it. Never a wrong number."""
    results = _read_all(kind)
    assert len(results) == sum(1 for r in _reports() if r.ext != "pdf")
    assert [(name, facts) for name, _, wrong, _, facts in results if wrong] == []
    given = sum(_published()[name] for name, *_ in results)
    right = sum(right for _, right, *_ in results)
    print(f"{kind}: {right} of the {given} numbers the published reports give")
    assert right >= (1.0 if kind in ("docx", "doc") else 0.98) * given


@slow
@pytest.mark.skipif(ocr_missing() is not None, reason=f"OCR cannot run here: {ocr_missing()}")
@pytest.mark.parametrize("kind", list(SCANS))
def test_scanned_never_a_wrong_number(kind):
    results = _read_all(kind)
    assert [(name, facts) for name, _, wrong, _, facts in results if wrong] == []
    right, expected = sum(r[1] for r in results), sum(r[3] for r in results)
    print(f"{kind}: {right} of {expected} numbers right")
    assert right >= (0.7 if kind == "scan degraded" else 0.9) * expected
