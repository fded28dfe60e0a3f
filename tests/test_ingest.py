"""The warehouse on disk, the CLI, bad input and re-runs."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys

import duckdb
import pytest
from conftest import CORPUS, fact_key, result_facts

from gongkai.cli import main
from pipeline.synth.generate import RENDERERS, SAMPLE_BODIES, make_report

SCHEMA_COLUMNS = {
    "reports": {"report_id", "agency_id", "agency_name", "year", "template", "source_uri", "format", "status",
                "superseded_by"},
    "agencies": {"agency_id", "name", "province", "city", "county", "adcode", "level", "parent_id"},
    "report_issues": {"report_id", "rule", "detail"},
    "applications": {"report_id", "agency_id", "year", "applicant", "stage", "value"},
    "outcomes": {"report_id", "agency_id", "year", "applicant", "outcome", "value"},
    "regulations": {"report_id", "agency_id", "year", "category", "measure", "value"},
    "permits": {"report_id", "agency_id", "year", "category", "measure", "value"},
    "penalties": {"report_id", "agency_id", "year", "category", "measure", "value"},
    "fees": {"report_id", "agency_id", "year", "measure", "value"},
    "procurement": {"report_id", "agency_id", "year", "measure", "value"},
    "appeals": {"report_id", "agency_id", "year", "proceeding", "result", "value"},
}


def _db(root):
    return duckdb.connect(str(root / "warehouse" / "warehouse.duckdb"), read_only=True)


def _counts(root) -> dict[str, int]:
    with _db(root) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SCHEMA_COLUMNS}


@pytest.fixture()
def batch(tmp_path):
    """Good reports and bad input side by side."""
    src = tmp_path / "in"
    src.mkdir()
    rng = random.Random(11)
    for i, fmt in enumerate(("pdf", "html", "docx")):
        (src / f"good_{i}.{fmt}").write_bytes(RENDERERS[fmt](make_report(SAMPLE_BODIES[i], 2022, rng)))
    (src / "empty.pdf").write_bytes(b"")
    (src / "truncated.pdf").write_bytes(RENDERERS["pdf"](make_report(SAMPLE_BODIES[0], 2021, rng))[:3000])
    (src / "no_tables.html").write_bytes("<html><body><p>通知公告</p></body></html>".encode())
    full = RENDERERS["txt"](make_report(SAMPLE_BODIES[1], 2023, rng)).decode()
    (src / "missing_table4.txt").write_text(full.split("四、政府信息公开行政复议")[0], encoding="utf-8")
    shutil.copy(CORPUS / "raw" / "heilongjiang_shuangyashan_baoshan_2021.txt", src / "seed.txt")
    return src


def test_ingest_batch_records_bad_input_and_is_idempotent(batch, tmp_path, capsys):
    root = tmp_path / "data"
    assert main(["ingest", str(batch), "--data-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "total: 8 reports" in out
    with _db(root) as con:
        status = dict(con.execute("SELECT regexp_extract(source_uri, '[^/]+$'), status FROM reports").fetchall())
        issues = con.execute("SELECT regexp_extract(r.source_uri, '[^/]+$'), i.rule, i.detail FROM report_issues i "
                             "JOIN reports r USING (report_id)").fetchall()
    assert status["good_0.pdf"] == status["good_1.html"] == status["good_2.docx"] == status["seed.txt"] == "ok"
    assert status["empty.pdf"] == status["truncated.pdf"] == status["no_tables.html"] == "failed"
    assert status["missing_table4.txt"] == "partial"
    rules = {(f, r) for f, r, _ in issues}
    assert {("empty.pdf", "empty_file"), ("truncated.pdf", "unreadable_pdf"),
            ("missing_table4.txt", "table_missing")} <= rules
    assert ("no_tables.html", "template_unknown") in rules
    assert len(list((root / "raw").rglob("*.*"))) == 8  # every input's bytes are kept, the bad ones too
    before = _counts(root)
    assert main(["ingest", str(batch), "--data-dir", str(root)]) == 0
    assert _counts(root) == before


def test_schema_contract(batch, tmp_path):
    root = tmp_path / "data"
    main(["ingest", str(batch / "seed.txt"), "--data-dir", str(root)])
    with _db(root) as con:
        for table, columns in SCHEMA_COLUMNS.items():
            have = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
            assert columns <= have, (table, columns - have)
        region = con.execute("SELECT province, city, county, adcode, level FROM agencies ORDER BY adcode").fetchall()
    # the body, and the governments above it in the division tree
    assert region == [("黑龙江省", None, None, "230000", "province"), ("黑龙江省", "双鸭山市", None, "230500", "city"),
                      ("黑龙江省", "双鸭山市", "宝山区", "230506", "county")]


def test_new_version_supersedes_older(tmp_path):
    rng = random.Random(2)
    body = SAMPLE_BODIES[0]
    first, second = tmp_path / "v1.html", tmp_path / "v2.html"
    first.write_bytes(RENDERERS["html"](make_report(body, 2022, rng)))
    second.write_bytes(RENDERERS["html"](make_report(body, 2022, rng)))
    root = tmp_path / "data"
    main(["ingest", str(first), "--data-dir", str(root)])
    main(["ingest", str(second), "--data-dir", str(root)])
    with _db(root) as con:
        rows = con.execute("SELECT source_uri, superseded_by IS NOT NULL FROM reports ORDER BY source_uri").fetchall()
        current = con.execute("SELECT count(DISTINCT report_id) FROM outcomes WHERE report_id IN "
                              "(SELECT report_id FROM reports WHERE superseded_by IS NULL)").fetchone()[0]
    assert rows == [(str(first), True), (str(second), False)]
    assert current == 1


def test_sql_formats_and_read_only(tmp_path, capsys):
    root = tmp_path / "data"
    main(["ingest", str(CORPUS / "raw" / "heilongjiang_shuangyashan_baoshan_2021.txt"), "--data-dir", str(root)])
    capsys.readouterr()
    query = "SELECT value FROM fees"
    assert main(["sql", query, "--data-dir", str(root), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["value", "48.9919"]
    assert main(["sql", query, "--data-dir", str(root), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"value": 48.9919}]
    assert main(["sql", "DELETE FROM fees", "--data-dir", str(root)]) == 1
    assert "read-only" in capsys.readouterr().err


def test_console_script_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gongkai", "ingest", str(CORPUS / "raw" / "jiangsu_huaian_hongze_2023.pdf"),
                           "--data-dir", str(tmp_path)], capture_output=True, text=True, check=True)
    assert "inconsistent\t186 facts" in proc.stdout


def test_main_job_on_the_sample_twice_adds_nothing(tmp_path, capsys):
    root = tmp_path / "data"
    assert main(["run", "--data-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "[yoy_metrics]" in out and "published" in out
    before = _counts(root)
    assert before["reports"] == 21 and before["outcomes"] == 3010  # seed 0; the broken-off upload gives none
    assert main(["run", "--data-dir", str(root)]) == 0
    assert _counts(root) == before
    with _db(root) as con:
        bodies = con.execute("SELECT count(*), count(DISTINCT name) FROM agencies "
                             "WHERE agency_id IN (SELECT agency_id FROM reports)").fetchone()
        above = con.execute("SELECT count(*) FROM agencies WHERE agency_id NOT IN "
                            "(SELECT agency_id FROM reports WHERE agency_id IS NOT NULL)"
                            ).fetchone()[0]
        statuses = con.execute("SELECT status, count(*) FROM reports GROUP BY 1 ORDER BY 1").fetchall()
    assert bodies == (3, 2)  # two 宝山区 bodies, in 上海市 and in 黑龙江省, keep distinct ids
    assert above == 5  # the governments above them: 黑龙江省, 双鸭山市, 上海市, 江苏省, 淮安市
    assert statuses == [("failed", 1), ("inconsistent", 1), ("ok", 19)]  # the sample's quirks (SAMPLE_QUIRKS)
    with _db(root) as con:  # the broken-off upload names no body: the title of its link does
        assert con.execute("SELECT agency_name, county FROM reports WHERE status = 'failed'").fetchall() == [
            ("洪泽区人民政府", "洪泽区")]


def test_legacy_doc_is_converted_or_says_what_to_install(tmp_path):
    from pipeline.batch.report import process_report
    from pipeline.extract.office import soffice

    report = make_report(SAMPLE_BODIES[2], 2022, random.Random(3))
    if soffice() is None:
        result = process_report(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.doc")
        assert result.format == "doc" and result.status == "failed"
        (issue,) = result.issues
        assert issue.rule == "needs_libreoffice" and "apt-get install libreoffice" in issue.detail
        return
    (tmp_path / "r.docx").write_bytes(RENDERERS["docx"](report))
    subprocess.run([soffice(), "--headless", "--convert-to", "doc", "--outdir", str(tmp_path), str(tmp_path / "r.docx")],
                   check=True, capture_output=True, timeout=180)
    result = process_report((tmp_path / "r.doc").read_bytes(), "r.doc")
    assert result.format == "doc" and result.status == "ok"
    assert result_facts(result) == {fact_key(f): f["value"] for f in report.expected_facts()}
