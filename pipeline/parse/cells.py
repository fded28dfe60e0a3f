"""Reading the cells of one table row: numbers, placeholders, units and notes.

A row's text (everything between its label and the next label) becomes a list of `Cell`s; when the
count does not match the template's columns, `candidates` lists every reading the template's own sums
allow (digit runs split, a cell missing, a value repeated across merged cells). The caller keeps a
reading only when it is the only one: a number is never guessed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from pipeline.parse.templates import Column, SumRule
from pipeline.text.norm import BLANK_MARK, CHOICE, UNSURE

PLACEHOLDERS = frozenset({BLANK_MARK, "—", "——", "———", "-", "--", "/", "\\", "无", "―", "─", "－", "空", "N/A"})

_NUMBER = re.compile(
    r"-?\d+(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?"  # thousands separators or a plain number
)
_UNIT = re.compile(r"\s*(万元|元|件|个|条|项|次|宗|家|人次)")
_NOTE = re.compile(r"\s*\((?![一二三四五六七八九十\d]{1,2}\))([^()]*)\)")  # not the next label's (二)
_SPACED_ENUMERATOR = re.compile(r"(\d) +([.、])(?= *(?:[\u4e00-\u9fff]|\||$))")  # the next label's "2 、 重 复" (| is GLUE)
_PAREN = re.compile(r"\([^()\t\n]*\)")
_SPACED_MONEY = re.compile(r"(\d) +(万元|元)(?![\u4e00-\u9fff])")  # 75394432.52 元: the unit wrapped in its cell
_ENUMERATOR_AFTER = re.compile(r"[.、](?!\d)")

GLUE = "|"  # stands for text cut off right after a row's cells: what was there ran on from them
MAX_CHOICE_COMBINATIONS = 256  # readings of a row's unsure cells tried together; past it none is chosen
SPLIT_BUDGET = 200_000  # search steps before a row's readings are declared too many to list
MAX_EXTRA_CELLS = 2  # a value repeated across merged grid cells; more than that is not one row


@dataclass(frozen=True)
class Cell:
    value: float | None  # None: a placeholder, read as 0
    raw: str
    splittable: bool = False  # digits run together, may hold several cells
    unit: str | None = None
    note: str | None = None
    grouped: int = 0  # trailing digits in thousands groups (24,381: 3): a split never cuts into them
    dash_glued: bool = False  # a leading dash run on from the cell before it (0-1,282): a sign or a placeholder
    choices: tuple[Cell, ...] | None = None  # an unsure cell (OCR readings that differ): what it may be;
    # value is then None, and only `candidates` reads it (as each choice, or as what the sums make it)

    @property
    def number(self) -> float:
        return 0 if self.value is None else self.value


def _as_number(text: str) -> float:
    value = float(text.replace(",", ""))
    return int(value) if value.is_integer() and "." not in text else value


def tokenize(segment: str, glued_left: bool = False) -> list[Cell]:
    """Cells of a row segment, in order; text (labels, headers) is skipped.

    In a grid line (cells separated by tabs) a cell that starts with text is a label or a header
    (数据1, 第2项): its digits are not cells. Without separators (crawler dumps) numbers run on from the
    label (行政许可2293) and are read wherever they stand.
    `glued_left`: the segment starts in the middle of a word (right after its label, 办理1000001).
    """
    if len(segment) <= _SHORT_SEGMENT:
        return list(_tokenize_short(segment, glued_left))
    return _tokenize(segment, glued_left)


_SHORT_SEGMENT = 120  # a grid row's numbers (\t0\t3\t0…): the same few repeat across rows and reports


def _tokenize(segment: str, glued_left: bool = False) -> list[Cell]:
    cells: list[Cell] = []
    first = True
    segment = _PAREN.sub(lambda m: m.group().replace(" ", ""), segment)  # 22（其中修订 16 件） is one cell
    segment = _SPACED_ENUMERATOR.sub(r"\1\2", segment)  # "1 . 属 于" is the enumerator 1., not a cell
    segment = _SPACED_MONEY.sub(r"\1\2", segment)  # the unit decides the value (元 in a 万元 column)
    for line in segment.split("\n"):
        grid = "\t" in line
        parts = line.split("\t") if grid else [line]
        for at, cell in enumerate(parts):
            if grid and cell.strip().startswith(UNSURE):
                if unsure := _unsure(cell.strip()):
                    cells.append(unsure)
                elif not any(_is_label(c) for c in parts[at + 1:]):
                    cells.append(Cell(None, UNSURE, choices=()))  # among the numbers: one no reading could read
                continue  # before a label: a label cell read as nothing
            if grid and not _LEADING_NUMBER.match(cell.strip()) and cell.strip() not in PLACEHOLDERS:
                continue
            line_cells = []
            for chunk in cell.split():
                if chunk.startswith(UNSURE):  # a number OCR read two ways, in a line of text
                    line_cells += [unsure] if (unsure := _unsure(chunk)) else []
                    continue
                line_cells += _chunk_cells(chunk, bool(glued_left and first and segment[:1] == chunk[:1]))
                first = False
            if not grid and all(c.value is None for c in line_cells):
                # outside a grid, 无 on a line without numbers is a character of a label ((四)无法提供
                # printed vertically), not a cell
                line_cells = [c for c in line_cells if c.raw != "无"]
            cells += line_cells
    return cells


_LEADING_NUMBER = re.compile(r"[-+]?\d")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _is_label(cell: str) -> bool:
    return len(_CJK.findall(cell)) >= 2  # 3.补正后申请内容仍不明确 starts with a digit, but is words


def _unsure(text: str) -> Cell | None:
    """?21~27: a cell read two ways, each choice a number as printed (with its unit); None for a bare ?."""
    choices = []
    for part in filter(None, text[len(UNSURE):].split(CHOICE)):
        read = [c for c in _chunk_cells(part) if c.value is not None]
        if len(read) == 1:
            choices.append(read[0])
    return Cell(None, text, choices=tuple(choices)) if choices else None
_tokenize_short = lru_cache(maxsize=1 << 16)(lambda segment, glued_left: tuple(_tokenize(segment, glued_left)))


@lru_cache(maxsize=65536)  # reports repeat the same chunks (0, 1, 无) thousands of times; Cells are frozen
def _chunk_cells(chunk: str, glued_left: bool = False) -> tuple[Cell, ...]:
    if chunk in PLACEHOLDERS or set(chunk) <= {"—", "-", "―", "─"}:
        return (Cell(None, chunk),)
    out = []
    pos = 0
    while True:
        m = _NUMBER.search(chunk, pos)
        for mark in _MARK.finditer(chunk, pos, m.start() if m else len(chunk)):
            if _mark_is_cell(chunk, mark.start(), mark.end()):
                out.append(Cell(None, mark.group()))  # a placeholder among run-together cells: 0/11313
        if not m:
            break
        raw, end = m.group(), m.end()
        pos = end
        if m.start() > 0 and chunk[m.start() - 1] == "(" and chunk[end:end + 1] == ")":
            continue  # an enumerator such as (5)
        if m.start() > 0 and not chunk[m.start() - 1].isdigit() and chunk[m.start() - 1] not in "-+(":
            if not _starts_cell(chunk, m.start()):
                continue  # digits inside words: not a cell
        if _ENUMERATOR_AFTER.match(chunk, end) or (end == len(chunk) and chunk[end - 1:end] in ".、"):
            raw = raw[:-1] if len(raw) > 1 and raw[-2].isdigit() else ""  # 00000002.其他 -> 0000000
            if not raw or raw == "-":
                continue
        unit = note = None
        if (u := _UNIT.match(chunk, end)) is not None:
            unit, end = u.group(1), u.end()
        if (n := _NOTE.match(chunk, end)) is not None:
            note, end = n.group(1), n.end()
        pos = max(pos, end)
        whole = raw.lstrip("-").split(".")[0]
        # Digits may hold several cells only where the text ran them together: glued to the label or to
        # what follows (行政许可3960181, 640020470二、), or with a leading zero no single number has (000023).
        # An amount's whole digits may hold the count printed before it (采购135 and 75394432.52元).
        # a placeholder before the digits is a boundary, not glue
        left_glued = (m.start() > 0 and chunk[m.start() - 1] not in "-+" + _MARK_CHARS) or (m.start() == 0 and glued_left)
        glued = left_glued or pos < len(chunk) or len(raw) < m.end() - m.start()
        lead, *groups = whole.split(",")
        if groups:  # 24,381: a split never cuts into its groups, but a dump may have glued a cell to its
            # head (024,381 is 0 and 24,381; 51,282 may be 5 and 1,282)
            splittable = len(lead) > 1 and (left_glued or len(lead) > 3 or lead.startswith("0"))
        else:
            splittable = len(whole) > 1 and (glued or whole.startswith("0"))
        dash_glued = raw.startswith("-") and (m.start() > 0 or glued_left)
        out.append(Cell(_as_number(raw), raw, splittable, unit, note, sum(map(len, groups)), dash_glued))
    return tuple(out)


_MARK = re.compile(r"[—―─/]+|-+(?!\d)|无")
_MARK_CHARS = "—―─/-无"


def _mark_is_cell(chunk: str, start: int, end: int) -> bool:
    """A dash, slash or 无 is a placeholder cell where it stands between cells (0/0—3, 0无无5, a label's
    or a header's end then —0), not inside words (本年增/减, （四）无法提供)."""
    before = chunk[start - 1] if start > 0 else ""
    after = chunk[end] if end < len(chunk) else ""
    # after a word only when a cell follows: a header's last word then the first cell (总计—1449…)
    return (not before or before.isdigit() or before in ")" + _MARK_CHARS or "\u4e00" <= before <= "\u9fff") and (
        not after or after.isdigit() or after in "(" + GLUE + _MARK_CHARS)


def _starts_cell(chunk: str, start: int) -> bool:
    # A number right after a CJK label in run-together text (行政许可2293) is a cell; after Latin it is not.
    prev = chunk[start - 1]
    return "\u4e00" <= prev <= "\u9fff" or prev in "):：、。,;”\"》】" + _MARK_CHARS


def satisfies(values: Sequence[float], sums: Sequence[SumRule]) -> bool:
    return all(satisfies_rule(values, r) for r in sums)


def candidates(cells: Sequence[Cell], n: int, sums: Sequence[SumRule], repeated_ok: bool = False,
               columns: Sequence[Column] = (), vanished: bool = False, counted: bool = False,
               checked_only: bool = False) -> list[tuple[float, ...]]:
    """Every reading of `cells` as `n` column values that the layout and the sums allow. `columns`: the
    row's, which say where an amount printed in 元 is converted to 万元 and where a split run's minus
    sign may fall. `vanished`: blank cells may have left no trace (a dump of a table that prints blanks
    for zero), so fewer cells than columns may still be the whole row. `counted`: every cell was read
    where it stands (OCR, which marks what it cannot read): fewer cells than columns is a number lost, whose
    place nothing tells, so no reading is made up by putting one back. `checked_only`: where a cell stands
    is not certain (OCR text without cell separators), so a reading whose sums cannot all be checked (an
    unsure cell they cannot fill) is no reading."""
    cells = _trim_blanks(list(cells), n)
    if counted:
        vanished = False
        if len(cells) < n and not any(c.splittable for c in cells):
            return []
    if any(c.choices is not None for c in cells):
        found = _unsure_readings(cells, n, sums, columns)
        if checked_only:
            found = [v for v in found if all(v[i] is not None for rule in sums for i in (*rule.parts, rule.total))]
        return found
    if columns and len(cells) < n and any(c.dash_glued for c in cells):
        # a dash run on from the cell before it (0-1,282) is a minus sign or a placeholder cell; in a row
        # none of whose values can be negative, only the placeholder
        dashed = _readings(_dash_before_digits(cells), n, sums, repeated_ok, columns, vanished)
        signed = _readings(cells, n, sums, repeated_ok, columns, vanished) if any(c.signed for c in columns) else []
        return [] if dashed is None or signed is None else sorted(set(dashed) | set(signed))
    return _readings(cells, n, sums, repeated_ok, columns, vanished, counted) or []


def _readings(cells: list[Cell], n: int, sums: Sequence[SumRule], repeated_ok: bool, columns: Sequence[Column],
              vanished: bool, counted: bool = False) -> list[tuple[float, ...]] | None:
    """`candidates` for one way of reading the dashes; None when there are too many readings to list."""
    k = len(cells)
    if k == n:
        return [tuple(_in_column(c.number, c, col, columns) for col, c in enumerate(cells))]
    found: set[tuple[float, ...]] = set()
    if k > n:
        values = [c.number for c in cells]
        if repeated_ok and k % n == 0 and all(values[i:i + n] == values[:n] for i in range(0, k, n)):
            return [tuple(values[:n])]  # a row printed twice (a header and data row repeated)
        if not sums or k - n > MAX_EXTRA_CELLS:
            return []  # more cells than a merged cell or two explain: the labels are not where the numbers are
        for drop in itertools.combinations(range(k), k - n):
            vec = tuple(v for i, v in enumerate(values) if i not in drop)
            if satisfies(vec, sums):
                found.add(vec)
        return sorted(found)
    if sums and any(c.raw.isdigit() and len(c.raw) == 1 for c in cells):
        # spaces inside a run of one-digit cells (30 0 0 0 03 is 3 0 0 0 0 0 3): in a short row with
        # sums, a number of several digits may hold two cells; the sums decide, and only alone
        cells = [replace(c, splittable=True) if c.raw.isdigit() and len(c.raw) > 1 else c for c in cells]
    if vanished and k < n and all(c.number == 0 and c.unit is None for c in cells):
        return [(0,) * n]  # nothing but zeros and marks: wherever the blanks were, every cell is 0
    if any(c.splittable for c in cells) or (vanished and k < n):
        budget = [SPLIT_BUDGET]
        found.update(v for v in _splits(cells, n, sums, columns, vanished, budget) if not sums or satisfies(v, sums))
        if budget[0] < 0:
            return None  # more readings than could be listed: none of them is chosen
    if sums and n - k == 1 and not counted:
        found.update(_with_one_missing([c.number for c in cells], n, sums))
    return sorted(found)


def _unsure_readings(cells: list[Cell], n: int, sums: Sequence[SumRule],
                     columns: Sequence[Column]) -> list[tuple[float | None, ...]]:
    """The reading of a row printed whole with unsure cells: each one as the row's sums make it from the
    cells both readings agree on (its only unknown in a sum), where that is one of the numbers read (or
    none was read); else left out (None). Choices are never tried against each other: misread digits
    can make up a sum of their own (9 + 9 = 18 for 0 + 0 = 0)."""
    if len(cells) != n:
        return []  # where an unsure cell stands is only certain in a row printed whole
    sure = {i for i, c in enumerate(cells) if c.choices is None}
    vec = [_in_column(c.number, c, i, columns) if i in sure else None for i, c in enumerate(cells)]
    by = _derived(vec, sums, sure)
    for i, c in enumerate(cells):
        if i in sure or vec[i] is None:
            continue
        read = {_in_column(choice.number, choice, i, columns) for choice in c.choices or ()}
        negative = vec[i] < 0 and not (i < len(columns) and columns[i].signed)  # type: ignore[operator]
        if negative or (read and vec[i] not in read):
            # the sums say what neither reading saw: one of the cells they were made from is misread as
            # likely as this one, so none of them stands
            rule = by[i]
            for j in (*rule.parts, rule.total):
                vec[j] = None
    return [tuple(vec)]


def _derived(vec: list[float | None], sums: Sequence[SumRule], sure: set[int]) -> dict[int, SumRule]:
    """Fill in (in place) each left-out value that a sum determines from sure cells (its only unknown
    member); a value filled in is then sure. Which sum filled in each."""
    sure = set(sure)
    by: dict[int, SumRule] = {}
    changed = True
    while changed:
        changed = False
        for rule in sums:
            members = (*rule.parts, rule.total)
            unknown = [i for i in members if i not in sure]
            if len(unknown) != 1 or vec[unknown[0]] is not None:
                continue
            i = unknown[0]
            parts = sum(vec[j] for j in rule.parts if j != i)  # type: ignore[misc]
            value = parts if i == rule.total else vec[rule.total] - parts  # type: ignore[operator]
            vec[i] = int(value) if float(value).is_integer() else round(value, 6)
            sure.add(i)
            by[i] = rule
            changed = True
    return by


def _dash_before_digits(cells: list[Cell]) -> list[Cell]:
    """The cells with each dash run on from the cell before it (0110-2) read as a placeholder cell."""
    out: list[Cell] = []
    for c in cells:
        if c.dash_glued and c.value is not None:
            out += [Cell(None, "-"), replace(c, value=-c.value, raw=c.raw[1:], dash_glued=False)]
        else:
            out.append(c)
    return out


def printed_cells(cells: Sequence[Cell], n: int) -> list[Cell]:
    """The cells that stand for the `n` columns, once the label columns' blanks are set aside."""
    return _trim_blanks(list(cells), n)


def _trim_blanks(cells: list[Cell], n: int) -> list[Cell]:
    # Blank cells at either end of a segment usually belong to the label columns.
    while len(cells) > n and cells[0].value is None and cells[0].raw == BLANK_MARK:
        cells.pop(0)
    while len(cells) > n and cells[-1].value is None and cells[-1].raw == BLANK_MARK:
        cells.pop()
    return cells


def _with_one_missing(values: list[float], n: int, sums: Sequence[SumRule]) -> Iterator[tuple[float, ...]]:
    for pos in range(n):
        vec: list[float | None] = values[:pos] + [None] + values[pos:]
        for rule in sums:
            members = [*rule.parts, rule.total]
            if pos not in members:
                continue
            others = sum(vec[i] for i in rule.parts if i != pos)  # type: ignore[misc]
            vec[pos] = vec[rule.total] - others if pos != rule.total else others  # type: ignore[operator]
            break
        if vec[pos] is None or vec[pos] < 0:  # type: ignore[operator]
            continue
        if satisfies(vec, sums):  # type: ignore[arg-type]
            yield tuple(vec)  # type: ignore[arg-type]


def _in_column(value: float, cell: Cell, col: int, columns: Sequence[Column]) -> float:
    """A value as the column holds it: an amount printed in 元 in a 万元 column is converted."""
    return round(value / 10_000, 6) if cell.unit == "元" and col < len(columns) and columns[col].money else value


def _splits(cells: Sequence[Cell], n: int, sums: Sequence[SumRule], columns: Sequence[Column], vanished: bool,
            budget: list[int]) -> list[tuple[float, ...]]:
    """Split digit runs into more cells (no leading zeros) until there are `n`, checking sums early.

    The columns are filled from the right: the templates print a sum's total after its parts (总计 last),
    so the total is known before its parts, and every part is bounded by what the total leaves (when no
    value of the row can be negative). A run of 20 digits for 7 columns is then settled in thousands of
    steps, not millions. A sum is checked exactly once its last member (leftmost) is placed.
    An amount's decimals (and its unit) stay with the rightmost piece of its run; its minus sign with
    the leftmost, which must then stand in a column that can be negative (88-720 is 88, -72, 0 or
    88, -7, 20 under 上一年项目数量, 本年增/减, 处理决定数量; never a negative 处理决定数量).
    `vanished`: any column may also be a blank cell that left no trace in the text (0).
    Every step spends `budget`; below zero the search stops and what it returns is not all there is."""
    members: dict[int, list[int]] = {}  # column -> the sums it is the total or a part of
    for k, rule in enumerate(sums):
        for col in (*rule.parts, rule.total):
            members.setdefault(col, []).append(k)
    leftmost = [min(*rule.parts, rule.total) for rule in sums]
    bounded = not any(c.raw.startswith("-") for c in cells)  # parts never lower what a total still needs
    # the sum that every column from 0 to `col` is a part of, its total to their right (APPLICANT_SUM: 0..5)
    sole = [next((k for k, rule in enumerate(sums) if rule.total > col and set(range(col + 1)) <= set(rule.parts)),
                 None) if bounded else None for col in range(n)]
    reach_memo: dict[tuple, tuple[int, float]] = {}

    def reach(ci: int, rest: str | None) -> tuple[int, float]:
        """The least and the most the digits still to place can add up to: each digit its own piece, or
        each cell's digits one number."""
        if (known := reach_memo.get((ci, rest))) is None:
            runs = [rest if rest is not None else cell_digits(cells[ci])] if ci >= 0 else []
            runs += [cell_digits(c) for c in cells[:max(ci, 0)]]
            known = reach_memo[(ci, rest)] = (sum(int(d) for run in runs for d in run),
                                              sum(float(run) for run in runs if run))
        return known

    def assign(col: int, value: float, left: tuple) -> tuple | None:
        """What each sum still needs once column `col` holds `value`; None when a sum cannot be kept."""
        now = list(left)
        for k in members.get(col, ()):
            total = sums[k].total
            now[k] += value if col == total else -value
            if (bounded and col <= total and now[k] < -1e-9) or (col == leftmost[k] and abs(now[k]) > 1e-9):
                return None
        return tuple(now)

    memo: dict[tuple, list[tuple[float, ...]]] = {}
    move_memo: dict[tuple, list[tuple[float, int, str | None]]] = {}

    def prefixes(ci: int, rest: str | None, col: int, left: tuple) -> list[tuple[float, ...]]:
        """The readings of columns 0..col from cells 0..ci (cell ci cut down to `rest`), given what each
        sum still needs. Remembered: vanished blanks and zeros reach the same state many ways."""
        key = (ci, rest, col, left)
        if (known := memo.get(key)) is not None:
            return known
        budget[0] -= 1
        if budget[0] < 0:
            return []
        if col < 0:
            return [()] if ci < 0 else []
        if (k := sole[col]) is not None:  # the digits left must make up exactly what that sum still needs
            least, most = reach(ci, rest)
            if not least - 1e-9 <= left[k] <= most + 1e-9:
                memo[key] = []
                return []
        out: set[tuple[float, ...]] = set()
        step = (ci, rest, col)
        if (options := move_memo.get(step)) is None:
            options = move_memo[step] = moves(ci, rest, col)
        for value, next_ci, next_rest in options:
            if (after := assign(col, value, left)) is not None:
                out.update([(*p, value) for p in prefixes(next_ci, next_rest, col - 1, after)])
        result = list(out)
        budget[0] -= len(result)
        memo[key] = result
        return result

    def moves(ci: int, rest: str | None, col: int) -> list[tuple[float, int, str | None]]:
        """What column `col` may hold: (its value, the cell and the rest of its run still to place)."""
        out: list[tuple[float, int, str | None]] = []
        if vanished:
            out.append((0, ci, rest))  # a blank cell the text lost
        if ci < 0 or col < ci:
            return out  # no cell left for this column, or fewer columns left than cells
        cell = cells[ci]
        if not cell.splittable:
            value = _in_column(cell.number, cell, col, columns)
            if value >= 0 or not columns or columns[col].signed:
                out.append((value, ci - 1, None))
            return out
        sign = "-" if cell.raw.startswith("-") else ""
        fraction = cell.raw.partition(".")[2]
        digits = rest if rest is not None else cell_digits(cell)
        grouped = cell.grouped if rest is None else 0  # thousands groups stay with the rightmost piece
        tail = "" if rest is not None or not fraction else "." + fraction  # only the rightmost piece has decimals

        def value_of(piece: str) -> float:
            number = float(piece + tail) if tail else int(piece)
            return _in_column(number, cell, col, columns) if rest is None else number

        def whole_piece(piece: str) -> bool:
            return (piece == "0" or not piece.startswith("0")) and (not grouped or 1 <= len(piece) - grouped <= 3)

        if whole_piece(digits) and not (sign and columns and not columns[col].signed):
            value = value_of(digits)  # the rest of the run as its leftmost piece
            out.append((-value if sign else value, ci - 1, None))
        if col - ci < 1:
            return out  # no column left for another piece of this run
        for cut in range(len(digits) - 1, 0, -1):  # a piece off the right end, more of the run to its left
            piece = digits[cut:]
            if whole_piece(piece):
                out.append((value_of(piece), ci, digits[:cut]))
        return out

    return prefixes(len(cells) - 1, None, n - 1, tuple(0.0 for _ in sums))


def cell_digits(cell: Cell) -> str:
    """A cell's whole digits, as a split sees them (none for a placeholder)."""
    return "" if cell.value is None else cell.raw.lstrip("-").split(".")[0].replace(",", "")


def satisfies_rule(values: Sequence[float | None], rule: SumRule) -> bool:
    return abs(sum(values[i] for i in rule.parts) - values[rule.total]) < 1e-9

