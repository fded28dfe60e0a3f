"""What each warehouse table and column means: the contract of SCHEMA.md, declared once as data.

Dagster's column schemas, `gongkai tables` and the export manifest all read it here. Code columns list
their codes from the templates (`parse.templates`), so a code added there is described everywhere."""

from __future__ import annotations

from pipeline.load.metrics import METRICS
from pipeline.parse.legacy import LEGACY_INDICATORS
from pipeline.parse.templates import FACT_DIMS, FACT_TABLES, TEMPLATES

SCHEMA_VERSION = "2026.12"  # bumped when a table or column of the contract changes

# the codes' Chinese labels, as the templates print them (SCHEMA.md)
CODE_LABELS = {
    "natural_person": "自然人", "commercial_enterprise": "商业企业", "research_institution": "科研机构",
    "social_welfare_org": "社会公益组织", "legal_service_org": "法律服务机构", "other_org": "其他",
    "total": "总计", "received": "本年新收", "carried_over": "上年结转", "carried_forward": "结转下年度继续办理",
    "granted": "予以公开", "partially_granted": "部分公开", "withheld.state_secret": "属于国家秘密",
    "withheld.prohibited_by_law": "其他法律行政法规禁止公开", "withheld.security_stability": "危及“三安全一稳定”",
    "withheld.third_party_rights": "保护第三方合法权益", "withheld.internal_affairs": "属于三类内部事务信息",
    "withheld.process_information": "属于四类过程性信息", "withheld.enforcement_file": "属于行政执法案卷",
    "withheld.administrative_query": "属于行政查询事项", "unavailable.not_held": "本机关不掌握相关政府信息",
    "unavailable.needs_creation": "没有现成信息需要另行制作", "unavailable.still_unclear": "补正后申请内容仍不明确",
    "not_processed.petition": "信访举报投诉类申请", "not_processed.duplicate": "重复申请",
    "not_processed.publication": "要求提供公开出版物", "not_processed.excessive": "无正当理由大量反复申请",
    "not_processed.confirmation": "要求行政机关确认或重新出具已获取信息", "other": "其他处理",
    "other.no_correction": "申请人无正当理由逾期不补正", "other.fee_unpaid": "申请人逾期未按收费通知要求缴纳费用",
    "other.other": "其他", "rule": "规章", "normative_document": "规范性文件", "issued": "本年制发",
    "repealed": "本年废止", "in_force": "现行有效", "made": "本年新制作", "published": "本年新公开",
    "total_published": "对外公开总数量", "administrative_permit": "行政许可", "other_service": "其他对外管理服务事项",
    "decisions": "处理决定数量", "items_prior_year": "上一年项目数量", "items_change": "本年增/减",
    "penalty": "行政处罚", "coercion": "行政强制", "amount_wan_yuan": "金额（万元）", "projects": "采购项目数量",
    "review": "行政复议", "litigation_direct": "未经复议直接起诉", "litigation_after_review": "复议后起诉",
    "upheld": "维持", "corrected": "纠正", "pending": "尚未审结",
    "appeals.other": "其他结果",  # a code whose label differs by table: TABLE.code
}

FACT_DESCRIPTIONS = {
    "applications": "Table 三, rows 一, 二 and 四: requests received, carried over and carried forward, by applicant.",
    "outcomes": "Table 三, row 三 (本年度办理结果): how the year's requests ended, by applicant.",
    "regulations": "Table 二, 第二十条第（一）项: rules and normative documents issued, repealed, in force.",
    "permits": "Table 二, 第二十条第（五）项: administrative permits (and 2019's other services).",
    "penalties": "Table 二, 第二十条第（六）项: administrative penalties and coercive measures.",
    "fees": "Table 二, 第二十条第（八）项: administrative fees (an amount from 2021, item counts in 2019).",
    "procurement": "Table 二, 第二十条第（九）项, 2019 template only: centralised government procurement.",
    "appeals": "Table 四: administrative review and litigation over disclosure, by result.",
    "legacy_indicators": "Reports of 2008–2018: each headline figure a report states, from its statistics table "
                         "or its prose, for the year or cumulative, with the words it was read from.",
}

TABLE_DESCRIPTIONS = {
    "reports": "One row per ingested report version: its body, year, template, source and load status.",
    "agencies": "The publishing bodies, one agency_id each across years, placed in their region.",
    "report_issues": "Every consistency failure, missing table and extraction problem, one row each.",
    "sources": "The registry's bodies as crawled: the denominator of coverage.",
    "raw_documents": "Every document fetched or registered (and every failed fetch), archived by content hash.",
    "fetch_state": "The crawler's memory of each URL: validators for conditional GET and the listing entry.",
    "yoy_metrics": "Each body's metrics against its own previous year, one row per agency, year and metric.",
    "metric_definitions": "What each metric of yoy_metrics means, its unit and the templates it spans.",
    "scorecards": "A transparency scorecard per current report: six components of 0–100 with evidence, a "
                  "weighted score and a band A–E (docs/scorecard.md).",
    "deadlines": "When reports are due: the law and article, the levels and report years it governs, the date.",
    **FACT_DESCRIPTIONS,
    "current_reports": "View: a body's current version of each year's report (what every comparison uses).",
    "coverage": "View: registered sources x report years, with how many current reports each published.",
    "agency_names": "View: every title each body was read under, with its years and reports.",
    "rollups": "View: sums of the additive metrics by province, by city and by level of government.",
}

_COMMON = {
    "report_id": "the report version the number was read from (reports.report_id)",
    "agency_id": "the publishing body, the same across years (agencies.agency_id)",
    "year": "the report year: the year the report is about, not the year it was published",
}

COLUMN_MEANINGS: dict[str, dict[str, str]] = {
    "reports": {
        **_COMMON, "report_id": "stable id of this report version: sha256 of the raw bytes",
        "agency_name": "the body's name as printed in the report's title, e.g. 宝山区人民政府",
        "template": "2021 (国办公开办函〔2021〕30号), 2019 (〔2019〕60号), legacy (pre-2019 free form) or unknown",
        "source_uri": "where the bytes came from: the URL, or the local path as given to the ingest",
        "format": "pdf, html, docx, doc, txt, ... (detected from the bytes, not the name)",
        "status": "ok; inconsistent (numbers loaded, a consistency rule failed); partial (some standard tables "
                  "missing); failed (nothing loaded)",
        "superseded_by": "report_id of a later version of the same body's year, else NULL",
        "title": "the report's title as read", "province": "province as read from the report or its source",
        "city": "city (地级) as read", "county": "county (县级) as read", "pages": "pages in the document",
        "n_facts": "numbers loaded into the fact tables from this report",
        "raw_path": "the archived bytes (DATA_DIR/raw/)", "ingested_at": "when this version was loaded",
        "read_by": "text (a text layer, HTML, Word) or ocr (page images: every number OCR-derived)",
        "covers": "region: a government's report that states it sums its region's bodies (汇总…各单位), so its "
                  "figures include its departments' and townships'; own: the body's own",
        "text_signature": "a MinHash of the report's prose (outside the tables, digits as one symbol): the share of "
                          "equal values estimates how much text two reports share",
        "stated_requests": "the applications received that the prose states (收到…申请N件), if it states them",
    },
    "agencies": {
        "agency_id": _COMMON["agency_id"], "name": "the body's name", "province": "province",
        "city": "city (地级), where known", "county": "county (县级), where known",
        "adcode": "the 6-digit administrative division code of the body's region, where known",
        "level": "province, city, county, township or department", "parent_id": "the body it reports to",
        "canonical_name": "the name normalised for matching across years and titles",
    },
    "report_issues": {
        "report_id": _COMMON["report_id"], "rule": "the rule broken or the problem met (docs/metrics.md)",
        "detail": "what was found, in words and numbers", "severity": "error, warning or note",
        "year": _COMMON["year"],
    },
    "sources": {
        "source_id": "the registry's id of the body", "name": "the body's name", "region": "province/city/county",
        "level": "province, city, county, township or department", "parent": "the registry's parent body",
        "listing_urls": "the report listings the registry gives",
        "discovered_listing": "the report column found on the body's portal, when only a portal was given",
    },
    "raw_documents": {
        "sha256": "content hash of the bytes (reports.report_id); NULL for a failed fetch",
        "url": "where the document was fetched from, or its local path", "source_id": "the registry's body",
        "fetched_at": "when it was fetched", "http_status": "the HTTP status of the answer",
        "content_type": "the Content-Type of the answer", "bytes": "size of the body",
        "referer": "the page that linked to it", "link_title": "the link's text on that page",
        "published_at": "the publication date as the listing or the page gives it",
        "format": "pdf, html, docx, ... (from the bytes)", "report_year": "the report year its title names",
        "raw_path": "the archived bytes (DATA_DIR/raw/)", "error": "why the fetch or the archive failed, else NULL",
        "kind": "report, page (an article page whose report is its attachment) or listing",
        "source_name": "the registry's name of the body", "source_region": "the registry's region",
        "source_level": "the registry's level",
        "published_at_source": "where published_at was read: meta:NAME (the CMS's meta tag), publishtime, "
                               "label:公开日期 (a labelled field on the page), or listing (the date beside its link)",
        "dates_disagree": "the listing's and the page's dates, when they differ by more than a week",
    },
    "fetch_state": {
        "url": "a URL the crawler has fetched", "etag": "its last ETag (conditional GET)",
        "last_modified": "its last Last-Modified (conditional GET)", "sha256": "the hash of its last body",
        "checked_at": "when it was last asked", "entry": "the listing entry it was found under (text and date)",
    },
    "yoy_metrics": {
        "agency_id": _COMMON["agency_id"], "year": _COMMON["year"],
        "metric": "the metric's code: " + ", ".join(m.code for m in METRICS) + " (metric_definitions)",
        "value": "this year's value", "prior_value": "the same body's value for year − 1, NULL when none",
        "change": "value − prior_value", "pct_change": "(value − prior_value) ÷ prior_value; NULL when prior is 0",
    },
    "scorecards": {
        "report_id": "the report scored (a current version)", "agency_id": _COMMON["agency_id"],
        "year": _COMMON["year"], "score": "0–100: the components' weighted mean, over those the report can be "
                                         "judged on", "band": "A (90+), B (80+), C (70+), D (60+), E",
        "weakest": "the component with the lowest value", "timeliness": "100 on time; a point less a day late",
        "completeness": "the share of the template's numbers read", "consistency": "the share of the four "
        "rules of tables 三 and 四 that hold", "continuity": "100 when 上年结转 equals last year's 结转下年度, else 0",
        "originality": "100 × (1 − the largest share of prose shared with the body's previous report or a peer's "
                       "of the same year)", "narrative": "100 when the applications the prose states agree "
        "with table 三, else 0", "evidence": "JSON: for each component, what it was judged on",
    },
    "deadlines": {
        "law": "the 条例 in force for these report years", "article": "the article that sets the date",
        "levels": "the bodies' levels it applies to (agencies.level)",
        "first_year": "the first report year it governs (NULL: open)", "last_year": "the last (NULL: open)",
        "due": "the date, in the year after the report year", "text": "what the article says",
    },
    "metric_definitions": {
        "metric": "the metric's code", "label_zh": "its Chinese label", "label_en": "its English label",
        "unit": "its unit", "templates": "the templates whose reports define it",
        "formula": "how it is computed from the fact tables", "additive": "whether sums over bodies make sense",
        "legacy_formula": "how it is computed for reports of 2008–2018 from legacy_indicators (NULL: not stated then)",
        "boundary": "at 2018→2019: whether the series joins across the template's arrival, and how far the "
                    "definitions differ",
    },
}


def _codes(table: str, dim: str) -> list[str]:
    """Every code of a fact table's dimension, in template order (both templates)."""
    seen: dict[str, None] = {}
    for template in TEMPLATES.values():
        for row in template.rows():
            if row.table != table:
                continue
            for dims in (row.dims, *(c.dims for c in row.columns)):
                if dim in dims:
                    seen.setdefault(dims[dim])
    return list(seen)


def _fact_columns(table: str) -> dict[str, str]:
    out = dict(_COMMON)
    for dim in FACT_DIMS[table]:
        out[dim] = "; ".join(f"{c} {CODE_LABELS.get(f'{table}.{c}') or CODE_LABELS.get(c, '')}".strip()
                             for c in _codes(table, dim))
    unit = "amounts in 万元 (printed in 元: converted), counts as printed" if FACT_TABLES[table] == "DOUBLE" \
        else "a count"
    out["value"] = f"the number: {unit}; blank, — or 无 in a defined cell is 0 (noted in report_issues)"
    return out


for _table in FACT_TABLES:
    COLUMN_MEANINGS[_table] = _fact_columns(_table)
COLUMN_MEANINGS["legacy_indicators"] = {
    **_COMMON,
    "indicator": "; ".join(f"{i.code} {i.printed}" for i in LEGACY_INDICATORS if i.part_of is None),
    "scope": "year (本年度: the report year's figure) or cumulative (历年累计)",
    "unit": "as printed: 条, 件, 元 (a fee printed in 万元 is converted to 元)",
    "source": "table (the statistics table) or prose (a sentence that states it)",
    "evidence": "the row or the words the figure was read from",
    "value": "the figure; where table and prose differ, the table's (both in report_issues)",
}


def column_meaning(table: str, column: str) -> str | None:
    return COLUMN_MEANINGS.get(table, {}).get(column)
