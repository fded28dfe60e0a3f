"""Find the template's rows in a document's text and read their cells.

Every extractor turns its format into one text: table cells separated by tabs, rows by new lines
(or, for crawler dumps, no separators at all). Rows are found by their label fragments in a
white-space-free view of that text, in template order and inside their table's span; a row's cells
are the numbers between its label and the next row's label. This works the same for HTML grids,
PDF tables, tab dumps and cells run together, and survives merged cells, labels broken over lines and
headers repeated across pages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from pipeline.parse.cells import BLANK_MARK, GLUE, Cell, candidates, cell_digits, printed_cells, tokenize
from pipeline.parse.rules import Violation
from pipeline.parse.solve import agreed, settle
from pipeline.parse.templates import Block, Row, Template
from pipeline.text.norm import CompactIndex, compact

LOOKAHEAD_ROWS = 2  # a row found after one of the next rows' labels is taken as missing
MIN_INTERLEAVED_KEY, MAX_GAP, MAX_SPAN_EXTRA = 6, 10, 20  # interleaved labels: long ones, short gaps
PAREN_LOOKBACK = 120  # characters of the same cell searched back for an open parenthesis
GAP_STOP = "。；;"  # a sentence end never falls inside a label
_MID_WORD_PLACEHOLDER = re.compile(r"^[无—\-/]+(?=\s|$)")


@dataclass
class RowReading:
    row: Row
    values: tuple[float | None, ...]  # None: a cell whose readings differ, left out
    cells: list[Cell]  # as printed; may differ in number from values when a row was resolved


@dataclass
class Parsed:
    template: Template
    readings: dict[str, RowReading] = field(default_factory=dict)
    issues: list[Violation] = field(default_factory=list)

    def vectors(self) -> dict[str, tuple[float, ...]]:
        return {code: r.values for code, r in self.readings.items()}


@dataclass
class _Located:
    row: Row
    start: int  # compact positions of the label
    end: int


def _find_first(index: CompactIndex, keys: Sequence[str], start: int, end: int | None = None,
                folded: bool = False) -> tuple[int, int] | None:
    """Earliest position of any of `keys` (compact form) in [start, end). `folded`: in the text with
    traditional characters read as simplified (行政處罰 for 行政处罚)."""
    best: tuple[int, int] | None = None
    for key in keys:
        key = compact(key)
        pos = _find_key(index, key, start, end, folded)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, pos + len(key))
    return best


def _find_key(index: CompactIndex, key: str, start: int, end: int | None, folded: bool = False) -> int:
    """First occurrence of `key` in [start, end) outside a cell's parentheses, or -1. Rows are looked up
    from a cursor that only moves forward, the next rows' labels each time: an earlier answer holds as
    long as the cursor has not passed it."""
    known = index.memo.get((key, end, folded))
    if known is not None and known[0] <= start and (known[1] < 0 or start <= known[1]):
        return known[1]
    pos = index.find(key, start, end, folded)
    while pos >= 0 and _in_parentheses(index, pos):
        pos = index.find(key, pos + 1, end, folded)
    index.memo[(key, end, folded)] = (start, pos)
    return pos


def _in_parentheses(index: CompactIndex, pos: int) -> bool:
    """Inside a note within a cell: 其他对外管理服务事项(指……行政处罚、行政强制……) names rows it is not."""
    orig = index.to_original(pos)
    before = index.text[max(0, orig - PAREN_LOOKBACK):orig]
    before = before[max(before.rfind("\n"), before.rfind("\t")) + 1:]
    return before.rfind("(") > before.rfind(")")  # an open parenthesis not closed yet


def _first_interleaved(index: CompactIndex, keys: Sequence[str], start: int, end: int) -> tuple[int, int] | None:
    hits = [h for key in keys if (h := _find_interleaved(index, key, start, end)) is not None]
    return min(hits) if hits else None


def _find_interleaved(index: CompactIndex, key: str, start: int, end: int) -> tuple[int, int] | None:
    """A full label whose lines are interleaved with a neighbouring column's text or its own numbers, as
    text read from a borderless table gives it (属于行政 / 予公开 / 查询事项): its characters in order, with
    short gaps. Tried only for a row none of whose labels is found whole."""
    key = compact(key)
    if len(key) < MIN_INTERLEAVED_KEY:
        return None
    pattern = re.compile(f"[^{GAP_STOP}]{{0,{MAX_GAP}}}?".join(re.escape(ch) for ch in key))
    m = pattern.search(index.compact, start, end)
    if m and m.end() - m.start() <= len(key) + MAX_SPAN_EXTRA:
        if "\t" not in index.text[index.to_original(m.start()):index.after(m.end())]:
            return m.start(), m.end()  # grid rows (tabs) keep their labels whole: never stitched across cells
    return None


MIN_FUZZY_KEY = 6  # labels this long may be found one character off (案件 for 案卷, 的 left out, 處 for 处)


def _find_fuzzy(index: CompactIndex, keys: Sequence[str], start: int, end: int,
                others: Sequence[str]) -> tuple[int, int] | str | None:
    """A full label printed one edit away from the template's, found where one of its halves stands
    whole. A text as close to another row's label is not chosen: its reason comes back instead."""
    for key in (compact(k) for k in keys):
        if len(key) < MIN_FUZZY_KEY:
            continue
        half = len(key) // 2
        found: list[tuple[int, int]] = []
        for piece, offset in ((key[half:], half), (key[:half], 0)):
            pos = index.find(piece, start, end)
            while pos >= 0 and not found:
                for first in (pos - offset - 1, pos - offset, pos - offset + 1):
                    for length in (len(key), len(key) - 1, len(key) + 1):
                        window = index.compact[first:first + length]
                        if first >= start and first + length <= end and _one_edit(window, key):
                            found.append((first, first + length))
                pos = index.find(piece, pos + 1, end)
        if not found:
            continue
        first, last = min(found, key=lambda f: (f[0], abs(f[1] - f[0] - len(key))))  # earliest, then whole
        window = index.compact[first:last]
        rivals = [o for o in others if len(o) >= MIN_FUZZY_KEY and (o in window or _one_edit(window, o))]
        if rivals:
            return f"「{window}」 is one character from the labels of two rows ({key}, {rivals[0]}): neither is chosen"
        return first, last
    return None


def _one_edit(a: str, b: str) -> bool:
    """a and b differ by at most one inserted, deleted or replaced character."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1:]


def _find_preferred(index: CompactIndex, keys: Sequence[str], start: int, end: int | None = None,
                    folded: bool = False) -> tuple[int, int] | None:
    """Position of the first key in `keys` order that occurs: anchors are listed most specific first.
    `folded`: in the text with traditional characters read as simplified."""
    for key in keys:
        key = compact(key)
        pos = index.find(key, start, end, folded)
        if pos >= 0:
            return pos, pos + len(key)
    return None


def _specific(keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(k for k in keys if len(k) >= 4)


def _locate_rows(index: CompactIndex, rows: Sequence[Row], start: int, end: int,
                 notes: list[Violation] | None = None) -> list[_Located]:
    found: list[_Located] = []
    cursor = start
    for i, row in enumerate(rows):
        if not row.keys:
            continue
        hit = (_find_first(index, row.keys, cursor, end) or _first_interleaved(index, row.keys, cursor, end)
               or _find_first(index, row.keys, cursor, end, folded=True))
        if hit is None:
            others = [compact(k) for r in rows if r is not row for k in r.keys]  # never the row's own
            fuzzy = _find_fuzzy(index, row.keys, cursor, end, others)
            if isinstance(fuzzy, str):
                if notes is not None:
                    notes.append(Violation("label_ambiguous", f"{row.code}: {fuzzy}"))
                continue
            hit = fuzzy
        if hit is None:
            continue
        # only full labels can tell that a row is absent: short fragments (其他) also stand in headings
        later = [_find_first(index, _specific(r.keys), cursor, end) for r in rows[i + 1:i + 1 + LOOKAHEAD_ROWS]]
        if any(h is not None and h[0] < hit[0] for h in later):
            continue  # the next row comes first: this label is absent and `hit` belongs further down
        found.append(_Located(row, *hit))
        cursor = hit[1]
    return found


def parse_tables(text: str, template: Template, ocr: bool = False) -> Parsed:
    """The template's rows in `text`. `ocr`: the text was read from page images, where a number that
    could not be read is marked (`cells.UNSURE`), never simply missing."""
    index = CompactIndex(text)
    parsed = Parsed(template)
    cursor = 0
    spans: list[tuple[Block, int, int]] = []  # block, start of its anchor, end of its anchor
    tables: list[_BlockCells] = []
    for block in template.blocks:
        hit = _find_preferred(index, block.anchors, cursor) or _find_preferred(index, block.anchors, cursor, folded=True)
        if hit is None:
            parsed.issues.append(Violation("table_missing", f"table {block.name} not found"))
            continue
        spans.append((block, *hit))
        cursor = hit[0]
    for n, (block, a_start, a_end) in enumerate(spans):
        if n + 1 < len(spans):
            nxt = spans[n + 1][0]
            limit = _find_first(index, nxt.anchors, a_end)
            b_end = limit[0] if limit else spans[n + 1][1]
        else:
            stop = _find_first(index, block.end_anchors, a_end) if block.end_anchors else None
            b_end = stop[0] if stop else len(index.compact)
        located = _locate_rows(index, block.rows, a_start, b_end, parsed.issues)
        if n + 1 < len(spans) and located:  # the next table starts at its first anchor after our last row
            limit = _find_first(index, spans[n + 1][0].anchors, located[-1].end)
            b_end = limit[0] if limit else b_end
        tables.append(_gather_block(index, block, located, a_end, b_end, parsed, ocr))
    vanished = _blanks_vanish(tables)
    for table in tables:
        options = {code: [] if code in table.blocked or not cells else
                   candidates(cells, len(row.columns), row.sums, repeated_ok=not row.keys, columns=row.columns,
                              vanished=vanished and code in table.run_on, counted=ocr,
                              checked_only=ocr and code in table.run_on)
                   for code, (row, cells) in table.printed.items()}
        _resolve(table.block, options, table.printed, parsed, table.run_on if vanished else set())
    return parsed


@dataclass
class _BlockCells:
    """A table's rows as printed: their cells, before any reading is chosen."""
    block: Block
    printed: dict[str, tuple[Row, list[Cell]]] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)  # another row's label among the numbers: unassignable
    run_on: set[str] = field(default_factory=set)  # read from text without cell separators (no tabs)


def _blanks_vanish(tables: Sequence[_BlockCells]) -> bool:
    """Whether blank cells may have vanished from this text: a table that prints blanks for zero, read
    without its cell separators (a crawler's dump, a borderless PDF), leaves no trace of them. Its
    marks show it: a placeholder (—, /, 无) among run-on cells, or a row with fewer digits than columns
    (each digit a cell is the most the text could hold).
    Then a row's digits may stand in any of its columns, and readings that assume every cell was
    printed would pick wrong ones."""
    for table in tables:
        for code in table.run_on:
            row, cells = table.printed[code]
            if not cells:
                continue  # nothing printed here: the numbers are elsewhere, not blank
            if any(c.value is None for c in cells):
                return True
            if sum(len(cell_digits(c)) for c in cells) < len(row.columns):
                return True
    return False


def _gather_block(index: CompactIndex, block: Block, located: list[_Located], anchor_end: int, b_end: int,
                  parsed: Parsed, ocr: bool = False) -> _BlockCells:
    table = _BlockCells(block)
    printed = table.printed
    headless = [r for r in block.rows if not r.keys]
    segments: list[tuple[Row, int, int]] = []
    inner: dict[str, str] = {}  # numbers printed inside an interleaved label's span belong to its row
    units: dict[str, str] = {}  # a money row's unit as its column header declares it (采购总金额（元）)
    for i, loc in enumerate(located):
        seg_end = located[i + 1].start if i + 1 < len(located) else b_end
        segments.append((loc.row, loc.end, seg_end))
        inner[loc.row.code] = index.text[index.to_original(loc.start):index.after(loc.end)]
        if any(col.money for col in loc.row.columns):
            head_start = located[i - 1].end if i else anchor_end
            if unit := _header_unit(index.text[index.after(head_start):index.to_original(loc.start)]):
                units[loc.row.code] = unit
    for row in headless:  # table 四: its numbers follow the header
        segments.append((row, anchor_end, b_end))
    found = {loc.row.code for loc in located}
    # the full label of a row not found (short fragments such as 其他 occur inside other labels)
    absent_keys = [compact(r.keys[0]) for r in block.rows if r.keys and r.code not in found and len(r.keys[0]) >= 4]
    for row, s, e in segments:
        text = index.text[index.after(s):index.to_original(e)]
        n = len(row.columns)
        own_line = text.split("\n", 1)[0]
        if row.keys and (ocr or ("\t" in own_line and len(printed_cells(tokenize(own_line), n)) == n)):
            # a grid row: its numbers stand on its label's line. Read from a page image, every row's do:
            # the lines below may be the next row's, specks read as text, or a number whose line OCR put
            # before its label's (4529 / 行政许可 / 1100 / 行政处罚 is 4529 for 行政许可, not 1100)
            text, e = own_line, s + len(compact(own_line))
        text = _before_prose(text)
        run_on = "\t" not in text  # no cell separators: a crawler's dump, a PDF's text lines
        if run_on and text[-1:] not in ("", GLUE) and not text[-1].isspace():
            text += GLUE  # run on into the next label (规章000行政规范性文件…): the last digits may hold cells
        mid_word = s > 0 and bool(text[:1]) and not text[:1].isspace()
        if mid_word:
            text = _MID_WORD_PLACEHOLDER.sub("", text, count=1)  # 1.申请人无|正当理由: that 无 is the label's
        inside = [c for c in tokenize(inner.get(row.code, "")) if c.value is not None]  # numbers only
        cells = inside + tokenize(text, glued_left=mid_word)
        if unit := units.get(row.code):
            cells = [replace(c, unit=unit) if c.unit is None and c.value is not None else c for c in cells]
        if row.optional and not cells:
            continue
        printed[row.code] = (row, cells)
        if run_on:
            table.run_on.add(row.code)
        if any(key in index.compact[s:e] for key in absent_keys):
            table.blocked.add(row.code)  # another row's label sits among these numbers: they cannot be assigned
    found_codes = found | {r.code for r in headless if r.code in printed}
    for row in block.rows:
        if row.optional or row.code in found_codes:
            continue
        if row.code.startswith("outcomes:other.") and "outcomes:other" in printed:
            continue  # a 2021 report that prints （六）其他处理 as one row
        parsed.issues.append(Violation("row_missing", f"table {block.name}: row {row.code} not found"))
    return table


_HEADER_UNIT = re.compile(r"[(（]\s*(?:单位\s*[:：]\s*)?(万元|元)\s*[)）]")


def _header_unit(header: str) -> str | None:
    """The unit a column header declares for the amounts under it (本年收费金额（单位：万元）), if any:
    the last one before the row's label, which is its own item's header."""
    found = _HEADER_UNIT.findall(header)
    return found[-1] if found else None


# Where a row's numbers end in run-together text: a year word (2025年…) or a heading that opens a
# sentence (（二）依申请公开情况。…, （二）依申请公开：…) starts the report's prose; its digits are never cells
# (行政事业性收费0 then 2025年 is 0, not 02025). A heading with no sentence after it is not such a mark:
# merged cells print a group's label ((三)不予公开) among its rows' numbers.
_HEADING = r"(?:\([一二三四五六七八九十]{1,3}\)|[一二三四五六七八九十]{1,3}、)"
_PROSE = re.compile(rf"(?:19|20)\d{{2}}\s*年|{_HEADING}[^\t\n]{{0,80}}?。|{_HEADING}[^\d\t\n]{{0,60}}?[；;：:]")


def _before_prose(text: str) -> str:
    found = _PROSE.search(text)
    if not found:
        return text
    kept = text[:found.start()]
    # digits the prose ran into stay marked as run on (a cell boundary may hide in them): one non-digit
    return kept + GLUE if kept[-1:].isdigit() else kept



def _resolve(block: Block, options: dict[str, list[tuple[float, ...]]],
             printed: dict[str, tuple[Row, list[Cell]]], parsed: Parsed, blanks_lost: set[str]) -> None:
    """Keep each row's reading when it is the only one the rules allow; of a row with several, keep the
    cells on which every reading agrees and list the readings."""
    certain = {code: opts[0] for code, opts in options.items() if len(opts) == 1}
    ambiguous = {code: opts for code, opts in options.items() if len(opts) > 1}
    if ambiguous and block.name == "三":
        ambiguous = settle(certain, ambiguous)
        certain.update({code: opts[0] for code, opts in ambiguous.items() if len(opts) == 1})
    for code, (row, cells) in printed.items():
        if code in certain:
            parsed.readings[code] = RowReading(row, certain[code], cells)
            _note_cells(code, row, cells, parsed)
        elif not cells:
            parsed.issues.append(Violation("cells_missing", f"{code}: no numbers printed"))
        elif readings := ambiguous.get(code):  # several readings keep every rule: the cells they differ on are left out
            known = agreed(readings)
            if any(v is not None for v in known):
                parsed.readings[code] = RowReading(row, known, cells)
            raw = " ".join(c.raw + (c.unit or "") for c in cells)
            shown = " | ".join(" ".join(_plain(v) for v in reading) for reading in readings[:MAX_LISTED])
            more = f" (and {len(readings) - MAX_LISTED} more)" if len(readings) > MAX_LISTED else ""
            rules = "the row's sums and table 三's column sums and balance" if row.sums else "no sum (the template has none here)"
            if code in blanks_lost:
                rules += ", blank cells that left no trace in this text standing in any column"
            left_out = ", ".join("/".join(col.dims.values()) or str(i)
                                 for i, (col, v) in enumerate(zip(row.columns, known, strict=True)) if v is None)
            parsed.issues.append(Violation("cells_ambiguous", f"{code}: [{raw}] for {len(row.columns)} columns; "
                                           f"{len(readings)} readings fit {rules}: {shown}{more}; "
                                           f"left out: {left_out}"))
        else:
            raw = " ".join(c.raw + (c.unit or "") for c in cells)
            parsed.issues.append(Violation("cells_unresolved", f"{code}: {len(cells)} cells [{raw}] for "
                                           f"{len(row.columns)} columns; no reading fits the template; left out"))


MAX_LISTED = 100  # readings listed in a cells_ambiguous issue: every split of a table 二 row of up to 15 digits


def _plain(value: float | None) -> str:
    if value is None:
        return "?"  # an unsure OCR cell no sum could fill
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}".rstrip("0")  # type: ignore[arg-type]


def _note_cells(code: str, row: Row, cells: list[Cell], parsed: Parsed) -> None:
    shown = printed_cells(cells, len(row.columns))
    blanks = [c.raw for c in shown if c.value is None and c.choices is None]
    if blanks:
        marks = "".join(sorted({"blank" if b == BLANK_MARK else b for b in blanks}))
        parsed.issues.append(Violation("blank_as_zero", f"{code}: {len(blanks)} cell(s) printed as {marks} read as 0"))
    for c in shown:
        if c.note:
            parsed.issues.append(Violation("cell_note", f"{code}: {c.raw}({c.note})"))
