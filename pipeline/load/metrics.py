"""The metric catalogue, declared once, and the year-over-year SQL built from it.

A metric is a SQL query over the fact tables that gives one value per report. It is computed only for
the templates that define it the same way, so a 2021 fee amount (万元) is never compared with a 2019
fee item count: `yoy_metrics` compares a metric across years only where both years define it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.load.deadlines import due_date_sql

BOTH = ("2019", "2021")
ANY = (*BOTH, "legacy")  # timeliness does not depend on the template
LEGACY_TOO = ANY  # a template metric that reports of 2008–2018 state too (legacy_sql)


@dataclass(frozen=True)
class Metric:
    code: str
    label_zh: str
    label_en: str
    unit: str
    templates: tuple[str, ...]
    sql: str  # SELECT report_id, value ... (one row per report)
    additive: bool = True  # a sum over bodies means something (rollups)
    legacy_sql: str | None = None  # the same from legacy_indicators, where a 2008–2018 figure means the same
    boundary: str = "not defined before the 2019 template: the series starts in 2019"  # 2018 -> 2019


def _fact(table: str, value: str = "value", **where: str) -> str:
    cond = " AND ".join(f"{k} = '{v}'" for k, v in where.items())
    return f"SELECT report_id, {value} AS value FROM {table} WHERE {cond}"


def _legacy(indicator: str) -> str:
    return f"SELECT report_id, value FROM legacy_indicators WHERE indicator = '{indicator}' AND scope = 'year'"


def _share(outcome: str) -> str:
    return ("SELECT report_id, sum(value) FILTER (WHERE outcome " + outcome + ") / "
            "nullif(sum(value) FILTER (WHERE outcome = 'total'), 0) AS value "
            "FROM outcomes WHERE applicant = 'total' GROUP BY report_id")


METRICS: tuple[Metric, ...] = (
    Metric("requests_received", "本年新收申请数", "requests received", "count", LEGACY_TOO,
           _fact("applications", stage="received", applicant="total"), legacy_sql=_legacy("requests_received"),
           boundary="joins: legacy 受理（收到）政府信息公开申请总数 is the year's applications, as 本年新收 is; some "
                    "legacy tables counted only the applications accepted (受理), so a 2018→2019 step may be a "
                    "change of counting"),
    Metric("requests_carried_over", "上年结转申请数", "requests carried over from last year", "count", BOTH,
           _fact("applications", stage="carried_over", applicant="total")),
    Metric("requests_handled", "本年办理总计", "requests handled", "count", BOTH,
           _fact("outcomes", outcome="total", applicant="total")),
    Metric("requests_carried_forward", "结转下年度", "requests carried forward", "count", BOTH,
           _fact("applications", stage="carried_forward", applicant="total")),
    Metric("granted_share", "予以公开占比", "granted share of handled", "ratio", LEGACY_TOO, _share("= 'granted'"), False,
           legacy_sql="SELECT report_id, sum(value) FILTER (WHERE indicator = 'granted') / nullif(sum(value) FILTER "
                      "(WHERE indicator = 'responses_total'), 0) AS value FROM legacy_indicators WHERE scope = 'year' "
                      "GROUP BY report_id HAVING count(*) FILTER (WHERE indicator = 'granted') > 0 "
                      "AND count(*) FILTER (WHERE indicator = 'responses_total') > 0",
           boundary="joins, with a different denominator: legacy 同意公开 ÷ 对申请的答复总数 (answers given); from "
                    "2019 予以公开 ÷ 办理结果总计, which also counts 不予处理 and 其他处理, so shares after 2018 "
                    "tend to run lower"),
    Metric("partially_granted_share", "部分公开占比", "partially granted share of handled", "ratio", BOTH,
           _share("= 'partially_granted'"), False),
    Metric("withheld_share", "不予公开占比", "withheld share of handled", "ratio", BOTH, _share("LIKE 'withheld.%'"), False),
    Metric("unavailable_share", "无法提供占比", "unavailable share of handled", "ratio", BOTH,
           _share("LIKE 'unavailable.%'"), False),
    Metric("not_processed_share", "不予处理占比", "not processed share of handled", "ratio", BOTH,
           _share("LIKE 'not_processed.%'"), False),
    Metric("other_share", "其他处理占比", "other outcome share of handled", "ratio", BOTH,
           _share("IN ('other', 'other.no_correction', 'other.fee_unpaid', 'other.other')"), False),
    Metric("permits_decided", "行政许可处理决定数", "permit decisions", "count", BOTH,
           _fact("permits", category="administrative_permit", measure="decisions")),
    Metric("penalties_decided", "行政处罚处理决定数", "penalty decisions", "count", BOTH,
           _fact("penalties", category="penalty", measure="decisions")),
    Metric("coercion_decided", "行政强制处理决定数", "coercive measure decisions", "count", BOTH,
           _fact("penalties", category="coercion", measure="decisions")),
    Metric("fees_wan_yuan", "行政事业性收费金额（万元）", "fee amount (10k yuan)", "wan_yuan", ("2021",),
           _fact("fees", measure="amount_wan_yuan")),
    Metric("normative_documents_issued", "本年制发规范性文件", "normative documents issued", "count", ("2021",),
           _fact("regulations", category="normative_document", measure="issued")),
    Metric("normative_documents_in_force", "现行有效规范性文件", "normative documents in force", "count", ("2021",),
           _fact("regulations", category="normative_document", measure="in_force")),
    Metric("review_total", "行政复议总计", "administrative reviews", "count", LEGACY_TOO,
           _fact("appeals", proceeding="review", result="total"), legacy_sql=_legacy("review_total"),
           boundary="joins: legacy 行政复议数 and the 2019 template's 行政复议总计 both count the year's reviews "
                    "over disclosure"),
    Metric("litigation_total", "行政诉讼总计", "lawsuits (direct and after review)", "count", LEGACY_TOO,
           "SELECT report_id, sum(value) AS value FROM appeals WHERE result = 'total' "
           "AND proceeding IN ('litigation_direct', 'litigation_after_review') GROUP BY report_id",
           legacy_sql=_legacy("litigation_total"),
           boundary="joins: legacy 行政诉讼数 is every lawsuit over disclosure; from 2019 the sum of 未经复议直接起诉 "
                    "and 复议后起诉"),
    Metric("review_correction_rate", "行政复议纠正率", "review correction rate", "ratio", BOTH,
           "SELECT report_id, sum(value) FILTER (WHERE result = 'corrected') / nullif(sum(value) FILTER "
           "(WHERE result = 'total') - sum(value) FILTER (WHERE result = 'pending'), 0) AS value "
           "FROM appeals WHERE proceeding = 'review' GROUP BY report_id", False),
    Metric("litigation_correction_rate", "行政诉讼纠正率", "litigation correction rate", "ratio", BOTH,
           "SELECT report_id, sum(value) FILTER (WHERE result = 'corrected') / nullif(sum(value) FILTER "
           "(WHERE result = 'total') - sum(value) FILTER (WHERE result = 'pending'), 0) AS value FROM appeals "
           "WHERE proceeding IN ('litigation_direct', 'litigation_after_review') GROUP BY report_id", False),
)
# timeliness: against the deadline of the law in force for the report year and the body's level
# (pipeline/load/deadlines.py); NULL where the level, and so the deadline, is unknown
_DUE = due_date_sql("r.year", "a.level")
_TIMELY = ("joins, against the law in force: 31 March for every body to 2018 (2007 条例 第三十一条), from 2019 "
           "31 January for departments and 31 March for governments (第四十九条)")
_PUBLISHED = ("SELECT r.report_id, {value} AS value FROM reports r JOIN (SELECT sha256, min(published_at) AS published_at "
              "FROM raw_documents WHERE sha256 IS NOT NULL AND published_at IS NOT NULL GROUP BY sha256) d "
              "ON d.sha256 = r.report_id LEFT JOIN agencies a ON a.agency_id = r.agency_id")
METRICS += (
    Metric("published_late", "逾期发布（按条例规定期限）", "published after the due date (1 = late; deadlines table)",
           "flag", ANY, _PUBLISHED.format(value=f"CASE WHEN d.published_at > {_DUE} THEN 1 "
                                                 f"WHEN {_DUE} IS NOT NULL THEN 0 END"), boundary=_TIMELY),
    Metric("days_after_due", "发布日距截止日天数", "days from the due date to publication (negative: early)", "days",
           ANY, _PUBLISHED.format(value=f"date_diff('day', {_DUE}, d.published_at)"), False, boundary=_TIMELY),
)
METRIC_BY_CODE = {m.code: m for m in METRICS}


def definitions_frame() -> pd.DataFrame:
    return pd.DataFrame([{"metric": m.code, "label_zh": m.label_zh, "label_en": m.label_en, "unit": m.unit,
                          "templates": ",".join(m.templates), "formula": m.sql, "additive": m.additive,
                          "legacy_formula": m.legacy_sql, "boundary": m.boundary}
                         for m in METRICS])


def metric_values_sql() -> str:
    """One row per current report version and metric: agency_id, year, template, metric, value."""
    parts = []
    for m in METRICS:
        own = [t for t in m.templates if t != "legacy" or m.legacy_sql is None]  # legacy_sql reads legacy reports
        for sql, templates in ((m.sql, own), (m.legacy_sql, ["legacy"] if m.legacy_sql else [])):
            if not templates:
                continue
            listed = ", ".join(f"'{t}'" for t in templates)
            parts.append(f"SELECT r.agency_id, r.year, r.template, '{m.code}' AS metric, CAST(v.value AS DOUBLE) AS "
                         f"value FROM ({sql}) v JOIN current_reports r USING (report_id) WHERE r.template IN ({listed})")
    return "\nUNION ALL\n".join(parts)


def yoy_sql(years: list[int]) -> str:
    """yoy_metrics rows for `years`: the prior value is the same body's, same metric, year - 1.
    Needs the view current_reports (`derive.VIEWS`)."""
    wanted = ", ".join(str(int(y)) for y in years) or "NULL"
    return f"""
        WITH v AS ({metric_values_sql()})
        SELECT cur.agency_id, cur.year, cur.metric, cur.value, prev.value AS prior_value,
               cur.value - prev.value AS change,
               CASE WHEN prev.value IS NULL OR prev.value = 0 THEN NULL
                    ELSE (cur.value - prev.value) / abs(prev.value) END AS pct_change
        FROM v cur LEFT JOIN v prev
          ON prev.agency_id = cur.agency_id AND prev.metric = cur.metric AND prev.year = cur.year - 1
        WHERE cur.year IN ({wanted})
        ORDER BY cur.agency_id, cur.metric
    """


def catalogue_markdown() -> str:
    """docs/metrics.md, rendered from the catalogue (a test keeps the file in step)."""
    lines = ["# Metrics", "",
             "Declared once in `pipeline/load/metrics.py` (`METRICS`), stored in the warehouse as `metric_definitions`,",
             "and compared across years only where both years' templates define them (`templates`). A ratio is NULL",
             "where its denominator is 0. `additive` metrics are summed in the `rollups` view.", "",
             "| metric | 中文 | meaning | unit | templates | additive |", "|---|---|---|---|---|---|"]
    lines += [f"| `{m.code}` | {m.label_zh} | {m.label_en} | {m.unit} | {', '.join(m.templates)} | "
              f"{'yes' if m.additive else 'no'} |" for m in METRICS]
    lines += ["", "## Across 2018→2019", "",
              "Reports of 2008–2018 have no template; their headline figures are in `legacy_indicators`. A metric whose",
              "`templates` include `legacy` joins the same series across the boundary (its prior value for 2019 is the",
              "2018 report's), read by its legacy formula; `metric_definitions.boundary` says how far the definitions",
              "differ. `gongkai compare`, its charts and the explorer mark where a body's template changes.", "",
              "| metric | at 2018→2019 |", "|---|---|"]
    lines += [f"| `{m.code}` | {m.boundary} |" for m in METRICS if m.legacy_sql or "legacy" in m.templates]
    lines += ["", "Formulas (one value per report version; `current_reports` chooses the version):", ""]
    lines += [f"- `{m.code}`: `{m.sql}`" + (f"; reports of 2008–2018: `{m.legacy_sql}`" if m.legacy_sql else "")
              for m in METRICS]
    return "\n".join(lines) + "\n"
