"""The scorecard: a row per current report, and a report copied from the body's previous year (every
year moved on by one) scores lower on originality, and overall, than the one it copies."""

from __future__ import annotations

import json
import re

import duckdb
import pandas as pd

from gongkai.cli import main
from pipeline.load import warehouse
from pipeline.load.scorecard import band


def _moved_on(text: str) -> str:
    return re.sub(r"(?<!\d)20[12]\d(?!\d)", lambda m: str(int(m.group()) + 1), text)


def test_a_copied_report_scores_lower_than_the_one_it_copies(corpus, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for year in (2022, 2023):  # real reports of one body
        (src / f"pingtan_{year}.txt").write_bytes((corpus / "raw" / f"fujian_pingtan_{year}.txt").read_bytes())
    copied = _moved_on((corpus / "raw" / "fujian_pingtan_2023.txt").read_text(encoding="utf-8"))
    assert "平潭综合实验区2024年度政府信息公开工作年度报告" in copied
    (src / "pingtan_2024_copied.txt").write_text(copied, encoding="utf-8")
    root = tmp_path / "data"
    assert main(["ingest", str(src), "--data-dir", str(root)]) == 0
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        current = con.execute("SELECT count(*) FROM current_reports").fetchone()[0]
        cards = {y: (score, band_, originality, json.loads(evidence)) for y, score, band_, originality, evidence in
                 con.execute("SELECT year, score, band, originality, evidence FROM scorecards").fetchall()}
    assert current == len(cards) == 3  # a row for every current report
    original, copy = cards[2023], cards[2024]
    assert original[2] > 80 and copy[2] < 20, (original, copy)
    assert copy[0] < original[0]
    assert "like its 2023 report" in copy[3]["originality"]
    assert all(band(score) == b for score, b, *_ in cards.values())
    out = tmp_path / "cards.csv"
    assert main(["scorecard", "--region", "福建省", "--year", "2024", "--csv", str(out), "--data-dir", str(root)]) == 0
    listed = pd.read_csv(out)
    assert list(listed["body"]) == ["平潭综合实验区"] and listed["weakest"][0] == "originality"


def test_bands():
    assert [band(s) for s in (95, 90, 85, 72, 60, 59.9, None)] == ["A", "A", "B", "C", "D", "E", None]


def test_a_stock_text_shared_by_many_bodies_is_found_in_each_of_them():
    from pipeline.load.scorecard import _similarities
    from pipeline.parse.narrative import signature

    stock = signature("坚持以人民为中心深化政务公开，紧紧围绕中心工作，不断拓展重点领域信息公开的广度与深度。" * 5)
    own = signature("本机关全年主动公开信息三百余条，群众来信均已办结，另有两件行政复议案件已经审结并公开结果。" * 5)
    rows = [{"report_id": f"r{i}", "agency_id": f"a{i}", "year": 2024, "text_signature": list(stock),
             "agency_name": f"body{i}", "province": "江苏省"} for i in range(300)]
    rows.append({"report_id": "own", "agency_id": "z", "year": 2024, "text_signature": list(own),
                 "agency_name": "z", "province": "江苏省"})
    _, peer = _similarities(rows)
    assert all(peer[f"r{i}"][0] == 1.0 for i in range(300))
    assert peer.get("own", (0.0, ""))[0] < 0.3
