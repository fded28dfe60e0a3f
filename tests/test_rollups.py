"""Rollups count each application once: a government's report that sums its region's bodies stands for
them, and its total is checked against their own reports."""

from __future__ import annotations

import random

import duckdb

from gongkai.cli import main
from pipeline.load import warehouse
from pipeline.synth.generate import Body, make_report, render_text

GOV = Body("洪泽区人民政府", "江苏省", "淮安市", "洪泽区")
DEPTS = (Body("洪泽区发展和改革委员会", "江苏省", "淮安市", "洪泽区"), Body("洪泽区教育局", "江苏省", "淮安市", "洪泽区"))
OWN = "根据《中华人民共和国政府信息公开条例》编制"
SUMS = "汇总全区各部门政府信息公开工作情况编制"


def _region(folder, sums: bool) -> None:
    folder.mkdir()
    rng = random.Random(11)
    for i, body in enumerate((GOV, *DEPTS)):
        text = render_text(make_report(body, 2024, rng)).decode("utf-8")
        if body is GOV and sums:
            assert OWN in text
            text = text.replace(OWN, SUMS, 1)
        (folder / f"r{i}.txt").write_text(text, encoding="utf-8")


def _load(tmp_path, sums: bool) -> dict:
    src, root = tmp_path / f"src{sums}", tmp_path / f"data{sums}"
    _region(src, sums)
    assert main(["ingest", str(src), "--data-dir", str(root)]) == 0
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        own = dict(con.execute("""SELECT a.level, sum(y.value) FROM yoy_metrics y JOIN agencies a USING (agency_id)
                                  WHERE metric = 'requests_received' GROUP BY 1""").fetchall())
        rollup = con.execute("""SELECT value, bodies, bodies_in_region_reports, basis FROM rollups
                                WHERE rollup = 'province' AND metric = 'requests_received'""").fetchone()
        covers = dict(con.execute("SELECT agency_name, covers FROM reports").fetchall())
        differs = con.execute("SELECT detail FROM report_issues WHERE rule = 'region_total_differs'").fetchall()
    return {"own": own, "rollup": rollup, "covers": covers, "differs": differs}


def test_a_region_report_stands_for_its_departments_and_is_checked_against_them(tmp_path):
    summed = _load(tmp_path, sums=True)
    gov, depts = summed["own"]["county"], summed["own"]["department"]
    assert summed["covers"]["洪泽区人民政府"] == "region" and summed["covers"]["洪泽区教育局"] == "own"
    value, bodies, covered, basis = summed["rollup"]
    assert (value, bodies, covered) == (gov, 1, 2) and "region reports" in basis  # each application once
    # the region's total against its bodies' own reports: flagged when it is less than their sum
    assert gov < depts  # seed 11: the region's report states fewer than its bodies' own reports add up to
    assert len(summed["differs"]) == 1 and f"report {int(depts)} in their own reports" in summed["differs"][0][0]
    alone = _load(tmp_path, sums=False)  # a government's report of its own: every body adds up
    assert alone["rollup"][:3] == (gov + depts, 3, 0) and alone["differs"] == []
