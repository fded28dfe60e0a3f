"""A transparency scorecard per current report: six components of 0–100, each with its evidence, a
weighted score and a band. The method and the weights: docs/scorecard.md (CASS's 政府透明度指数 is the
reference for what is judged)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

import duckdb
import pandas as pd

from pipeline.parse.narrative import SIGNATURE_SIZE, similarity
from pipeline.parse.templates import TEMPLATES

# component -> weight (renormalised over the components a report can be judged on)
WEIGHTS = {"timeliness": 15, "completeness": 25, "consistency": 20, "continuity": 10, "originality": 20,
           "narrative": 10}
BANDS = (("A", 90), ("B", 80), ("C", 70), ("D", 60), ("E", 0))
CONSISTENCY = ("table3_applicant_total", "table3_balance", "table3_outcome_total", "table4_total")
LATE_DAYS_TO_ZERO = 100  # timeliness loses a point a day after the deadline
BAND_ROWS = 4  # LSH: a signature in bands of 4 values; two reports that share a band are compared
MAX_NEIGHBOURS = 64  # distinct signatures compared within one band's bucket (its neighbours in sort order)
EXPECTED_NUMBERS = {code: sum(len(r.columns) for r in t.rows() if not r.optional) for code, t in TEMPLATES.items()}


def band(score: float | None) -> str | None:
    return None if score is None else next(name for name, floor in BANDS if score >= floor)


def _components(r: dict, prior_sim: tuple[float, str] | None, peer_sim: tuple[float, str] | None
                ) -> tuple[dict[str, float | None], dict[str, str]]:
    value: dict[str, float | None] = dict.fromkeys(WEIGHTS)
    why: dict[str, str] = {}
    if r["days_after_due"] is not None:
        days = int(r["days_after_due"])
        value["timeliness"] = 100.0 if days <= 0 else max(0.0, 100.0 - days * 100 / LATE_DAYS_TO_ZERO)
        why["timeliness"] = f"published {str(r['published_at'])[:10]}, {'on time' if days <= 0 else f'{days} days late'}"
    else:
        why["timeliness"] = "no publication date or no deadline (the body's level is unknown)"
    expected = EXPECTED_NUMBERS.get(r["template"])
    if expected:
        value["completeness"] = round(100.0 * min(r["n_facts"] or 0, expected) / expected, 1)
        why["completeness"] = f"{r['n_facts']} of the template's {expected} numbers read" + (
            f"; {r['incomplete']}" if r["incomplete"] else "")
        broken = [rule for rule in CONSISTENCY if rule in (r["broken"] or [])]
        value["consistency"] = 100.0 * (len(CONSISTENCY) - len(broken)) / len(CONSISTENCY)
        why["consistency"] = f"broken: {', '.join(broken)}" if broken else "every rule of the tables holds"
    if r["has_prior"]:
        value["continuity"] = 0.0 if r["carry_issue"] else 100.0
        why["continuity"] = r["carry_issue"] or "上年结转 equals last year's 结转下年度"
    sims = [s for s in (prior_sim, peer_sim) if s is not None]
    if sims:
        worst = max(sims, key=lambda s: s[0])
        value["originality"] = round(100.0 * (1 - worst[0]), 1)
        why["originality"] = "; ".join(f"{s:.0%} of its prose like {what}" for s, what in sims)
    if r["stated_requests"] is not None and r["received"] is not None:
        agrees = r["stated_requests"] in (r["received"], r["received"] + (r["carried_over"] or 0))
        value["narrative"] = 100.0 if agrees else 0.0
        why["narrative"] = (f"the prose says {r['stated_requests']} applications; table 三 says {r['received']} "
                            f"new and {r['carried_over'] or 0} carried over")
    return value, why


def _similarities(rows: list[dict]) -> tuple[dict[str, tuple[float, str]], dict[str, tuple[float, str]]]:
    """Each report's likeness to its body's previous report, and to the most alike report of another body
    of the same year (candidates by LSH bands, so the comparison stays near linear)."""
    by_body_year = {(r["agency_id"], r["year"]): r for r in rows}
    prior: dict[str, tuple[float, str]] = {}
    peer: dict[str, tuple[float, str]] = {}
    buckets: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        before = by_body_year.get((r["agency_id"], r["year"] - 1))
        if (s := similarity(r["text_signature"], before and before["text_signature"])) is not None:
            prior[r["report_id"]] = (s, f"its {r['year'] - 1} report")
        if r["text_signature"]:
            for b in range(0, SIGNATURE_SIZE, BAND_ROWS):
                buckets[(r["year"], b, tuple(r["text_signature"][b:b + BAND_ROWS]))].append(r)
    for group in buckets.values():
        # reports with one signature are compared once: a stock text shared by thousands stays linear
        by_signature: dict[tuple, list[dict]] = defaultdict(list)
        for r in group:
            by_signature[tuple(r["text_signature"])].append(r)
        distinct = sorted(by_signature)
        for i, sig in enumerate(distinct):
            near = distinct[max(0, i - MAX_NEIGHBOURS // 2): i + MAX_NEIGHBOURS // 2 + 1]
            for other in near:
                s = 1.0 if other == sig else similarity(list(sig), list(other)) or 0.0
                for a in by_signature[sig]:
                    if s <= peer.get(a["report_id"], (-1.0, ""))[0]:
                        continue
                    b = next((b for b in by_signature[other] if b["agency_id"] != a["agency_id"]), None)
                    if b is not None:
                        peer[a["report_id"]] = (s, f"{b['agency_name']} ({b['province'] or '?'}) of the same year")
    return prior, peer


def scorecard_frame(con: duckdb.DuckDBPyConnection, years: Sequence[int]) -> pd.DataFrame:
    """One row per current report of `years`: the score, its band, its weakest component, each component
    (0–100, NULL where the report cannot be judged on it) and the evidence, as JSON."""
    wanted = sorted({int(y) for y in years})
    span = ", ".join(str(y) for y in sorted(set(wanted) | {y - 1 for y in wanted})) or "NULL"
    rows = con.execute(f"""
        SELECT r.report_id, r.agency_id, r.year, r.template, r.n_facts, r.text_signature, r.stated_requests,
               r.agency_name, a.province,
               (SELECT value FROM yoy_metrics y WHERE y.agency_id = r.agency_id AND y.year = r.year
                AND y.metric = 'days_after_due') AS days_after_due,
               (SELECT min(published_at) FROM raw_documents d WHERE d.sha256 = r.report_id) AS published_at,
               (SELECT list(DISTINCT rule) FROM report_issues i WHERE i.report_id = r.report_id) AS broken,
               (SELECT string_agg(DISTINCT rule, ', ') FROM report_issues i WHERE i.report_id = r.report_id
                AND i.severity = 'warning' AND rule NOT LIKE 'cross%' AND rule NOT LIKE 'table%'
                AND rule NOT IN ('published_dates_disagree', 'region_total_differs')) AS incomplete,
               (SELECT any_value(detail) FROM report_issues i WHERE i.report_id = r.report_id
                AND i.rule = 'cross_year_carry_over') AS carry_issue,
               -- 上年结转 against last year's 结转下年度: both years need table 三 (a legacy report has none)
               r.template IN ('2019', '2021') AND EXISTS (SELECT 1 FROM current_reports p WHERE p.agency_id = r.agency_id
                   AND p.year = r.year - 1 AND p.template IN ('2019', '2021')) AS has_prior,
               (SELECT value FROM applications f WHERE f.report_id = r.report_id AND f.applicant = 'total'
                AND f.stage = 'received') AS received,
               (SELECT value FROM applications f WHERE f.report_id = r.report_id AND f.applicant = 'total'
                AND f.stage = 'carried_over') AS carried_over
        FROM current_reports r LEFT JOIN agencies a USING (agency_id)
        WHERE r.year IN ({span}) ORDER BY r.year, r.agency_id, r.report_id""").fetchdf()  # ties: the same evidence
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    for r in records:
        r["text_signature"] = list(r["text_signature"]) if r["text_signature"] is not None else None
        r["broken"] = list(r["broken"]) if r["broken"] is not None else []
    prior, peer = _similarities(records)
    out = []
    for r in records:
        if r["year"] not in wanted:
            continue
        value, why = _components(r, prior.get(r["report_id"]), peer.get(r["report_id"]))
        judged = {k: v for k, v in value.items() if v is not None}
        weight = sum(WEIGHTS[k] for k in judged)
        score = round(sum(WEIGHTS[k] * v for k, v in judged.items()) / weight, 1) if weight else None
        weakest = min(judged, key=lambda k: (judged[k], -WEIGHTS[k])) if judged else None
        out.append({"report_id": r["report_id"], "agency_id": r["agency_id"], "year": int(r["year"]),
                    "score": score, "band": band(score), "weakest": weakest, **value,
                    "evidence": json.dumps(why, ensure_ascii=False)})
    return pd.DataFrame(out, columns=["report_id", "agency_id", "year", "score", "band", "weakest", *WEIGHTS,
                                      "evidence"])
