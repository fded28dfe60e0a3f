"""Legacy reports (2008–2018) written by us, in the layouts real ones come in, with known figures.

The statistics table prints the labels `parse.legacy` declares (`LEGACY_INDICATORS.printed`), as a grid
(HTML table, Word table), as a text dump with its cells spaced or run together, or not at all (prose
only); the prose states some figures plainly among numbers that are not figures. `expected` is what a
reader must load: every table figure, and the prose figures the table does not give.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from io import BytesIO

from pipeline.parse.legacy import BY_CODE, LEGACY_INDICATORS, splits
from pipeline.synth.generate import Body

LAYOUTS = ("grid", "spaced", "run_together", "prose_only", "disagree")
# the common table's rows, in print order (the 其中 rows under their parent, numbered)
TABLE_ROWS = ("proactive_items", "proactive_web", "proactive_gazette", "requests_received", "requests_in_person",
              "requests_online", "requests_letter", "requests_other_channel", "responses_total", "granted",
              "partially_granted", "withheld", "other_response", "fees_yuan", "complaints", "review_total",
              "litigation_total")


@dataclass
class LegacyReport:
    body: Body
    year: int
    layout: str
    figures: dict[tuple[str, str], int]  # (indicator, scope) -> value: what the table prints
    prose: dict[tuple[str, str], int] = field(default_factory=dict)  # what the prose states (may differ)

    @property
    def title(self) -> str:
        return f"{self.body.name}{self.year}年政府信息公开工作年度报告"

    @property
    def expected(self) -> dict[tuple[str, str], int]:
        if self.layout == "prose_only":
            return dict(self.prose)
        return {**self.prose, **self.figures}


def make_legacy_report(body: Body, year: int, rng: random.Random, layout: str) -> LegacyReport:
    """Figures that add up (channels to 受理, answers to 答复, web and gazette to 主动公开), cumulative at
    least the year's."""
    year_values: dict[str, int] = {}
    year_values["proactive_web"] = rng.randint(20, 600)
    year_values["proactive_gazette"] = rng.choice([0, 0, rng.randint(1, 30)])
    year_values["proactive_items"] = year_values["proactive_web"] + year_values["proactive_gazette"]
    for code in ("requests_in_person", "requests_online", "requests_letter", "requests_other_channel"):
        year_values[code] = rng.choice([0, rng.randint(1, 9)])
    year_values["requests_received"] = sum(year_values[c] for c in ("requests_in_person", "requests_online",
                                                                    "requests_letter", "requests_other_channel"))
    left = year_values["requests_received"]
    for code in ("partially_granted", "withheld", "other_response"):
        year_values[code] = rng.randint(0, left // 3)
        left -= year_values[code]
    year_values["granted"] = left
    year_values["responses_total"] = year_values["requests_received"]
    year_values["fees_yuan"] = rng.choice([0, 0, 0, rng.randint(5, 80)])
    for code in ("complaints", "review_total", "litigation_total"):
        year_values[code] = rng.choice([0, 0, 1, 2])
    figures = {}
    for code, value in year_values.items():
        figures[(code, "year")] = value
        figures[(code, "cumulative")] = value * rng.randint(2, 6) + rng.randint(0, 5)
    for parent, children in (("proactive_items", ("proactive_web", "proactive_gazette")),
                             ("requests_received", ("requests_in_person", "requests_online", "requests_letter",
                                                    "requests_other_channel")),
                             ("responses_total", ("granted", "partially_granted", "withheld", "other_response"))):
        figures[(parent, "cumulative")] = sum(figures[(c, "cumulative")] for c in children)
    if layout == "run_together" and not all(len(splits(f"{figures[(c, 'year')]}{figures[(c, 'cumulative')]}")) == 1
                                            for c in year_values):
        return make_legacy_report(body, year, rng, layout)  # cells run together must split one way only: draw again
    report = LegacyReport(body, year, layout, figures)
    stated = ("proactive_items", "requests_received", "granted", "fees_yuan", "review_total", "litigation_total")
    report.prose = {(c, "year"): figures[(c, "year")] for c in stated}
    if layout == "disagree":  # the prose gives another figure than the table
        report.prose[("proactive_items", "year")] += rng.randint(1, 9)
        report.prose[("requests_received", "year")] += rng.randint(1, 3)
    if not report.prose[("requests_received", "year")]:
        del report.prose[("granted", "year")]  # no applications: the prose says so, and no 同意公开
    return report


def _prose(report: LegacyReport, rng: random.Random) -> list[str]:
    p = report.prose
    lines = [f"根据《中华人民共和国政府信息公开条例》要求，现公布{report.body.name}{report.year}年度政府信息公开工作年度报告。"
             f"本报告所列数据的统计期限自{report.year}年1月1日起至{report.year}年12月31日止。",
             "一、概述",
             f"{report.year}年，我局共设置政府信息公开查阅点{rng.randint(1, 5)}个，接待群众咨询{rng.randint(10, 500)}人次，"
             f"配备工作人员{rng.randint(1, 4)}名。",
             "二、主动公开政府信息情况",
             f"全年主动公开政府信息{p[('proactive_items', 'year')]}条，其中工作动态{rng.randint(1, 50)}篇，"
             f"发布新闻稿{rng.randint(1, 40)}篇。",
             "三、依申请公开政府信息情况"]
    received = p[("requests_received", "year")]
    if received:
        lines.append(f"本年度共受理政府信息公开申请{received}件，办理人大建议{rng.randint(1, 9)}件。"
                     f"在已答复的申请中，同意公开{p[('granted', 'year')]}件。")
    else:
        lines.append("本年度未收到政府信息公开申请。")
    lines.append("四、政府信息公开的收费及减免情况")
    fees = p[("fees_yuan", "year")]
    lines.append("本年度无政府信息公开收费及减免情况。" if not fees else f"本年度收取检索、复制费用共{fees}元。")
    lines.append("五、因政府信息公开申请行政复议、提起行政诉讼的情况")
    review, litigation = p[("review_total", "year")], p[("litigation_total", "year")]
    if not review and not litigation:
        lines.append("本年度未发生因政府信息公开申请行政复议、提起行政诉讼的情况。")
    else:
        lines.append(f"本年度发生因政府信息公开引起的行政复议{review}件。")
        lines.append(f"本年度发生因政府信息公开引起的行政诉讼{litigation}件。")
    lines += ["六、存在的主要问题及改进措施", f"{report.year + 1}年将继续完善政府信息公开工作机制，编发工作简报{rng.randint(2, 12)}期。"]
    return lines


def table_cells(report: LegacyReport) -> list[tuple[str, str, int, int]]:
    """(label with its ordinal, unit, this year's, cumulative) per row of the common table."""
    rows, counters = [], {}
    for code in TABLE_ROWS:
        indicator = BY_CODE[code]
        label = indicator.printed
        if indicator.parent:
            counters[indicator.parent] = counters.get(indicator.parent, 0) + 1
            n = counters[indicator.parent]
            label = f"{'其中：' if n == 1 else ''}{n}.{label}"
        unit = "元" if code == "fees_yuan" else ("条" if indicator.unit == "条" else "件")
        rows.append((label, unit, report.figures[(code, "year")], report.figures[(code, "cumulative")]))
    return rows


def render_legacy_text(report: LegacyReport, seed: int = 0) -> bytes:
    """A text dump: the title, the prose, and (unless prose only) the table, spaced or run together."""
    rng = random.Random(seed)
    lines = [report.title, *_prose(report, rng)]
    if report.layout != "prose_only":
        head = ["指标名称", "计量单位", f"{report.year}年度", "历年累计"]
        cells = [head, *([label, unit, str(a), str(b)] for label, unit, a, b in table_cells(report))]
        lines.append(f"附件：{report.body.name}{report.year}年政府信息公开情况统计表")
        if report.layout == "run_together":
            lines.append("".join("".join(row) for row in cells))
        else:
            lines.append(" ".join(" ".join(row) for row in cells))
    return "\n".join(lines).encode("utf-8")


def render_legacy_html(report: LegacyReport, seed: int = 0) -> bytes:
    """An article page: prose paragraphs and the table as an HTML grid."""
    rng = random.Random(seed)
    body = "".join(f"<p>{line}</p>" for line in _prose(report, rng))
    rows = "".join(f"<tr><td>{label}</td><td>{unit}</td><td>{a}</td><td>{b}</td></tr>"
                   for label, unit, a, b in table_cells(report))
    table = ("<p>附件：政府信息公开情况统计表</p><table border='1'><tr><td>指标名称</td><td>计量单位</td>"
             f"<td>{report.year}年度</td><td>历年累计</td></tr>{rows}</table>") if report.layout != "prose_only" else ""
    return (f"<html><head><meta charset='utf-8'><title>{report.title}</title></head><body><h1>{report.title}</h1>"
            f"{body}{table}</body></html>").encode()


def render_legacy_docx(report: LegacyReport, seed: int = 0) -> bytes:
    """A Word document: prose paragraphs and the table as a Word table."""
    import docx

    from pipeline.synth.generate import _fixed_zip_times

    rng = random.Random(seed)
    document = docx.Document()
    document.add_heading(report.title, level=1)
    for line in _prose(report, rng):
        document.add_paragraph(line)
    if report.layout == "prose_only":
        return _fixed_zip_times(_saved(document))
    rows = table_cells(report)
    table = document.add_table(rows=len(rows) + 1, cols=4)
    for c, text in enumerate(["指标名称", "计量单位", f"{report.year}年度", "历年累计"]):
        table.cell(0, c).text = text
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            table.cell(r, c).text = str(value)
    return _fixed_zip_times(_saved(document))


def _saved(document) -> bytes:
    out = BytesIO()
    document.save(out)
    return out.getvalue()


LEGACY_RENDERERS = {"txt": render_legacy_text, "html": render_legacy_html, "docx": render_legacy_docx}
assert set(TABLE_ROWS) == {i.code for i in LEGACY_INDICATORS if i.part_of is None}  # every loaded code printed
