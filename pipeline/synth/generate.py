"""Synthetic reports written by us: both templates as PDF, DOCX, HTML and text, with known numbers.

Numbers are random but obey the templates' rules (optionally breaking one), so every extractor can be
checked against the truth. Labels and columns come from `templates`, like the parser's.
"""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from pipeline.parse.templates import TEMPLATES, Template

CN_NUM = "一二三四五六七八九十"
FORMATS = ("pdf", "html", "docx", "txt")


@dataclass(frozen=True)
class Body:
    name: str
    province: str
    city: str | None
    county: str | None

    @property
    def seat(self) -> str:
        return "".join(p for p in (self.province, self.city, self.county) if p and p != self.county) + (self.county or "")


SAMPLE_BODIES = (
    Body("宝山区人民政府", "黑龙江省", "双鸭山市", "宝山区"),
    Body("宝山区人民政府", "上海市", None, "宝山区"),
    Body("洪泽区人民政府", "江苏省", "淮安市", "洪泽区"),
)


@dataclass
class Report:
    body: Body
    year: int
    template: Template
    values: dict[str, tuple[float, ...]]  # Row.code -> column values
    broken_rule: str | None = None
    facts: list[dict] = field(default_factory=list)

    def expected_facts(self) -> list[dict]:
        out = []
        for row in self.template.rows():
            if row.code not in self.values:
                continue
            for col, v in zip(row.columns, self.values[row.code], strict=True):
                out.append({"table": row.table, **row.dims, **col.dims, "value": v})
        return out


def template_for(year: int) -> Template:
    return TEMPLATES["2021" if year >= 2021 else "2019"]


def make_report(body: Body, year: int, rng: random.Random, break_rule: bool = False,
                carried_over: tuple[float, ...] | None = None) -> Report:
    """Random numbers that obey every rule; `carried_over`: last year's 结转下年度, to chain a body's years."""
    template = template_for(year)
    values: dict[str, tuple[float, ...]] = {}
    outcome_rows = [r for r in template.rows() if r.table == "outcomes" and r.code != "outcomes:total"
                    and not r.optional]
    for row in template.rows():
        if row.table in ("regulations", "permits", "penalties"):
            values[row.code] = tuple(_count(rng, col.dims["measure"]) for col in row.columns)
        elif row.table in ("fees", "procurement"):
            values[row.code] = tuple(round(rng.uniform(0, 9000), 2) if col.money else _count(rng, col.dims["measure"])
                                     for col in row.columns)
    # table 三, one applicant column at a time, so that every rule holds
    columns: dict[str, list[float]] = {r.code: [] for r in template.rows() if r.table in ("outcomes", "applications")}
    for j in range(6):
        outs = {r.code: (rng.choice((0, 0, 0, 1, 2, 5, 13)) if rng.random() < 0.6 else 0) for r in outcome_rows}
        forward = rng.choice((0, 0, 1, 3))
        if carried_over is None:
            over = rng.randint(0, sum(outs.values()) + forward)
        else:
            over = int(carried_over[j])
            granted = "outcomes:granted"
            outs[granted] += max(0, over - sum(outs.values()) - forward)  # handle at least what was carried over
        total = sum(outs.values())
        for code, v in outs.items():
            columns[code].append(v)
        columns["outcomes:total"].append(total)
        columns["applications:carried_forward"].append(forward)
        columns["applications:carried_over"].append(over)
        columns["applications:received"].append(total + forward - over)
    for code, col in columns.items():
        if col:
            values[code] = (*col, sum(col))
    appeals: list[float] = []
    for _ in range(3):
        parts = [rng.choice((0, 0, 1, 2, 4)) for _ in range(4)]
        appeals += [*parts, sum(parts)]
    values["appeals:"] = tuple(appeals)
    broken = None
    if break_rule:
        v = list(values["outcomes:total"])
        v[0] += 1
        values["outcomes:total"] = tuple(v)
        broken = "table3_outcome_total"
    return Report(body, year, template, values, broken)


def _count(rng: random.Random, measure: str) -> int:
    if measure == "items_change":
        return rng.randint(-20, 30)
    return rng.choice((0, 0, 3, 17, 65, 230, 1282, 24381))


# --- layout shared by every format -----------------------------------------------------------
def title(report: Report) -> str:
    return f"{report.body.name}{report.year}年政府信息公开工作年度报告"


def intro(report: Report) -> list[str]:
    b = report.body
    filler = ("坚持以人民为中心深化政务公开，紧紧围绕中心工作，不断拓展重点领域信息公开的广度与深度，"
              "强化政策发布解读服务，努力推动政府决策和管理服务更加透明规范。") * 3
    return [
        f"本报告由{b.seat}人民政府办公室根据《中华人民共和国政府信息公开条例》编制。本报告所列数据的统计期限自"
        f"{report.year}年1月1日起至{report.year}年12月31日止。",
        "一、总体情况",
        f"{report.year}年，{b.seat}人民政府{filler}",
        f"（一）主动公开。{filler}",
        f"（二）依申请公开。{filler}",
    ]


@dataclass(frozen=True)
class GridCell:
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1


Grid = list[list[GridCell]]  # rows of placed cells; cells covered by a span are not listed


@dataclass
class Style:
    """How a report prints its tables: the national layout, or that layout with the quirks of real ones."""

    quirks: bool = False
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    borderless: bool = False  # PDF tables without rules: columns only by position
    embedded_font: bool = True  # PDF: a subset of a TrueType font inside the file, as real reports carry
    # PDF: encrypted with (user password, owner password); an empty user password opens without asking
    passwords: tuple[str, str] | None = None

    def number(self, x: float, money_in_yuan: bool = False, unit_in_header: bool = False) -> str:
        if money_in_yuan:
            return f"{round(x * 10_000):d}" + ("" if unit_in_header else "元")
        text = str(int(x)) if not isinstance(x, float) else f"{x:.2f}"
        if not self.quirks:
            return text
        roll = self.rng.random()
        if x == 0 and roll < 0.3:
            return self.rng.choice(("", "—", "无", "/", "-"))  # blank for zero
        if abs(x) >= 1000 and roll < 0.5 and not isinstance(x, float):
            return f"{int(x):,}"
        if roll > 0.9:
            return text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        return text

    def label(self, text: str) -> str:
        if not self.quirks:
            return text
        if self.rng.random() < 0.25:
            text = text.replace(".", "、", 1)
        if self.rng.random() < 0.2:
            text = " ".join(text)  # spaces between characters
        return text

    def vertical(self, text: str) -> str:
        return "\n".join(text) if self.quirks else text


TABLE2_HEADS = {
    ("2019", "regulations"): ("第二十条第（一）项", ["本年新制作数量", "本年新公开数量", "对外公开总数量"]),
    ("2021", "regulations"): ("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"]),
    ("2019", "permits"): ("第二十条第（五）项", ["上一年项目数量", "本年增/减", "处理决定数量"]),
    ("2021", "permits"): ("第二十条第（五）项", ["本年处理决定数量"]),
    ("2019", "penalties"): ("第二十条第（六）项", ["上一年项目数量", "本年增/减", "处理决定数量"]),
    ("2021", "penalties"): ("第二十条第（六）项", ["本年处理决定数量"]),
    ("2019", "fees"): ("第二十条第（八）项", ["上一年项目数量", "本年增/减"]),
    ("2021", "fees"): ("第二十条第（八）项", ["本年收费金额（单位：万元）"]),
    ("2019", "procurement"): ("第二十条第（九）项", ["采购项目数量", "采购总金额"]),
}
TABLE3_GROUPS = {"withheld": "（三）不予公开", "unavailable": "（四）无法提供", "not_processed": "（五）不予处理",
                 "other": "（六）其他处理"}
TABLE3_HEADS = {"granted": "（一）予以公开", "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
                "total": "（七）总计", "other": "（六）其他处理"}
TABLE3_STAGES = {"received": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
                 "carried_forward": "四、结转下年度继续办理"}
TABLE3_SUBLABELS = {"other.no_correction": "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                    "other.fee_unpaid": "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                    "other.other": "其他"}


def tables(report: Report, style: Style) -> list[tuple[str, Grid]]:
    """The three tables as grids with merged cells, laid out as the national template prints them."""
    return [("二、主动公开政府信息情况", _table2(report, style)),
            ("三、收到和处理政府信息公开申请情况", _table3(report, style)),
            ("四、政府信息公开行政复议、行政诉讼情况", _table4(report, style))]


def _table2(report: Report, style: Style) -> Grid:
    code = report.template.code
    grid: Grid = []
    seen: set[str] = set()
    yuan = style.quirks and style.rng.random() < 0.5  # some reports print the fee amount in 元
    yuan_in_header = yuan and style.rng.random() < 0.5  # ... and some say so once, in the column header
    for row in report.template.blocks[0].rows:
        if row.table not in seen:
            seen.add(row.table)
            item, header = TABLE2_HEADS[(code, row.table)]
            if yuan_in_header:
                header = [_in_yuan(h) if col.money else h for h, col in zip(header, row.columns, strict=True)]
            grid.append([GridCell(0, item, colspan=4)])
            grid.append([GridCell(0, "信息内容"), *_spread(header, 3)])
        label = "行政规范性文件" if row.code == "regulations:normative_document" and code == "2021" else row.keys[0]
        if style.quirks and row.code == "permits:other_service":  # a provincial variant's note names other rows
            label += "（指行政许可以外的政务服务事项，含行政确认、行政处罚、行政强制和公共服务事项）"
        numbers = [style.number(x, money_in_yuan=col.money and yuan, unit_in_header=yuan_in_header)
                   for x, col in zip(report.values[row.code], row.columns, strict=True)]
        if row.code == "regulations:normative_document" and style.quirks and numbers[0].isdigit():
            numbers[0] += f"（其中修订{style.rng.randint(0, 9)}件）"
        grid.append([GridCell(0, style.label(label)), *_spread(numbers, 3)])
    return grid


def _in_yuan(header: str) -> str:
    """A money column's header that declares 元 for the amounts under it."""
    return header.replace("（单位：万元）", "（单位：元）") if "万元" in header else header + "（元）"


def _spread(texts: list[str], width: int) -> list[GridCell]:
    """Cells over `width` columns: the last one spans what is left (a merged cell)."""
    cells = [GridCell(1 + i, t) for i, t in enumerate(texts)]
    if len(texts) < width:
        last = cells[-1]
        cells[-1] = GridCell(last.col, last.text, colspan=width - len(texts) + 1)
    return cells


def _table3(report: Report, style: Style) -> Grid:
    """10 columns: three label columns (merged as in the template) and seven applicant columns."""
    v = report.values
    grid: Grid = [
        [GridCell(0, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
         GridCell(3, "申请人情况", colspan=7)],
        [GridCell(3, "自然人", rowspan=2), GridCell(4, "法人或其他组织", colspan=5), GridCell(9, "总计", rowspan=2)],
        [GridCell(4 + i, t) for i, t in enumerate(("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"))],
    ]
    rows = [r for r in report.template.blocks[1].rows if not r.optional]
    outcome_rows = [r for r in rows if r.table == "outcomes"]
    group_sizes: dict[str, int] = {}
    for r in outcome_rows:
        prefix = r.dims["outcome"].split(".")[0]
        if "." in r.dims["outcome"]:
            group_sizes[prefix] = group_sizes.get(prefix, 0) + 1
    current, sub = "", 0
    for r in rows:
        code = r.dims.get("outcome") or r.dims.get("stage") or ""
        numbers = [GridCell(3 + i, style.number(x)) for i, x in enumerate(v[r.code])]
        lead: list[GridCell] = []
        if code in TABLE3_STAGES:
            lead = [GridCell(0, style.label(TABLE3_STAGES[code]), colspan=3)]
        else:
            if code == "granted":
                lead.append(GridCell(0, style.vertical("三、本年度办理结果"), rowspan=len(outcome_rows)))
            if code in TABLE3_HEADS:
                lead.append(GridCell(1, style.label(TABLE3_HEADS[code]), colspan=2))
            else:
                prefix = code.split(".")[0]
                sub = sub + 1 if prefix == current else 1
                if prefix != current:
                    lead.append(GridCell(1, style.vertical(TABLE3_GROUPS[prefix]) if style.quirks else TABLE3_GROUPS[prefix],
                                         rowspan=group_sizes[prefix]))
                current = prefix
                text = TABLE3_SUBLABELS.get(code, r.keys[0])
                lead.append(GridCell(2, style.label(f"{sub}.{text}")))
        grid.append([*lead, *numbers])
    return grid


def _table4(report: Report, style: Style) -> Grid:
    heads = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    return [
        [GridCell(0, "行政复议", colspan=5), GridCell(5, "行政诉讼", colspan=10)],
        [*(GridCell(i, h, rowspan=2) for i, h in enumerate(heads)),
         GridCell(5, "未经复议直接起诉", colspan=5), GridCell(10, "复议后起诉", colspan=5)],
        [GridCell(5 + i, h) for i, h in enumerate(heads * 2)],
        [GridCell(i, style.number(x)) for i, x in enumerate(report.values["appeals:"])],
    ]


def closing(report: Report) -> list[str]:
    return ["五、存在的主要问题及改进情况", f"{report.year}年，我区政府信息公开工作取得一定成效，但仍存在不足。",
            "六、其他需要报告的事项", "无其他需要报告的事项。"]


def _width(grid: Grid) -> int:
    return max(c.col + c.colspan for row in grid for c in row)


def _matrix(grid: Grid) -> list[list[str]]:
    """The grid as a full matrix: a spanned cell's text in its top-left corner, covered cells empty."""
    width = _width(grid)
    return [[next((c.text for c in row if c.col == j), "") for j in range(width)] for row in grid]


# --- renderers --------------------------------------------------------------------------------
def render_html(report: Report, charset: str = "utf-8", style: Style | None = None) -> bytes:
    style = style or Style()
    parts = [f'<html><head><meta charset="{charset}"><title>{title(report)}_政府信息公开年报</title></head><body>',
             '<div class="nav">首页 &gt; 政务公开 &gt; 行政许可 &gt; 年报</div>', f"<h1>{title(report)}</h1>"]
    parts += [f"<p>{p}</p>" for p in intro(report)]
    for heading, grid in tables(report, style):
        parts.append(f"<p>{heading}</p><table border='1' class='MsoNormalTable'>")
        for row in grid:
            tds = []
            for c in row:
                span = (f" rowspan='{c.rowspan}'" if c.rowspan > 1 else "") + (f" colspan='{c.colspan}'" if c.colspan > 1 else "")
                text = c.text.replace("\n", "<br/>")
                tds.append(f"<td{span}><p><span>{text or '&nbsp;'}</span></p></td>")
            parts.append("<tr>" + "".join(tds) + "</tr>")
        parts.append("</table>")
    parts += [f"<p>{p}</p>" for p in closing(report)]
    parts.append("<div class='footer'>网站标识码：3500000001 版权所有</div></body></html>")
    return "\n".join(parts).encode(charset)


def render_text(report: Report, style: Style | None = None) -> bytes:
    """A tab dump, as text extracted from a published file: covered cells vanish."""
    style = style or Style()
    lines = [title(report), *intro(report)]
    for heading, grid in tables(report, style):
        lines.append(heading)
        lines += ["\t".join(c.text.replace("\n", "") for c in row) for row in grid]
    lines += closing(report)
    return "\n".join(lines).encode("utf-8")


def flatten(text: str) -> str:
    """A text rendering as a crawler's tag-stripped dump of the page leaves it: every cell and line
    separator gone (行政许可2293行政处罚…), and with them every blank cell."""
    return text.replace("\t", "").replace("\n", "")


def render_docx(report: Report, style: Style | None = None) -> bytes:
    import docx

    style = style or Style()
    document = docx.Document()
    document.core_properties.title = title(report)
    document.add_paragraph(title(report))
    for p in intro(report):
        document.add_paragraph(p)
    for heading, grid in tables(report, style):
        document.add_paragraph(heading)
        width = _width(grid)
        table = document.add_table(rows=len(grid), cols=width)
        table.style = "Table Grid"
        layout = table._cells  # once: table.cell() lays the whole table out again at every call
        for i, row in enumerate(grid):
            for c in row:
                cell = layout[i * width + c.col]
                if c.rowspan > 1 or c.colspan > 1:
                    cell = cell.merge(layout[(i + c.rowspan - 1) * width + c.col + c.colspan - 1])
                cell.text = c.text
    for p in closing(report):
        document.add_paragraph(p)
    document.core_properties.created = document.core_properties.modified = RENDERED_AT
    out = BytesIO()
    document.save(out)
    return _fixed_zip_times(out.getvalue())


RENDERED_AT = dt.datetime(2020, 1, 1)  # one report renders to the same bytes every time (one report_id)


def _fixed_zip_times(data: bytes) -> bytes:
    """The same zip with every entry dated RENDERED_AT (zipfile stamps entries with the current time)."""
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, RENDERED_AT.timetuple()[:6]), src.read(info),
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _pdf_font(embedded: bool) -> str:
    """SimHei (shipped by mplfonts) embedded as a subset, like the fonts of real reports; or reportlab's
    built-in STSong-Light, which the file only names (a reader must find a font for it)."""
    from reportlab.pdfbase import pdfmetrics

    if not embedded:
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        return "STSong-Light"
    import mplfonts
    from reportlab.pdfbase.ttfonts import TTFont

    if "SimHei" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("SimHei", str(Path(mplfonts.__file__).parent / "fonts" / "SimHei.ttf")))
    return "SimHei"


def render_pdf(report: Report, style: Style | None = None) -> bytes:
    """reportlab, with an embedded (or a named-only) CJK font; table 三 breaks across a page."""
    from reportlab.platypus.doctemplate import LayoutError

    style = style or Style()
    font = _pdf_font(style.embedded_font)
    try:
        return _pdf_story(report, style, font, 8)
    except LayoutError:  # a long merged cell that no longer fits a page (wider glyphs): a size smaller
        return _pdf_story(report, style, font, 7)


def _pdf_story(report: Report, style: Style, font: str, cell_size: float) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=18, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=font, fontSize=cell_size, leading=cell_size + 2, wordWrap="CJK")
    story: list = [Paragraph(title(report), ParagraphStyle("h", parent=body, fontSize=16, leading=24))]
    story += [Paragraph(p, body) for p in intro(report)]
    for heading, grid in tables(report, style):
        story += [Spacer(1, 6), Paragraph(heading, body)]
        width = _width(grid)
        data = [[Paragraph(t.replace("\n", "<br/>"), cell) if t else "" for t in row] for row in _matrix(grid)]
        commands = [("FONTNAME", (0, 0), (-1, -1), font)]
        if not style.borderless:
            commands.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
        for i, row in enumerate(grid):
            for c in row:
                if c.rowspan > 1 or c.colspan > 1:
                    commands.append(("SPAN", (c.col, i), (c.col + c.colspan - 1, i + c.rowspan - 1)))
        table = Table(data, colWidths=[(A4[0] - 80) / width] * width, splitByRow=1, splitInRow=1)
        table.setStyle(TableStyle(commands))
        story.append(table)
    story += [Paragraph(p, body) for p in closing(report)]
    out = BytesIO()
    encrypt = None
    if style.passwords is not None:
        from reportlab.lib.pdfencrypt import StandardEncryption

        encrypt = StandardEncryption(*style.passwords, canCopy=0, canModify=0)
    SimpleDocTemplate(out, pagesize=A4, title=title(report), leftMargin=40, rightMargin=40, invariant=1,
                      encrypt=encrypt).build(story)
    return out.getvalue()




RENDERERS = {"pdf": render_pdf, "html": render_html, "docx": render_docx, "txt": render_text}


SAMPLE_SOURCES = (  # the registry entries of the sample site, one per body
    ("heilongjiang-shuangyashan-baoshan", ["黑龙江省", "双鸭山市", "宝山区"]),
    ("shanghai-baoshan", ["上海市", "宝山区"]),
    ("jiangsu-huaian-hongze", ["江苏省", "淮安市", "洪泽区"]),
)
PER_PAGE = 4  # listing entries per page, so that the sample has pagination


# The bundled sample shows what real sites do (body index, report year -> quirk): a report whose totals
# do not add up, a carry-over that is not last year's 结转下年度, and an attachment broken off mid-upload
SAMPLE_QUIRKS = {(0, 2022): "inconsistent", (1, 2021): "carry_over", (2, 2020): "truncated"}


def write_sample(out: Path, seed: int = 0, years: range = range(2019, 2026),
                 bodies: Sequence[tuple[Body, str, list[str]]] | None = None, formats: Sequence[str] = FORMATS[:3],
                 base_url: str = "file:") -> Path:
    """The bundled sample: a small local site per body (paginated listing, report pages, PDF and DOCX
    attachments, an unrelated notice) and its source registry. Returns the registry's path.

    `bodies` (body, source id, region) and `formats` make larger sites (benchmarks); `base_url` is what
    the registry's listing URLs start with (`file:` for the local mirror, or a server's address)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    registry = ["# The bundled sample site: synthetic reports written by pipeline/synth/generate.py", "settings:",
                "  delay_seconds: 0", "sources:"]
    chosen = bodies or [(body, sid, region) for body, (sid, region) in zip(SAMPLE_BODIES, SAMPLE_SOURCES, strict=True)]
    quirks = SAMPLE_QUIRKS if bodies is None else {}
    for b, (body, source_id, region) in enumerate(chosen):
        site = out / source_id
        entries = []
        forward = None
        for y, year in enumerate(years):
            fmt = formats[(b + y) % len(formats)]  # html pages, pdf and docx attachments in rotation
            quirk = quirks.get((b, year))
            if quirk == "carry_over" and forward is not None:  # not last year's 结转下年度
                forward = tuple(v + 1 for v in forward)
            report = make_report(body, year, rng, break_rule=quirk == "inconsistent", carried_over=forward)
            forward = report.values["applications:carried_forward"]
            if quirk == "truncated":
                fmt = "pdf"
            style = Style(quirks=y % 2 == 1, rng=random.Random(seed + y))
            article = site / str(year + 1) / f"t{year + 1}0120_{b}{y}.html"
            published = f"{year + 1}-{'03' if y % 3 == 2 else '01'}-{10 + 2 * y:02d}"  # some published late
            article.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "html":
                _write_once(article, lambda r=report, s=style: render_html(r, style=s))
            else:  # the attachment first: a page never links a file that is not there yet
                cut = 2500 if quirk == "truncated" else None  # an upload broken off: nothing can be read
                _write_once(article.parent / f"report_{year}.{fmt}",
                            lambda r=report, s=style, f=fmt, c=cut: RENDERERS[f](r, style=s)[:c])
                _write_once(article, lambda r=report, f=fmt, p=published, y=year:
                            _article_page(title(r), p, f"report_{y}.{f}").encode("utf-8"))
            entries.append((title(report), f"{year + 1}/{article.name}", published))
        entries.insert(2, (f"关于做好{years[-1]}年政务公开工作的通知", f"{years[-1]}/notice.html", f"{years[-1]}-03-01"))
        _write_listing(site, entries[::-1])
        registry += [f"  - id: {source_id}", f"    name: {body.name}", f"    region: [{', '.join(region)}]",
                     "    level: county", f"    listing_urls: [{base_url}{source_id}/index.html]"]
    path = out / "sources.yaml"
    path.write_text("\n".join(registry) + "\n", encoding="utf-8")
    return path


def _write_once(path: Path, render: Callable[[], bytes]) -> None:
    """Rendered only when missing (a rerun rewrites nothing), and whole or not at all (a killed run
    leaves no half-written file for the next one to serve)."""
    if path.exists():
        return
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(render())
    tmp.replace(path)


def _article_page(heading: str, published: str, attachment: str) -> str:
    return (f"<html><head><meta charset='utf-8'><title>{heading}</title></head><body><h1>{heading}</h1>"
            f"<p>发布日期：{published}</p><p>全文见附件。</p>"
            f"<p>附件：<a href='{attachment}'>{heading}.{attachment.rsplit('.', 1)[-1]}</a></p></body></html>")


def _write_listing(site: Path, entries: list[tuple[str, str, str]]) -> None:
    pages = [entries[i:i + PER_PAGE] for i in range(0, len(entries), PER_PAGE)]
    for n, page in enumerate(pages):
        items = "".join(f"<li><a href='{href}' title='{text}'>{text}</a><span>{date}</span></li>"
                        for text, href, date in page)
        nav = f"<a href='index_{n + 1}.html'>下一页</a>" if n + 1 < len(pages) else ""
        name = "index.html" if n == 0 else f"index_{n}.html"
        (site / name).write_text(f"<html><head><meta charset='utf-8'><title>政府信息公开年报</title></head><body>"
                                 f"<ul class='list'>{items}</ul><div class='page'>{nav}</div></body></html>",
                                 encoding="utf-8")
