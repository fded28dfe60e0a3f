"""Scanned PDFs: a real corpus report rendered to page images and wrapped as an image-only PDF comes back
through OCR with its numbers checked against the hand-checked ones; never a wrong number."""

from __future__ import annotations

import random

import pytest
from conftest import CORPUS, expected_facts, result_facts
from test_bad_input import scanned

from pipeline.batch.report import process_report
from pipeline.extract import ocr
from pipeline.synth.generate import SAMPLE_BODIES, make_report, render_pdf, render_text

needs_tesseract = pytest.mark.skipif(ocr.tesseract_missing() is not None,
                                     reason=f"OCR cannot run here: {ocr.tesseract_missing()}")


@needs_tesseract
@pytest.mark.parametrize("dpi", [200])
def test_a_scanned_corpus_report_reads_back_right(dpi):
    name = "jiangsu_huaian_hongze_2023.pdf"
    result = process_report(scanned((CORPUS / "raw" / name).read_bytes(), dpi), f"scan_{dpi}.pdf")
    assert result.read_by == "ocr"
    assert "ocr_derived" in {i.rule for i in result.issues}
    expected, got = expected_facts(name), result_facts(result)
    wrong = {k: (v, got[k]) for k, v in expected.items() if k in got and got[k] != v}
    right = sum(1 for k, v in expected.items() if got.get(k) == v)
    print(f"{dpi} dpi scan: {right} of {len(expected)} numbers right, {len(wrong)} wrong")
    assert wrong == {}
    assert right >= 0.95 * len(expected)


@needs_tesseract
@pytest.mark.parametrize("seed", [4])
def test_scanned_synthetic_reports_read_back_whole(seed):
    report = make_report(SAMPLE_BODIES[seed % 3], 2020 + seed, random.Random(seed))
    truth = result_facts(process_report(render_text(report), "t.txt"))
    got = result_facts(process_report(scanned(render_pdf(report)), "s.pdf"))
    assert {k: v for k, v in got.items() if truth.get(k) != v} == {}
    assert len(got) >= 0.95 * len(truth)


def test_without_tesseract_a_scan_says_what_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    ocr._languages.cache_clear()
    pdf = scanned(render_pdf(make_report(SAMPLE_BODIES[0], 2022, random.Random(1))))
    result = process_report(pdf, "scan.pdf")
    assert result.status == "failed"
    assert result.issues[0].rule == "needs_ocr"
    assert "apt-get install tesseract-ocr tesseract-ocr-chi-sim" in result.issues[0].detail
