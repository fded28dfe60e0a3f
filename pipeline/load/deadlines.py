"""When each body's annual report is due, by the law in force for its report year, declared as data.

The 2007 条例 (国务院令第492号, art. 31) gave every administrative body until 31 March. The 2019 条例
(国务院令第711号, in force from 15 May 2019, art. 49) gives departments of governments at county level and
above until 31 January, and local governments until 31 March, of the year after the report year.
A body whose level is unknown has no deadline: it is never called late or on time by a guess."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

GOVERNMENTS = ("province", "city", "county", "township")


@dataclass(frozen=True)
class Deadline:
    law: str
    article: str
    levels: tuple[str, ...]  # agencies.level
    first_year: int | None  # the report years it governs (None: open)
    last_year: int | None
    month: int  # the day, in the year after the report year
    day: int
    note: str = ""


LAW_2007 = "中华人民共和国政府信息公开条例（2007年，国务院令第492号）"
LAW_2019 = "中华人民共和国政府信息公开条例（2019年修订，国务院令第711号）"

DEADLINES = (
    Deadline(LAW_2007, "第三十一条", (*GOVERNMENTS, "department"), None, 2018, 3, 31,
             "各级行政机关应当在每年3月31日前公布本行政机关的政府信息公开工作年度报告"),
    Deadline(LAW_2019, "第四十九条", ("department",), 2019, None, 1, 31,
             "县级以上人民政府部门应当在每年1月31日前……向社会公布"),
    Deadline(LAW_2019, "第四十九条", GOVERNMENTS, 2019, None, 3, 31,
             "县级以上地方人民政府的政府信息公开工作主管部门应当在每年3月31日前向社会公布本级政府上一年度"
             "政府信息公开工作年度报告 (乡镇人民政府: the same date)"),
)


def due_date_sql(year: str, level: str) -> str:
    """A SQL expression: the report's due date from its report year and its body's level (NULL: unknown)."""
    cases = []
    for d in DEADLINES:
        conditions = [f"{level} IN ({', '.join(repr(v) for v in d.levels)})"]
        if d.first_year is not None:
            conditions.append(f"{year} >= {d.first_year}")
        if d.last_year is not None:
            conditions.append(f"{year} <= {d.last_year}")
        cases.append(f"WHEN {' AND '.join(conditions)} THEN make_date({year} + 1, {d.month}, {d.day})")
    return f"CASE {' '.join(cases)} END"


def deadlines_frame() -> pd.DataFrame:
    """The `deadlines` table: which law, which article, which levels, which report years, which date."""
    return pd.DataFrame([{"law": d.law, "article": d.article, "levels": ",".join(d.levels),
                          "first_year": d.first_year, "last_year": d.last_year,
                          "due": f"{d.month:02d}-{d.day:02d} of the next year", "text": d.note}
                         for d in DEADLINES])
