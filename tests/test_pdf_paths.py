"""The pdfium fast path against pdfplumber, the reference: the same text, so the same numbers, on the
corpus PDFs and on synthetic PDFs of every layout; and the pages it leaves to pdfplumber say why."""

from __future__ import annotations

import random

import pytest
from conftest import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st
from pdfplumber.table import TableFinder, intersections_to_cells
from pdfplumber.utils import extract_text

from pipeline.extract import grid, pdfium
from pipeline.extract.pdf import _settings, _text_of, extract_pdf
from pipeline.parse.describe import describe
from pipeline.synth.generate import SAMPLE_BODIES, Style, make_report, render_pdf

STYLES = {"ruled": Style(), "quirks": Style(quirks=True, rng=random.Random(3)), "borderless": Style(borderless=True)}
CASES = [(year, style) for year in (2019, 2020, 2021, 2023, 2025) for style in STYLES]


def _synthetic(year: int, style: str, seed: int = 0) -> bytes:
    return render_pdf(make_report(SAMPLE_BODIES[year % 3], year, random.Random(seed * 100 + year)), STYLES[style])


@pytest.mark.parametrize("path", sorted(CORPUS.glob("raw/*.pdf")), ids=lambda p: p.name)
def test_corpus_pdfs_read_the_same_by_both_paths(path):
    data = path.read_bytes()
    fast, reference = extract_pdf(data, "pdfium"), extract_pdf(data, "pdfplumber")
    # the same text and pages, and the same description of the report: so the same numbers. (The titles
    # themselves may differ: pdfium decodes a UTF-16 Title that pdfminer leaves as bytes.)
    assert (fast.text, fast.pages) == (reference.text, reference.pages)
    assert describe(fast.text, fast.title) == describe(reference.text, reference.title)
    assert not fast.notes, "every page of a real report should be read by the fast path"


@pytest.mark.parametrize(("year", "style"), CASES)
def test_synthetic_pdfs_read_the_same_by_both_paths(year, style):
    data = _synthetic(year, style)
    fast, reference = extract_pdf(data, "pdfium"), extract_pdf(data, "pdfplumber")
    assert (fast.text, fast.title, fast.pages) == (reference.text, reference.title, reference.pages)
    assert not fast.notes


def test_cells_from_crossings_are_pdfplumbers_cells_on_every_page():
    """grid.cells_of against pdfplumber's intersections_to_cells on every page of the corpus PDFs and of
    synthetic PDFs of every layout (crossings from pdfplumber's own TableFinder), in the same order."""
    pdfs = [p.read_bytes() for p in sorted(CORPUS.glob("raw/*.pdf"))]
    pdfs += [_synthetic(year, style, seed) for year, style in CASES for seed in (1, 2)]
    pages = 0
    for data in pdfs:
        doc = pdfium.open_document(data)
        for index in range(len(doc)):
            page = pdfium.read_page(doc, index)
            crossings = TableFinder(page, _settings(page)).intersections
            assert grid.cells_of(crossings) == intersections_to_cells(crossings)
            pages += 1
        doc.close()
    assert pages > 90


def test_a_font_the_file_only_names_is_left_to_pdfplumber_with_the_reason():
    report = make_report(SAMPLE_BODIES[0], 2022, random.Random(1))
    data = render_pdf(report, Style(embedded_font=False))
    doc = extract_pdf(data)
    assert doc.notes and all("read by pdfplumber: font STSong-Light" in n for n in doc.notes)
    assert doc.text == extract_pdf(data, "pdfplumber").text


_CHAR = st.builds(
    lambda text, x0, width, top, upright: {"text": text, "x0": x0, "x1": x0 + width, "top": top,
                                            "bottom": top + 10, "doctop": top, "upright": upright},
    st.sampled_from(list("0123456789.,-万元 ") + ["ﬁ", "12"]),
    st.floats(0, 60, allow_nan=False).map(lambda v: round(v, 1)),
    st.floats(0, 8, allow_nan=False).map(lambda v: round(v, 1)),
    st.floats(100, 108, allow_nan=False).map(lambda v: round(v, 1)),
    st.sampled_from([True, True, True, False]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_CHAR, min_size=1, max_size=6))
def test_a_cells_text_is_pdfplumbers_extract_text(chars):
    """Property: the shortcut for one-line, one-word cells gives what pdfplumber's extract_text gives,
    on characters near, apart, overlapping, on two lines, with spaces and ligatures."""
    assert _text_of(chars) == extract_text(chars)


def test_every_cell_of_the_corpus_and_synthetic_pdfs_reads_as_pdfplumber_reads_it():
    pdfs = [p.read_bytes() for p in sorted(CORPUS.glob("raw/*.pdf"))]
    pdfs += [_synthetic(year, style) for year, style in CASES]
    cells = 0
    for data in pdfs:
        doc = pdfium.open_document(data)
        for index in range(len(doc)):
            page = pdfium.read_page(doc, index)
            for table in grid.find_tables(page, _settings(page)):
                for row in table.rows:
                    for box in filter(None, row.cells):
                        inside = [c for c in page.chars if box[0] <= (c["x0"] + c["x1"]) / 2 < box[2]
                                  and box[1] <= (c["top"] + c["bottom"]) / 2 < box[3]]
                        assert _text_of(inside) == extract_text(inside)
                        cells += 1
        doc.close()
    assert cells > 2000
