"""Synthetic reports written by us: both templates as PDF, DOCX, HTML and text, with known numbers.

Numbers are random but obey the templates' rules (optionally breaking one), so every extractor can be
checked against the truth. Labels and columns come from `templates`, like the parser's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from pipeline.templates import TEMPLATES, Template

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


def make_report(body: Body, year: int, rng: random.Random, break_rule: bool = False) -> Report:
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
    for _ in range(6):
        outs = {r.code: (rng.choice((0, 0, 0, 1, 2, 5, 13)) if rng.random() < 0.6 else 0) for r in outcome_rows}
        total = sum(outs.values())
        forward = rng.choice((0, 0, 1, 3))
        over = rng.randint(0, total + forward)
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


def table_rows(report: Report) -> list[tuple[str, list[list[str]]]]:
    """(heading, grid rows) per table: label cells first, then the numbers as printed."""
    t = report.template
    v = report.values
    cols19 = report.template.code == "2019"

    def fmt(x: float) -> str:
        return str(int(x)) if float(x).is_integer() and not isinstance(x, float) else f"{x:.2f}"

    def cells(code: str) -> list[str]:
        return [fmt(x) for x in v[code]]

    t2: list[list[str]] = []
    heads = {
        "regulations": ("第二十条第（一）项", ["信息内容", *(["本年新制作数量", "本年新公开数量", "对外公开总数量"] if cols19
                                                      else ["本年制发件数", "本年废止件数", "现行有效件数"])]),
        "permits": ("第二十条第（五）项", ["信息内容", *(["上一年项目数量", "本年增/减", "处理决定数量"] if cols19 else ["本年处理决定数量"])]),
        "penalties": ("第二十条第（六）项", ["信息内容", *(["上一年项目数量", "本年增/减", "处理决定数量"] if cols19 else ["本年处理决定数量"])]),
        "fees": ("第二十条第（八）项", ["信息内容", *(["上一年项目数量", "本年增/减"] if cols19 else ["本年收费金额（单位：万元）"])]),
        "procurement": ("第二十条第（九）项", ["信息内容", "采购项目数量", "采购总金额"]),
    }
    seen: set[str] = set()
    for row in t.blocks[0].rows:
        if row.table not in seen:
            seen.add(row.table)
            item, header = heads[row.table]
            t2 += [[item], header]
        label = "行政规范性文件" if row.code == "regulations:normative_document" and not cols19 else row.keys[0]
        t2.append([label, *cells(row.code)])
    t3: list[list[str]] = [["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"],
                           ["自然人", "法人或其他组织", "总计"],
                           ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]]
    current, sub = "", 0
    groups = {"withheld": "（三）不予公开", "unavailable": "（四）无法提供", "not_processed": "（五）不予处理",
              "other": "（六）其他处理"}
    heads3 = {"granted": "（一）予以公开", "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
              "total": "（七）总计", "other": "（六）其他处理"}
    stages = {"received": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
              "carried_forward": "四、结转下年度继续办理"}
    for row in t.blocks[1].rows:
        if row.optional:
            continue
        code = row.dims.get("outcome") or row.dims.get("stage") or ""
        if code in stages:
            t3.append([stages[code], *cells(row.code)])
        elif code in heads3:
            t3.append((["三、本年度办理结果"] if code == "granted" else []) + [heads3[code], *cells(row.code)])
        else:
            prefix = code.split(".")[0]
            sub = sub + 1 if prefix == current else 1
            lead = [] if prefix == current else [groups[prefix]]
            current = prefix
            label = f"{sub}.{'其他' if code == 'other.other' else row.keys[0]}"
            t3.append([*lead, label, *cells(row.code)])
    t4 = [["行政复议", "行政诉讼"],
          ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"],
          ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2,
          cells("appeals:")]
    return [("二、主动公开政府信息情况", t2), ("三、收到和处理政府信息公开申请情况", t3),
            ("四、政府信息公开行政复议、行政诉讼情况", t4)]


def closing(report: Report) -> list[str]:
    return ["五、存在的主要问题及改进情况", f"{report.year}年，我区政府信息公开工作取得一定成效，但仍存在不足。",
            "六、其他需要报告的事项", "无其他需要报告的事项。"]


# --- renderers --------------------------------------------------------------------------------
def render_html(report: Report, charset: str = "utf-8") -> bytes:
    parts = [f'<html><head><meta charset="{charset}"><title>{title(report)}_政府信息公开年报</title></head><body>',
             '<div class="nav">首页 &gt; 政务公开 &gt; 行政许可 &gt; 年报</div>', f"<h1>{title(report)}</h1>"]
    parts += [f"<p>{p}</p>" for p in intro(report)]
    for heading, grid in table_rows(report):
        parts.append(f"<p>{heading}</p><table border='1'>")
        parts += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in grid]
        parts.append("</table>")
    parts += [f"<p>{p}</p>" for p in closing(report)]
    parts.append("<div class='footer'>网站标识码：3500000001 版权所有</div></body></html>")
    return "\n".join(parts).encode(charset)


def render_text(report: Report) -> bytes:
    lines = [title(report), *intro(report)]
    for heading, grid in table_rows(report):
        lines.append(heading)
        lines += ["\t".join(row) for row in grid]
    lines += closing(report)
    return "\n".join(lines).encode("utf-8")


def render_docx(report: Report) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(title(report))
    for p in intro(report):
        document.add_paragraph(p)
    for heading, grid in table_rows(report):
        document.add_paragraph(heading)
        width = max(len(r) for r in grid)
        table = document.add_table(rows=len(grid), cols=width)
        for i, row in enumerate(grid):
            for j, cell in enumerate(row):
                table.cell(i, j).text = cell
    for p in closing(report):
        document.add_paragraph(p)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def render_pdf(report: Report) -> bytes:
    """reportlab with its built-in CID font (no font files needed); table 三 breaks across a page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=18, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=8, leading=10, wordWrap="CJK")
    story: list = [Paragraph(title(report), ParagraphStyle("h", parent=body, fontSize=16, leading=24))]
    story += [Paragraph(p, body) for p in intro(report)]
    for heading, grid in table_rows(report):
        story += [Spacer(1, 6), Paragraph(heading, body)]
        width = max(len(r) for r in grid)
        data = [[Paragraph(c, cell) for c in row] + [""] * (width - len(row)) for row in grid]
        table = Table(data, colWidths=[(A4[0] - 80) / width] * width)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("FONTNAME", (0, 0), (-1, -1), "STSong-Light")]))
        story.append(table)
    story += [Paragraph(p, body) for p in closing(report)]
    out = BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=title(report), leftMargin=40, rightMargin=40, invariant=1).build(story)
    return out.getvalue()


RENDERERS = {"pdf": render_pdf, "html": render_html, "docx": render_docx, "txt": render_text}


def write_sample(out: Path, seed: int = 0, years: range = range(2019, 2026)) -> list[Path]:
    """The bundled sample: each body, each year, formats in rotation. Same seed, same bytes."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for b, body in enumerate(SAMPLE_BODIES):
        for y, year in enumerate(years):
            fmt = FORMATS[(b + y) % 3]  # pdf, html, docx
            report = make_report(body, year, rng)
            path = out / f"{body.province}{body.county}_{year}.{fmt}"
            if not path.exists():  # PDF and DOCX carry timestamps: keep the first rendering, same report
                path.write_bytes(RENDERERS[fmt](report))
            files.append(path)
    return files
