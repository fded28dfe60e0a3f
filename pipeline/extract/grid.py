"""Table cells from the ruling lines' crossings, as pdfplumber's TableFinder finds them, with indexes.

pdfplumber's `intersections_to_cells` scans every later crossing for each crossing and rebuilds the
sets of edges through two crossings at every comparison: quadratic, and a fifth of a ruled page's
time. This is the same search (same order, same cells) over crossings grouped by column and by row,
with each crossing's edges built once. pdfplumber's own finder stays the reference: the PDF paths'
tests hold the pages read through this finder to pdfplumber's, cell for cell.
"""

from __future__ import annotations

from collections import defaultdict

from pdfplumber.page import Page
from pdfplumber.table import Table, TableFinder, TableSettings, cells_to_tables, edges_to_intersections
from pdfplumber.utils import obj_to_bbox

Point = tuple[float, float]
Box = tuple[float, float, float, float]


def find_tables(page: Page, settings: dict) -> list[Table]:
    """`page.find_tables(settings)`, its cells found through `cells_of`."""
    return _Finder(page, settings).tables


class _Finder(TableFinder):
    def __init__(self, page: Page, settings: dict) -> None:  # TableFinder.__init__ of pdfplumber 0.11
        self.page = page
        self.settings = TableSettings.resolve(settings)
        self.edges = self.get_edges()
        self.intersections = edges_to_intersections(
            self.edges, self.settings.intersection_x_tolerance, self.settings.intersection_y_tolerance)
        self.cells = cells_of(self.intersections)
        self.tables = [Table(self.page, group) for group in cells_to_tables(self.cells)]


def cells_of(intersections: dict[Point, dict[str, list[dict]]]) -> list[Box]:
    """The smallest cell whose top-left corner is each crossing, in pdfplumber's order."""
    points = sorted(intersections)
    vertical = {p: frozenset(map(obj_to_bbox, e["v"])) for p, e in intersections.items()}
    horizontal = {p: frozenset(map(obj_to_bbox, e["h"])) for p, e in intersections.items()}
    column: dict[float, list[Point]] = defaultdict(list)  # crossings of one x, top to bottom
    row: dict[float, list[Point]] = defaultdict(list)  # crossings of one top, left to right
    for p in points:
        column[p[0]].append(p)
        row[p[1]].append(p)
    at_column = {p: i for ps in column.values() for i, p in enumerate(ps)}
    at_row = {p: i for ps in row.values() for i, p in enumerate(ps)}

    def connects(a: Point, b: Point) -> bool:  # one edge runs through both
        return ((a[0] == b[0] and not vertical[a].isdisjoint(vertical[b]))
                or (a[1] == b[1] and not horizontal[a].isdisjoint(horizontal[b])))

    cells: list[Box] = []
    for pt in points:
        below = column[pt[0]][at_column[pt] + 1:]
        right = row[pt[1]][at_row[pt] + 1:]
        cell = _smallest(pt, below, right, connects, intersections)
        if cell is not None:
            cells.append(cell)
    return cells


def _smallest(pt: Point, below: list[Point], right: list[Point], connects, intersections: dict) -> Box | None:
    for below_pt in below:
        if not connects(pt, below_pt):
            continue
        for right_pt in right:
            if not connects(pt, right_pt):
                continue
            corner = (right_pt[0], below_pt[1])
            if corner in intersections and connects(corner, right_pt) and connects(corner, below_pt):
                return (pt[0], pt[1], corner[0], corner[1])
    return None
