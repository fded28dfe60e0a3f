"""Reports of 2008–2018: the headline figures of their statistics table, and of sentences that state them.

Before the 2019 template, reports were free form, but most print the same statistics table (指标名称 /
计量单位 / 本年度 / 历年累计) in one of several layouts (a grid, a text dump whose cells run together, a Word
table), and most state some of its figures in prose. The indicators and the labels they were printed under
are declared once here (`LEGACY_INDICATORS`), beside the templates; the generator of legacy test reports
prints the same labels.

Nothing is guessed: a row whose cells cannot be split one way only is left out (noted), a prose figure is
taken only from a sentence that names the indicator and states the number (a 未/没有/无 sentence is 0 only
when it names the indicator), and where table and prose differ the table's figure is loaded and both are
noted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.parse.rules import Violation
from pipeline.text.norm import BLANK_MARK, normalise

SCOPES = ("year", "cumulative")


@dataclass(frozen=True)
class LegacyIndicator:
    code: str
    printed: str  # the label of the common statistics table (2008's recommended form): what the generator prints
    labels: str  # a regex that fullmatches the row labels it was printed under (compact, ordinal stripped)
    parent: str | None = None  # a 其中 row of: never more than its parent
    part_of: str | None = None  # rows summed into that indicator (传真 + 电子邮件 -> requests_other_channel)
    unit: str = "件"  # what a prose figure of it counts in


LEGACY_INDICATORS: tuple[LegacyIndicator, ...] = (
    LegacyIndicator("proactive_items", "主动公开信息数", r"主动公开(政府)?(信息|文件)(总)?数(量)?", unit="条"),
    LegacyIndicator("proactive_web", "政府网站公开数", r"(通过)?(政府)?网站公开(政府信息)?(数|数量)?", "proactive_items",
                    unit="条"),
    LegacyIndicator("proactive_gazette", "政府公报公开数", r"(通过)?(政府)?公报公开(政府信息)?(数|数量)?", "proactive_items",
                    unit="条"),
    LegacyIndicator("requests_received", "受理政府信息公开申请总数",
                    r"(正式)?(受理|收到)(政府信息公开|依申请公开(政府)?信息|信息公开)?(申请)?(总)?(数|数量|件数)"),
    LegacyIndicator("requests_in_person", "当面申请数", r"当面(申请|提出申请)(数|书|件数)?", "requests_received"),
    LegacyIndicator("requests_online", "网上申请数", r"(网上|网络|互联网|在线)(提出)?申请(数|件数)?", "requests_received"),
    LegacyIndicator("requests_letter", "信函申请数", r"信函(、?传真)?(申请)?(数|件数)?", "requests_received"),
    LegacyIndicator("requests_other_channel", "传真、电子邮件等申请数",
                    r"(传真、?电子邮件|电子邮件、?传真)(等)?(其他)?(形式|方式)?(申请)?(数|件数)?", "requests_received"),
    LegacyIndicator("requests_fax", "传真申请数", r"传真(申请)?(数|件数)?", "requests_received",
                    part_of="requests_other_channel"),
    LegacyIndicator("requests_email", "电子邮件申请数", r"(电子邮件|电子邮箱|电邮)(申请)?(数|件数)?", "requests_received",
                    part_of="requests_other_channel"),
    LegacyIndicator("responses_total", "对申请的答复总数", r"对申请的?答复(总)?数|申请答复数|答复(总)?数|办结(件)?(数)?"),
    LegacyIndicator("granted", "同意公开答复数", r"同意(公开|提供)(答复)?(数|件数)?", "responses_total"),
    LegacyIndicator("partially_granted", "同意部分公开答复数", r"同意部分(公开|提供)(答复)?(数|件数)?", "responses_total"),
    LegacyIndicator("withheld", "不予公开答复数", r"(不予|否决|不同意|拒绝)(公开|提供)(答复)?(数|件数)?", "responses_total"),
    LegacyIndicator("other_response", "其他类型答复数", r"其他类型(的)?答复(数|件数)?", "responses_total"),
    LegacyIndicator("fees_yuan", "政府信息公开收费减免金额",
                    r"(政府信息公开|依申请公开信息)?(收费|收取)(及|和|\(?减免\)?)*(的)?(金额|费用)(数)?", unit="元"),
    LegacyIndicator("complaints", "接受行政申诉、举报数", r"(接受|收到)?(行政)?申[诉述](、|和|及)?举报(投诉)?(数|数量|件数)?|举报投诉(数|数量)"),
    LegacyIndicator("review_total", "行政复议数", r"(受理|收到)?(政府信息公开(工作)?)?行政复[议试](案件)?(数|数量|件数)"),
    LegacyIndicator("litigation_total", "行政诉讼数", r"(受理|收到)?(政府信息公开(工作)?)?行政诉讼(案件)?(数|数量|件数)"),
)
BY_CODE = {i.code: i for i in LEGACY_INDICATORS}
LOADED = tuple(i.code for i in LEGACY_INDICATORS if i.part_of is None)  # the codes legacy_indicators holds

UNITS = "万元|人次|条|件|元|个|项|次|篇|份|宗|起|人"
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_CELL = rf"(?:{_NUMBER}|[—/{BLANK_MARK}-]+)"
# a row as a table prints it: its unit, then its cells (the label is whatever came before)
_ROW = re.compile(rf"({UNITS})\s*({_CELL}(?:\s+{_CELL})*)")
_HEADER = re.compile(r"指\s*标\s*名\s*称|统\s*计\s*指\s*标|统\s*计\s*项\s*目|指\s*标\s*项\s*目")
# the value columns a header names: 历年累计 (cumulative), 上年度 (not the report year's), 本年度 (the year's)
_CUMULATIVE, _PRIOR, _THIS_YEAR = "历年累计|累计", "上年同期|上年度?|去年", r"本年度|本年|\d{4}年度?|年末统计|年末数|统计数|数量|本期"
_COLUMN_WORDS = re.compile(rf"({_CUMULATIVE})|({_PRIOR})|({_THIS_YEAR})")
_HEADER_WORDS = re.compile(rf"^(计量单位|单位|合计|累计数|{_CUMULATIVE}|{_PRIOR}|{_THIS_YEAR})+")  # before the first row
# ordinals and 其中 mark where a label starts: 一、 （一） 1. 1、 其中：1
_MARKERS = re.compile(r"其中:?\d*[.、]?|\([一二三四五六七八九十\d]+\)|[一二三四五六七八九十]+、|\d+[.、]")
_PARENTHETICAL = re.compile(r"\([^()]*\)")
_TOO_LONG = 40  # characters: a label longer than this is prose after the table, not a row


@dataclass(frozen=True)
class Figure:
    indicator: str
    scope: str
    value: float
    unit: str
    source: str  # table or prose
    evidence: str


@dataclass
class LegacyReading:
    figures: list[Figure]
    issues: list[Violation]

    def rows(self) -> list[tuple]:
        """(indicator, scope, unit, source, evidence, value) per figure: the legacy_indicators fact rows."""
        return [(f.indicator, f.scope, f.unit, f.source, f.evidence, f.value) for f in self.figures]


def read_legacy(text: str) -> LegacyReading:
    """Every headline figure the report states, from its statistics table and its prose."""
    text = normalise(text)
    issues: list[Violation] = []
    tables = table_rows(text)
    words = text
    for t in reversed(tables):  # the tables' own words are not prose
        words = words[:t.span[0]] + "。" + words[t.span[1]:]
    prose = prose_figures(words)
    table = table_figures(tables, prose, issues)
    figures: dict[tuple[str, str], Figure] = dict(table)
    for key, said in prose.items():
        values = {f.value for f in said}
        if key in table:
            if values != {table[key].value}:
                shown = "; ".join(f"{_num(f.value)} ({f.evidence})" for f in said)
                issues.append(Violation("legacy_table_prose_differ",
                                        f"{key[0]} ({key[1]}): the table says {_num(table[key].value)} "
                                        f"({table[key].evidence}), the prose {shown}: the table's is loaded"))
        elif len(values) == 1:
            figures[key] = said[0]
        else:
            issues.append(Violation("legacy_prose_ambiguous", f"{key[0]} ({key[1]}): the prose states "
                                    + " and ".join(f"{_num(f.value)} ({f.evidence})" for f in said)
                                    + ": neither is loaded"))
    order = {code: n for n, code in enumerate(LOADED)}
    return LegacyReading(sorted(figures.values(), key=lambda f: (order[f.indicator], SCOPES.index(f.scope))), issues)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# --- the statistics table ---------------------------------------------------------------------------
@dataclass
class _Row:
    label: str
    unit: str
    cells: list[str]
    evidence: str


@dataclass
class _Table:
    rows: list[_Row]
    scopes: tuple[str | None, ...]  # each value column's scope: year, cumulative, or None (上年度: not ours)
    span: tuple[int, int]  # where it stands in the text: the prose is what is left

    @property
    def columns(self) -> int:
        return len(self.scopes)




def column_scopes(header: str) -> tuple[str | None, ...]:
    """The scope of each value column the header names; two columns of one scope are neither's (which of
    2017年 and 2018年 is the report's?)."""
    found = [("cumulative", None, "year")[[g is not None for g in m.groups()].index(True)]
             for m in _COLUMN_WORDS.finditer(header)]
    if not found:
        return ("year",)
    return tuple(s if found.count(s) == 1 else None for s in found)


def table_rows(text: str) -> list[_Table]:
    """Each statistics table: its rows (label, unit, cells), its number of value columns, its place."""
    out = []
    headers = list(_HEADER.finditer(text))
    starts = [m.end() for m in headers]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(text)
        segment = text[start:end]
        matches = list(_ROW.finditer(segment))
        if not matches:
            continue
        scopes = column_scopes(re.sub(r"\s+", "", segment[:matches[0].start()]))
        columns = len(scopes)
        rows: list[_Row] = []
        previous_end = 0
        for k, m in enumerate(matches):
            raw_label = segment[previous_end:m.start()]
            label = clean_label(raw_label, first=k == 0)
            if label is None:
                break  # prose after the table
            cells = m.group(2).split()
            following = segment[m.end():matches[k + 1].start()] if k + 1 < len(matches) else segment[m.end():]
            if re.match(r"\s*[.、]", following) and cells:  # the next row's ordinal stuck to this row's cells
                if len(cells) > 1:
                    cells = cells[:-1]
                elif len(cells[-1]) > 1:
                    cells[-1] = cells[-1][:-1]
            elif len(cells) == columns + 1 and cells[-1].isdigit() and int(cells[-1]) <= 30 \
                    and not following.strip().startswith(tuple("0123456789")):
                cells = cells[:-1]  # 条 0 0 2同意…: an ordinal with no mark after it
            rows.append(_Row(label, m.group(1), cells, f"{label} {m.group(1)} {' '.join(cells)}"))
            previous_end = m.end()
        out.append(_Table(rows, scopes, (headers[n].start(), start + previous_end)))
    return out


def clean_label(raw: str, first: bool = False) -> str | None:
    """The row's label: without white space, parentheticals and ordinals; None for prose."""
    label = re.sub(r"\s+", "", raw)
    if first:
        label = _HEADER_WORDS.sub("", label)
    pieces = [p for p in _MARKERS.split(label) if p.strip(".、:")]
    label = _PARENTHETICAL.sub("", pieces[-1] if pieces else "").strip(".、:;,")
    if len(label) > _TOO_LONG:
        return None
    return label


def indicator_of(label: str) -> LegacyIndicator | None:
    for indicator in LEGACY_INDICATORS:
        if re.fullmatch(indicator.labels, label):
            return indicator
    return None


def table_figures(tables: list[_Table], prose: dict[tuple[str, str], list[Figure]],
                  issues: list[Violation]) -> dict[tuple[str, str], Figure]:
    found: dict[tuple[str, str], Figure] = {}
    parts: dict[tuple[str, str], list[Figure]] = {}
    for table in tables:
        if "year" not in table.scopes:
            issues.append(Violation("legacy_columns_unclear", "the statistics table's header names no single column "
                                    "of the report year (two years' columns?): its figures are not loaded"))
        for row in table.rows:
            indicator = indicator_of(row.label)
            if indicator is None:
                continue
            values = _cells(row, table.scopes, indicator, found, prose, issues)
            for scope, value in zip(table.scopes, values, strict=True):
                if value is None or scope is None:
                    continue
                unit, value = _in_unit(indicator, row.unit, value)
                figure = Figure(indicator.part_of or indicator.code, scope, value, unit, "table", row.evidence)
                if indicator.part_of:
                    parts.setdefault((indicator.part_of, scope), []).append(figure)
                else:
                    found.setdefault((indicator.code, scope), figure)  # a second table's row: the first wins
    for key, summed in parts.items():  # 传真 + 电子邮件 rows -> requests_other_channel
        if key not in found:
            found[key] = Figure(key[0], key[1], sum(f.value for f in summed), summed[0].unit, "table",
                                " + ".join(f.evidence for f in summed))
    return found


def _in_unit(indicator: LegacyIndicator, unit: str, value: float) -> tuple[str, float]:
    if indicator.code == "fees_yuan" and unit == "万元":  # fees_yuan is in 元
        return "元", round(value * 10000, 2)
    return unit, value


def _cells(row: _Row, scopes: tuple[str | None, ...], indicator: LegacyIndicator,
           found: dict[tuple[str, str], Figure], prose: dict[tuple[str, str], list[Figure]],
           issues: list[Violation]) -> list[float | None]:
    """The row's values by column; None for a cell that is blank or cannot be read one way only."""
    cells, columns = row.cells, len(scopes)
    if len(cells) == columns:
        values = [_number(c) for c in cells]
        for c, v in zip(cells, values, strict=True):
            if v is None:
                issues.append(Violation("legacy_cell_blank", f"{row.evidence}: {c!r} is no number; not loaded"))
        return values
    if len(cells) == 1 and scopes == SCOPES and cells[0].isdigit():  # this year's and 历年累计, run together
        options = splits(cells[0])
        code = indicator.part_of or indicator.code
        said = [tuple(f.value for f in prose.get((code, s), [])) for s in SCOPES]
        if any(said):  # what the prose states picks the split
            options = [o for o in options if all(not said[i] or o[i] in said[i] for i in range(2))]
        parent = indicator.parent
        if parent and len(options) > 1:
            limits = [found.get((parent, s)) for s in SCOPES]
            options = [o for o in options if all(lim is None or o[i] <= lim.value for i, lim in enumerate(limits))]
        if len(options) == 1:
            issues.append(Violation("legacy_cells_split", f"{row.evidence}: two cells run together, read as "
                                    f"{_num(options[0][0])} | {_num(options[0][1])}"))
            return list(options[0])
        issues.append(Violation("legacy_cells_ambiguous", f"{row.evidence}: two cells run together split "
                                f"{len(options)} ways ({', '.join(f'{_num(a)}|{_num(b)}' for a, b in options)}); "
                                "not loaded"))
        return [None, None]
    issues.append(Violation("legacy_cells_ambiguous", f"{row.evidence}: {len(cells)} cells where the table has "
                            f"{columns}; not loaded"))
    return [None] * columns


def splits(digits: str) -> list[tuple[float, float]]:
    """The ways one run of digits is two cells, this year's and the cumulative one: no cell with a leading
    zero, and the cumulative never below the year's."""
    out = []
    for k in range(1, len(digits)):
        a, b = digits[:k], digits[k:]
        if (len(a) > 1 and a[0] == "0") or (len(b) > 1 and b[0] == "0"):
            continue
        if int(b) >= int(a):
            out.append((float(a), float(b)))
    return out


def _number(cell: str) -> float | None:
    return float(cell.replace(",", "")) if re.fullmatch(_NUMBER, cell) else None


# --- prose -------------------------------------------------------------------------------------------
_SENTENCE = re.compile(r"[。;!?]")
_CLAUSE = re.compile(r",(?!\d{3})|:")
_CN_DIGITS = "零〇一二两三四五六七八九十百"
_COUNT = rf"(?P<n>\d[\d,]*|[{_CN_DIGITS}]+)"  # 4件, or 四件: prose writes small counts in words too
# (indicator, scope, pattern with the figure as its group n): sentences that state a figure plainly
PROSE_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("proactive_items", "cumulative", rf"历年(来)?(累计)?(共)?主动公开(了)?(政府)?信息(系|共|为|达)?{_COUNT}条"),
    ("proactive_items", "year", rf"(?<!累计)(?<!历年)主动公开(了)?(政府)?信息(共|总数为?)?{_COUNT}条"),
    ("proactive_web", "year", rf"(政府|门户)?网站(上)?(主动)?公开(了)?(政府)?信息(共)?{_COUNT}条"),
    ("proactive_web", "year", rf"在(政府|门户)?网站(上)?公开的{_COUNT}条"),
    ("requests_received", "year", rf"(收到|受理|接到)(了)?(政府信息公开|信息公开|依申请公开(政府)?信息的?)?申请(共计|共有|共|总数为?|合计|总计)?{_COUNT}(件|个|份|条)"),
    ("requests_received", "year", rf"(收到|受理|接到)(了)?依申请公开(政府)?(信息)?(的)?(申请)?(共)?{_COUNT}(件|条)"),
    ("requests_received", "year", rf"(收到|受理|接到)(了)?{_COUNT}(件|个|份|条)(政府信息公开|信息公开|依申请公开)申请"),
    ("requests_in_person", "year", rf"当面(申请|提出申请)?(的)?{_COUNT}件"),
    ("requests_online", "year", rf"(网上|网络|互联网)(申请|提出申请)?(的)?{_COUNT}件"),
    ("requests_letter", "year", rf"信函(申请)?(的)?{_COUNT}件"),
    ("responses_total", "year", rf"(共|全部)?答复(了)?(申请)?{_COUNT}件"),
    ("granted", "year", rf"(?<![部分不])同意公开[”\"']?(的)?(有)?{_COUNT}件"),
    ("partially_granted", "year", rf"同意部分公开[”\"']?(的)?(有)?{_COUNT}件"),
    ("withheld", "year", rf"不予公开[”\"']?(的)?(有)?{_COUNT}件"),
    ("fees_yuan", "year", r"收取(了)?[^,;。]{0,8}?费(用)?(共|合计)?(?P<n>\d[\d,]*(?:\.\d+)?)元"),
)
# a 未/没有/无 clause that names an indicator states it is 0
_NONE = r"(未|没有|无|均无|并无)(发生|收到|接到|受理|出现|产生|提起|发现)?"
ZERO_PATTERNS: tuple[tuple[str, str], ...] = (
    ("requests_received", rf"{_NONE}[^,;。]{{0,14}}?(政府信息公开|信息公开|依申请公开)[^,;。]{{0,4}}?申请"),
    ("fees_yuan", rf"{_NONE}[^,;。]{{0,8}}?(收费|收取[^,;。]{{0,6}}?费)"),
    ("review_total", rf"{_NONE}[^,;。]{{0,30}}?行政复议"),
    ("litigation_total", rf"{_NONE}[^,;。]{{0,40}}?行政诉讼"),
    ("complaints", rf"{_NONE}[^,;。]{{0,50}}?(行政申诉|举报)"),
)
_APPEAL_WORDS = ("复议", "诉讼", "申诉", "举报")
_CASES = re.compile(rf"(\d[\d,]*|[{_CN_DIGITS}]+)(件|起|宗|例)")
_DIGIT_CASES = re.compile(r"\d[\d,]*(件|起|宗|例)")  # 未发生一起…: a "none" with 一起 in it is still none
_NEAR = 20  # characters between a count and the proceeding it counts
_SINCE = ("截至", "截止", "累计", "历年", "以来")  # a figure of these clauses is no year's figure


def count_value(text: str) -> float:
    """'1,234' -> 1234; '十二' -> 12, '两' -> 2, '一百零五' -> 105."""
    if text[0].isdigit():
        return float(text.replace(",", ""))
    digits = {c: n for n, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
    total, current = 0, 0
    for c in text:
        if c in digits:
            current = digits[c]
        elif c in "十百":
            total += (current or 1) * (10 if c == "十" else 100)
            current = 0
    return float(total + current)


def _clauses(body: str):
    """(clause, whether its sentence said 截至/累计/以来 by then): a figure after those is no year's figure."""
    for sentence in _SENTENCE.split(body):
        since = False
        for clause in (c.strip() for c in _CLAUSE.split(sentence)):
            since = since or any(w in clause for w in _SINCE)
            if clause:
                yield clause, since


def _around(clause: str, m: re.Match) -> str:
    """The words a figure was read from, with a little of what comes before them."""
    return clause[max(0, m.start() - 30):m.end() + 10]


def prose_figures(text: str) -> dict[tuple[str, str], list[Figure]]:
    """(indicator, scope) -> the distinct figures the prose states for it, each with its clause."""
    body = text.replace("\n", "")  # a line break is no clause break (PDF lines end anywhere)
    out: dict[tuple[str, str], list[Figure]] = {}

    def add(code: str, scope: str, value: float, clause: str) -> None:
        said = out.setdefault((code, scope), [])
        if all(f.value != value for f in said):
            said.append(Figure(code, scope, value, BY_CODE[code].unit, "prose", clause[:120]))

    for clause, since in _clauses(body):
        appeals = any(w in clause for w in _APPEAL_WORDS)  # 因政府信息公开申请行政复议: no count of applications
        for code, scope, pattern in PROSE_PATTERNS:
            if (code.startswith("requests") and appeals) or (scope == "year" and since):
                continue
            for m in re.finditer(pattern, clause):
                add(code, scope, count_value(m.group("n")), _around(clause, m))
        counts = list(_CASES.finditer(clause))
        # 发生1件…政府信息公开…行政诉讼案: one count, one proceeding named next to it, about disclosure (not the
        # body's caseload); a heading that names both (…行政复议、提起行政诉讼的情况) is farther away
        if len(counts) == 1 and not re.search(_NONE, clause):
            count = counts[0]
            near = [(code, m) for word, code in (("行政复议", "review_total"), ("行政诉讼", "litigation_total"))
                    for m in re.finditer(word, clause)
                    if min(abs(m.start() - count.end()), abs(count.start() - m.end())) <= _NEAR]
            if len({code for code, _ in near}) == 1:
                code, word = near[0]
                start, end = min(word.start(), count.start()), max(word.end(), count.end())
                if "信息公开" in clause[max(0, start - 10):end]:  # said of disclosure, right there
                    add(code, "year", count_value(count.group(1)), _around(clause, count))
        if _DIGIT_CASES.search(clause):
            continue  # a clause with counts states them; it is no 'none'
        for code, pattern in ZERO_PATTERNS:
            m = re.search(pattern, clause)
            if m and not (code == "requests_received" and appeals):
                add(code, "year", 0.0, _around(clause, m))
    return out
