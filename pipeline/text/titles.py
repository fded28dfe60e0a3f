"""Report titles: which title names an annual disclosure report, its year and the body printed in it.

Shared by the crawler (link and page titles) and by describing a report (its own title).
"""

from __future__ import annotations

import re

from pipeline.text.norm import compact, parse_year

YEAR_WORD = r"((?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})"
TITLE_YEAR = re.compile(YEAR_WORD + r"\s*年\s*度?")
TITLE_HINT = re.compile(r"(政府)?信息公开(工作)?年度?报告|信息公开年报|政务公开.{0,4}年度报告")


def find_title(text: str, given: str | None = None) -> str | None:
    """The report's title: the given one (HTML <title>, PDF metadata) if it names a report, its body and
    its year; else the first line (or two lines joined: titles break) that names a report, with the
    agency's name when printed above it. A given title that names less (the bare 政府信息公开工作年度报告
    of a PDF's metadata) never hides a fuller one printed on the first page."""
    given = _clean_title(given) if given else None
    if given and TITLE_HINT.search(given) and _fullness(given) == 2:
        return given
    printed = _printed_title(text)
    if printed is not None and (not given or not TITLE_HINT.search(given) or _fullness(printed) > _fullness(given)):
        return printed
    return given or printed


def _fullness(title: str) -> int:
    """How much of a report's identity a title names: its year, its body (0 to 2)."""
    return (TITLE_YEAR.search(title) is not None) + (agency_from_title(title) is not None)


def _printed_title(text: str) -> str | None:
    lines = [_clean_title(line) for line in text.splitlines()[:200]]
    lines = [line for line in lines if line][:80]
    for i, line in enumerate(lines):
        if _is_title(line):
            m = TITLE_YEAR.search(line)
            if m and m.start() == 0 and i > 0 and len(lines[i - 1]) <= 30 and not TITLE_YEAR.search(lines[i - 1]) \
                    and line[m.end():].startswith(("政府信息", "信息公开", "政务公开")):
                return lines[i - 1] + line  # 洪泽区人民政府 / 2023 年政府信息公开工作年度报告
            return line
    for i, line in enumerate(lines[:-1]):  # a title broken over two lines: 2024 年上海市科委政府信息公开工作 / 年度报告
        if TITLE_YEAR.search(line) and _is_title(line + lines[i + 1]) and not TITLE_HINT.search(line):
            return line + lines[i + 1]
    return None


def _is_title(line: str) -> bool:
    return len(line) <= 70 and TITLE_HINT.search(line) is not None and TITLE_YEAR.search(line) is not None


def _clean_title(line: str) -> str:
    line = compact(line).lstrip("#*>")
    line = line.rsplit(">", 1)[-1]  # a breadcrumb: 首页>政务公开>年报
    return re.sub(r"^(标题|题目|title)[:：]", "", line, flags=re.I)


def annual_report_year(title: str) -> int | None:
    """The report year when a link or page title names an annual disclosure report, else None
    (关于2014年政府信息公开工作要点落实情况的函 is not one)."""
    flat = compact(title)
    if not TITLE_HINT.search(flat) or not (m := TITLE_YEAR.search(flat)):
        return None
    return parse_year(m.group(1))


def agency_from_title(title: str | None) -> str | None:
    """The body's name as printed: before the year (宝山区2021年…), or after it (2024年上海市科委政府信息公开…)."""
    if not title or not (m := TITLE_YEAR.search(title)):
        return None
    name = re.sub(r"^.*[》:]", "", title[: m.start()]).strip("《》“”\"'-_ ")
    name = re.sub(r"^(关于|印发)", "", name)
    if not name:
        after = re.match(r"(.{2,30}?)(?:政府信息公开|信息公开|政务公开)", title[m.end():])
        name = after.group(1) if after else ""
    return name or None
