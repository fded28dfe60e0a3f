"""One report's bytes -> everything the warehouse stores about it. Pure: no files, no database."""

from __future__ import annotations

from pipeline.batch.workers import grant
from pipeline.crawl.archive import content_id
from pipeline.extract import ExtractionError, extract
from pipeline.extract.sniff import detect_format
from pipeline.load.facts import ReportResult, fact_rows
from pipeline.load.identity import identify
from pipeline.parse.confirm import decline_unconfirmed
from pipeline.parse.describe import Region, ReportMeta, describe, merge_region, report_covers
from pipeline.parse.legacy import read_legacy
from pipeline.parse.narrative import narrative, signature, stated_requests
from pipeline.parse.rows import parse_tables
from pipeline.parse.rules import Violation, check, status
from pipeline.parse.templates import TEMPLATES
from pipeline.text.titles import agency_from_title

report_id_of = content_id  # a report is identified by its bytes
OCR_SECONDS_PER_PAGE = 20.0  # more time a worker's limit grants a scanned report for each page it reads by OCR


Registered = tuple[str, Region] | tuple[str, Region, str | None]  # source name, region[, the linking page's title]


def process_report(data: bytes, source_uri: str, registered: Registered | None = None) -> ReportResult:
    """Detect, extract, parse and check one report. Never raises on bad input: it records why.

    `registered`: the source's body name and region from the registry, which fill what the report's own
    words leave open (never a short name alone: see `pipeline.parse.describe.merge_region`), and the
    title of the page or link the report was found under: a file that names no body takes the body
    that title names, else the registry's.
    """
    rid = report_id_of(data)
    fmt = detect_format(data)
    try:
        doc = extract(data, fmt, on_ocr_page=lambda: grant(OCR_SECONDS_PER_PAGE))
    except ExtractionError as exc:
        meta, found = _body_from_source(None, registered)
        return ReportResult(rid, source_uri, fmt, meta, identify_id(meta), "failed",
                            issues=[Violation(exc.rule, str(exc)), *found])
    meta, found = _body_from_source(describe(doc.text, doc.title), registered)
    notes = [*found, *(Violation("extraction_note", note) for note in doc.notes)]  # e.g. converted from traditional
    if doc.read_by == "ocr":
        notes.append(Violation("ocr_derived", f"a scanned PDF: all {doc.pages} pages read by OCR, so every "
                               "number is OCR-derived; the template's sums are its check"))
    if registered is not None:
        source_name, region = registered[0], registered[1]
        merged = merge_region(meta.region, region, meta.agency_name, source_name)
        meta = ReportMeta(meta.title, meta.agency_name, meta.year, meta.template, merged)
    body = identify(meta.agency_name, meta.region)
    agency_id = body.agency_id if body else None
    issues: list[Violation] = list(notes)
    if body is not None and body.ambiguous:
        issues.append(Violation("agency_ambiguous", f"{meta.agency_name} names no region, and its place fits "
                                f"{len(body.ambiguous)}: {', '.join(body.ambiguous)}; not joined to either"))
    if body is not None and body.adcode is None and not body.ambiguous:
        issues.append(Violation("region_unknown", f"{meta.agency_name}: no place of the division tree (or of the "
                                "zones, divisions.ZONES) fits its name and the report's region: a misprinted "
                                "place name, or a zone not yet declared"))
    if meta.year is None:
        issues.append(Violation("year_unknown", "no report year in the title or the text"))
    if meta.agency_name is None:
        issues.append(Violation("agency_unknown", "no agency name in the report's title"))
    template = TEMPLATES.get(meta.template)
    if meta.template == "legacy":  # free form: the headline figures its statistics table and prose state
        legacy = read_legacy(doc.text)
        issues.append(Violation("legacy_template", "a free-form report from before the 2019 template: "
                                f"{len(legacy.figures)} headline figures read into legacy_indicators"))
        issues += legacy.issues
        rows = {"legacy_indicators": legacy.rows()}
        return ReportResult(rid, source_uri, fmt, meta, agency_id, status(issues, len(legacy.figures)), rows, issues,
                            doc.pages, doc.read_by, body, report_covers(doc.text))
    if template is None:
        issues.append(Violation("template_unknown", "neither template's tables were found: not an annual report?"))
        return ReportResult(rid, source_uri, fmt, meta, agency_id, status(issues, 0), issues=issues, pages=doc.pages,
                            read_by=doc.read_by, identity=body)
    parsed = parse_tables(doc.text, template, ocr=doc.read_by == "ocr")
    issues += parsed.issues
    if doc.read_by == "ocr":
        issues += decline_unconfirmed(parsed)
    issues += check({code: (r.row, r.values) for code, r in parsed.readings.items()})
    rows = fact_rows(parsed)
    n = sum(len(r) for r in rows.values())
    if n == 0 and not any(i.rule == "table_missing" for i in issues):
        issues.append(Violation("no_numbers", "the tables were found but no number could be read"))
    prose = narrative(doc.text)
    return ReportResult(rid, source_uri, fmt, meta, agency_id, status(issues, n), rows, issues, doc.pages,
                        doc.read_by, body, report_covers(doc.text), signature(prose), stated_requests(prose))


def _body_from_source(meta: ReportMeta | None, registered: Registered | None) -> tuple[ReportMeta | None, list[Violation]]:
    """A report whose own words name no body takes the one its linking page's title names, else the
    registry's source name (a note says which)."""
    if (meta is not None and meta.agency_name) or registered is None:
        return meta, []
    source_name, region, page_title = (*registered, None)[:3]
    from_page = agency_from_title(page_title) if page_title else None
    name, where = (from_page, "the title of the page that links it") if from_page else (source_name, "the registry")
    if not name:
        return meta, []
    base = meta or ReportMeta(page_title, None, None, "unknown", Region())
    merged = merge_region(base.region, region, name, source_name)
    return (ReportMeta(base.title, name, base.year, base.template, merged),
            [Violation("agency_from_source", f"the report names no body: {name}, from {where}")])


def identify_id(meta: ReportMeta | None) -> str | None:
    body = identify(meta.agency_name, meta.region) if meta is not None else None
    return body.agency_id if body else None
