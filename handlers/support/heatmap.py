"""The readiness heatmap: process areas x work groups as a PNG, coloured by characterization or, unrated, by coverage.

A cell is a work group's characterization of a process area: the practice roll-up rule (handlers.support.rollup)
applied over the work group's ratings of the process area's practices in scope. Where any of them is
unrated, the cell shows evidence coverage instead, on a graded scale, with "covered/total" in it.
layout_heatmap() places everything; render_heatmap() paints that layout. Tests read cell geometry from the layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.support import palette, rollup
from handlers.support.font import Font, font
from handlers.support.readiness import Readiness

MIN_WIDTH = 600
MARGIN = 20
ROW_HEIGHT = 48
MIN_COLUMN = 72
UPRIGHT_COLUMN = 56  # when group names are too long to stand side by side they are set upright
MAX_ROW_LABEL = 320
MAX_COLUMN_LABEL = 180
GAP = 1  # grid lines between cells, in GRID colour
SWATCH = 16
BACKGROUND, INK, MUTED, GRID = "FFFFFF", "1F1F1F", "595959", "D9D9D9"
SHORT = {rollup.JUDGEMENT: "TJ"}  # what a cell says for a characterization too long for it
NOTE = "Roll-up is a suggestion for the appraisal team, not a verdict."


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2


@dataclass(frozen=True)
class Text:
    x: int  # top-left of the line box (of the turned box when upright)
    y: int
    text: str
    size: int
    colour: str
    upright: bool = False


@dataclass(frozen=True)
class HeatCell:
    pa: str
    group: str
    box: Box  # the filled area; the label sits in its lower part, so the centre shows the plain colour
    colour: str
    label: Text
    rating: str | None  # FI/LI/PI/NI/NY or team judgement; None while any practice is unrated
    covered: int
    total: int


@dataclass(frozen=True)
class LegendEntry:
    swatch: Box
    colour: str
    text: str


@dataclass(frozen=True)
class HeatmapLayout:
    width: int
    height: int
    rows: tuple[str, ...]  # process areas, in model order
    columns: tuple[str, ...]  # work group names
    cells: tuple[HeatCell, ...]
    legend: tuple[LegendEntry, ...]
    texts: tuple[Text, ...]  # title, date line, row and column labels, legend text and notes
    grid: Box | None  # the area behind the cells (None without work groups)

    def cell(self, pa: str, group: str) -> HeatCell:
        return next(c for c in self.cells if c.pa == pa and c.group == group)


def group_rating(readiness: Readiness, pa: str, group_index: int) -> str:
    """The work group's characterization of a process area (or rollup.UNRATED while a practice is unrated)."""
    group = readiness.groups[group_index]
    return rollup.practice_rollup(readiness.rating(group, p.key) for p in readiness.practices if p.pa == pa)


def layout_heatmap(readiness: Readiness, *, today: date, title: str | None = None) -> HeatmapLayout:
    body, big = font(14), font(20)
    texts: list[Text] = []
    title = title or f"{readiness.target.label} readiness by process area and work group"
    y = MARGIN
    texts.append(Text(MARGIN, y, title, big.size, INK))
    y += big.line_height + 2
    pas, groups = readiness.pas, readiness.groups
    texts.append(Text(MARGIN, y, f"As of {today.isoformat()} · {len(pas)} process areas · {len(groups)} work groups", body.size, MUTED))
    y += body.line_height + 14

    row_labels = [body.fit(f"{pa} {readiness.model.pa(pa).name}", MAX_ROW_LABEL) for pa in pas]
    label_width = max((body.text_width(t) for t in row_labels), default=0) + 12
    names = [g.name for g in groups]
    widest = max((body.text_width(n) for n in names), default=0)
    upright = widest + 12 > 2 * MIN_COLUMN
    column = UPRIGHT_COLUMN if upright else max(MIN_COLUMN, widest + 12)
    header = min(widest, MAX_COLUMN_LABEL) + 8 if upright else body.line_height + 6
    grid_x, grid_y = MARGIN + label_width, y + header
    grid = Box(grid_x, grid_y, len(groups) * column + GAP, len(pas) * ROW_HEIGHT + GAP) if groups else None

    for j, name in enumerate(names):
        x = grid_x + j * column
        if upright:
            shown = body.fit(name, MAX_COLUMN_LABEL)
            texts.append(Text(x + (column - body.line_height) // 2, grid_y - 6 - body.text_width(shown) - 2, shown, body.size, INK, True))
        else:
            texts.append(Text(x + (column - body.text_width(name)) // 2, y, name, body.size, INK))
    cells = []
    for i, pa in enumerate(pas):
        row_y = grid_y + i * ROW_HEIGHT
        texts.append(Text(MARGIN, row_y + (ROW_HEIGHT - body.line_height) // 2, row_labels[i], body.size, INK))
        for j, name in enumerate(names):
            cells.append(_cell(readiness, body, pa, j, name, Box(grid_x + j * column + GAP, row_y + GAP, column - GAP, ROW_HEIGHT - GAP)))
    if not groups:
        texts.append(Text(MARGIN, grid_y, 'No work groups yet. Start with: group add "Service Desk".', body.size, INK))

    width = max(MIN_WIDTH, grid_x + (grid.width if grid else 0) + MARGIN)
    y = (grid.y + grid.height if grid else grid_y + body.line_height) + 18
    legend: list[LegendEntry] = []
    rated = [(palette.RATING_COLOURS[v], f"{SHORT.get(v, v)} {palette.RATING_MEANING[v]}") for v in palette.RATING_COLOURS]
    unrated = [(colour, label) for _, colour, label in palette.COVERAGE_BANDS]
    for heading, entries in (
        ("Rated: the work group's roll-up of the process area's practices", rated),
        ("Not fully rated: share of its practices with evidence", unrated),
    ):
        texts.append(Text(MARGIN, y, heading, body.size, MUTED))
        y += body.line_height + 4
        x = MARGIN
        for colour, label in entries:
            step = SWATCH + 6 + body.text_width(label) + 18
            if x + step > width - MARGIN and x > MARGIN:
                x, y = MARGIN, y + body.line_height + 6
            swatch = Box(x, y + (body.line_height - SWATCH) // 2, SWATCH, SWATCH)
            legend.append(LegendEntry(swatch, colour, label))
            texts.append(Text(x + SWATCH + 6, y, label, body.size, INK))
            x += step
        y += body.line_height + 12
    texts.append(Text(MARGIN, y, NOTE, body.size, MUTED))
    height = y + body.line_height + MARGIN
    return HeatmapLayout(width, height, tuple(pas), tuple(names), tuple(cells), tuple(legend), tuple(texts), grid)


def _cell(readiness: Readiness, body: Font, pa: str, j: int, name: str, box: Box) -> HeatCell:
    covered, total = readiness.coverage(pa=pa, group=readiness.groups[j])
    value = group_rating(readiness, pa, j)
    if value == rollup.UNRATED:
        rating, colour, label = None, palette.coverage_colour(covered, total), f"{covered}/{total}"
    else:
        rating, colour, label = value, palette.RATING_COLOURS[value], SHORT.get(value, value)
    label = body.fit(label, box.width - 4)
    # the label sits in the lower part of the cell, clear of the centre row that shows the plain colour
    left, top = box.x + (box.width - body.text_width(label)) // 2, box.y + box.height - body.line_height - 2
    text = Text(left, top, label, body.size, palette.text_on(colour))
    return HeatCell(pa, name, box, colour, text, rating, covered, total)


def render_heatmap(readiness: Readiness, *, today: date, title: str | None = None) -> bytes:
    """The heatmap as PNG bytes, at least MIN_WIDTH pixels wide."""
    return paint(layout_heatmap(readiness, today=today, title=title))


def paint(layout: HeatmapLayout) -> bytes:
    from handlers.support.png import Canvas  # only the chart needs the raster code

    canvas = Canvas(layout.width, layout.height, BACKGROUND)
    if layout.grid:
        g = layout.grid
        canvas.box(g.x, g.y, g.width, g.height, GRID)
    for c in layout.cells:
        canvas.box(c.box.x, c.box.y, c.box.width, c.box.height, c.colour)
    for entry in layout.legend:
        s = entry.swatch
        canvas.box(s.x - 1, s.y - 1, s.width + 2, s.height + 2, GRID)
        canvas.box(s.x, s.y, s.width, s.height, entry.colour)
    for t in (*layout.texts, *(c.label for c in layout.cells)):
        canvas.text(t.x, t.y, t.text, font(t.size), t.colour, upright=t.upright)
    return canvas.png()
