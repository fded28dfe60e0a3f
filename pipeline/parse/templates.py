"""The national report templates (国办公开办函〔2019〕60号 and 〔2021〕30号) declared as data.

Every extractor maps onto these declarations: a template is a sequence of blocks (tables 二, 三, 四),
a block a sequence of rows, a row a label (with the variants printed in the wild) and its columns.
A fact is `{table, **row.dims, **column.dims, value}`. Labels are matched after `textnorm.compact`,
so spacing, full-width forms and Kangxi radicals never need variants here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Column:
    dims: dict[str, str]
    money: bool = False  # amounts in 万元; a cell printed in 元 is converted
    signed: bool = False  # may be negative (本年增/减); a count never is, so a minus sign marks this column


@dataclass(frozen=True)
class SumRule:
    """`total` (a column index) equals the sum of `parts`; the template's own arithmetic."""

    parts: tuple[int, ...]
    total: int


@dataclass(frozen=True)
class Row:
    table: str
    dims: dict[str, str]
    keys: tuple[str, ...]  # distinctive label fragments, most specific first; () = numbers follow the header
    columns: tuple[Column, ...]
    sums: tuple[SumRule, ...] = ()
    optional: bool = False  # a heading that carries numbers only in some reports

    @cached_property  # looked up thousands of times a report
    def code(self) -> str:
        return self.table + ":" + ".".join(self.dims.values())


@dataclass(frozen=True)
class Block:
    name: str  # the table's number in the template: 二, 三, 四
    anchors: tuple[str, ...]  # where the block starts
    rows: tuple[Row, ...]
    end_anchors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    code: str
    blocks: tuple[Block, ...]

    def rows(self) -> list[Row]:
        return [row for block in self.blocks for row in block.rows]


# --- columns ---------------------------------------------------------------------------------
APPLICANTS = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
)
APPLICANT_COLUMNS = tuple(Column({"applicant": a}) for a in APPLICANTS)
APPLICANT_SUM = (SumRule(parts=(0, 1, 2, 3, 4, 5), total=6),)

PROCEEDINGS = ("review", "litigation_direct", "litigation_after_review")
RESULTS = ("upheld", "corrected", "other", "pending", "total")
APPEAL_COLUMNS = tuple(Column({"proceeding": p, "result": r}) for p in PROCEEDINGS for r in RESULTS)
APPEAL_SUMS = tuple(SumRule(parts=(5 * i, 5 * i + 1, 5 * i + 2, 5 * i + 3), total=5 * i + 4) for i in range(3))


def _measures(*codes: str, money: tuple[str, ...] = (), signed: tuple[str, ...] = ()) -> tuple[Column, ...]:
    return tuple(Column({"measure": c}, money=c in money, signed=c in signed) for c in codes)


REG_2021 = _measures("issued", "repealed", "in_force")
REG_2019 = _measures("made", "published", "total_published")
DECISIONS_2021 = _measures("decisions")
ITEMS_2019 = _measures("items_prior_year", "items_change", "decisions", signed=("items_change",))
FEES_2021 = _measures("amount_wan_yuan", money=("amount_wan_yuan",))
FEES_2019 = _measures("items_prior_year", "items_change", signed=("items_change",))
PROCUREMENT_2019 = _measures("projects", "amount_wan_yuan", money=("amount_wan_yuan",))

# --- table 二 (第二十条) ------------------------------------------------------------------------
TABLE2_ANCHORS = ("第二十条第(一)项", "主动公开政府信息情况", "第二十条")


def _table2(reg: tuple[Column, ...], items: tuple[Column, ...], fees: tuple[Column, ...], *, procurement: bool) -> Block:
    rows = [
        Row("regulations", {"category": "rule"}, ("规章",), reg),
        # 规范性档案: 文件 as converters to traditional characters write it
        Row("regulations", {"category": "normative_document"}, ("规范性文件", "规范性档案"), reg),
        Row("permits", {"category": "administrative_permit"}, ("行政许可",), items),
    ]
    if procurement:  # the 2019 template has a row for 其他对外管理服务事项
        rows.append(Row("permits", {"category": "other_service"}, ("其他对外管理服务事项", "对外管理服务"), items))
    rows += [
        Row("penalties", {"category": "penalty"}, ("行政处罚",), items),
        Row("penalties", {"category": "coercion"}, ("行政强制",), items),
        Row("fees", {}, ("行政事业性收费", "事业性收费"), fees),
    ]
    if procurement:
        rows.append(Row("procurement", {}, ("政府集中采购", "集中采购"), PROCUREMENT_2019))
    return Block("二", TABLE2_ANCHORS, tuple(rows))


# --- table 三 (申请) ----------------------------------------------------------------------------
def _outcome(code: str, *keys: str, optional: bool = False) -> Row:
    return Row("outcomes", {"outcome": code}, keys, APPLICANT_COLUMNS, APPLICANT_SUM, optional)


def _stage(code: str, *keys: str) -> Row:
    return Row("applications", {"stage": code}, keys, APPLICANT_COLUMNS, APPLICANT_SUM)


WITHHELD = (
    _outcome("withheld.state_secret", "属于国家秘密", "国家秘密"),
    _outcome("withheld.prohibited_by_law", "其他法律行政法规禁止公开", "法律行政法规禁止", "其他法律"),
    _outcome("withheld.security_stability", "三安全一稳定", "危及"),
    _outcome("withheld.third_party_rights", "保护第三方合法权益", "第三方合法权益", "第三方"),
    _outcome("withheld.internal_affairs", "属于三类内部事务信息", "内部事务"),
    _outcome("withheld.process_information", "属于四类过程性信息", "过程性信息"),
    _outcome("withheld.enforcement_file", "属于行政执法案卷", "属于行政执法案件", "行政执法案卷", "行政执法案件",
             "执法案卷"),
    _outcome("withheld.administrative_query", "属于行政查询事项", "行政查询事项", "行政查询"),
)
UNAVAILABLE = (
    _outcome("unavailable.not_held", "本机关不掌握相关政府信息", "不掌握相关政府信息", "不掌握"),
    _outcome("unavailable.needs_creation", "没有现成信息需要另行制作", "另行制作", "没有现成信息"),
    _outcome("unavailable.still_unclear", "补正后申请内容仍不明确", "仍不明确", "补正后"),
)
NOT_PROCESSED = (
    _outcome("not_processed.petition", "信访举报投诉类申请", "信访举报投诉", "信访"),
    _outcome("not_processed.duplicate", "重复申请"),
    _outcome("not_processed.publication", "要求提供公开出版物", "公开出版物"),
    _outcome("not_processed.excessive", "无正当理由大量反复申请", "大量反复"),
    _outcome("not_processed.confirmation", "要求行政机关确认或重新出具已获取信息", "要求行政机关确认", "重新出具"),
)
TABLE3_ANCHORS = ("收到和处理政府信息公开申请情况", "收到和处理政府信息公开申请", "本年新收")


def _table3(other_rows: tuple[Row, ...]) -> Block:
    rows = (
        _stage("received", "本年新收"),
        _stage("carried_over", "上年结转"),
        _outcome("granted", "予以公开"),
        _outcome("partially_granted", "部分公开"),
        *WITHHELD,
        *UNAVAILABLE,
        *NOT_PROCESSED,
        *other_rows,
        _outcome("total", "总计"),
        _stage("carried_forward", "结转下年度继续办理", "结转下年度"),
    )
    return Block("三", TABLE3_ANCHORS, rows)


OTHER_2021 = (
    # （六）其他处理 is a heading over three rows; some 2021 reports still print it as one row
    _outcome("other", "其他处理", optional=True),
    _outcome("other.no_correction", "逾期不补正", "无正当理由逾期"),
    _outcome("other.fee_unpaid", "缴纳费用", "收费通知"),
    _outcome("other.other", "其他"),
)
OTHER_2019 = (_outcome("other", "其他处理"),)

# --- table 四 (复议、诉讼) ----------------------------------------------------------------------
TABLE4 = Block(
    "四",
    ("政府信息公开行政复议", "行政复议"),
    (Row("appeals", {}, (), APPEAL_COLUMNS, APPEAL_SUMS),),
    end_anchors=("存在的主要问题", "主要问题及改进", "五、"),
)

TEMPLATE_2021 = Template(
    "2021", (_table2(REG_2021, DECISIONS_2021, FEES_2021, procurement=False), _table3(OTHER_2021), TABLE4)
)
TEMPLATE_2019 = Template(
    "2019", (_table2(REG_2019, ITEMS_2019, FEES_2019, procurement=True), _table3(OTHER_2019), TABLE4)
)
TEMPLATES = {t.code: t for t in (TEMPLATE_2021, TEMPLATE_2019)}

# Header words that tell the templates apart (table 二's columns, table 三's split 其他处理).
TEMPLATE_MARKERS: dict[str, tuple[str, ...]] = {
    "2021": ("本年制发", "本年废止", "现行有效", "本年处理决定数量", "本年收费金额", "逾期不补正"),
    "2019": ("本年新制作", "本年新公开", "对外公开总数量", "上一年项目数量", "政府集中采购", "采购总金额"),
}

# Every fact table and the SQL type of its value.
FACT_TABLES: dict[str, str] = {
    "applications": "BIGINT",
    "outcomes": "BIGINT",
    "regulations": "BIGINT",
    "permits": "BIGINT",
    "penalties": "BIGINT",
    "fees": "DOUBLE",
    "procurement": "DOUBLE",
    "appeals": "BIGINT",
    "legacy_indicators": "DOUBLE",  # reports of 2008–2018 (parse.legacy): no template, headline figures
}
FACT_DIMS: dict[str, tuple[str, ...]] = {
    "applications": ("applicant", "stage"),
    "outcomes": ("applicant", "outcome"),
    "regulations": ("category", "measure"),
    "permits": ("category", "measure"),
    "penalties": ("category", "measure"),
    "fees": ("measure",),
    "procurement": ("measure",),
    "appeals": ("proceeding", "result"),
    "legacy_indicators": ("indicator", "scope", "unit", "source", "evidence"),
}
FACT_TABLE_NAMES = tuple(FACT_TABLES)
