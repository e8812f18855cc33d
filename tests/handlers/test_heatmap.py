"""The readiness heatmap PNG, from ratings and evidence logged through the real commands, decoded with Pillow."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date, timedelta

import pytest
from PIL import Image, ImageChops

from handlers import Context, Request, dispatch
from handlers.support import palette, rollup
from handlers.support.font import font
from handlers.support.heatmap import MAX_COLUMN_LABEL, MIN_WIDTH, HeatmapLayout, layout_heatmap, render_heatmap
from handlers.support.readiness import Readiness, Snapshot, Target, practices_in_scope
from tests.conftest import ROOT, Clock

pytestmark = pytest.mark.calendar  # the chart's date comes from the injected clock

WS = "W1"
ML2 = Target(level=2)
DESK, FIELD, NOC = "Service Desk", "Field Ops", "Network Operations"
# (process area, work group) -> what every practice of the area is rated for the group
RATED = {("SD", DESK): "FI", ("CM", FIELD): "PI", ("PPQA", FIELD): "NY", ("MA", NOC): "LI", ("SAM", NOC): "NI"}


def say(ctx: Context, text: str) -> None:
    dispatch(Request(text=text, user_id="U1", workspace_id=WS, channel_id="C1", transport="test"), ctx)


@pytest.fixture
def rated(db_ctx: Context) -> Context:
    """Each characterization once, a mixed area (team judgement), partial ratings and partial evidence."""
    for name in (DESK, FIELD, NOC):
        say(db_ctx, f'group add "{name}"')
    keys: dict[str, list[str]] = {}
    for p in practices_in_scope(db_ctx.model, ML2, set()):
        keys.setdefault(p.pa, []).append(p.key)
    for (pa, group), value in RATED.items():
        for key in keys[pa]:
            say(db_ctx, f'rate {key} {value} --group "{group}"')
    for key in keys["REQM"]:  # specific practices FI, generic ones NI: FI mixed with NI needs team judgement
        say(db_ctx, f'rate {key} {"NI" if ".GP" in key else "FI"} --group "{DESK}"')
    say(db_ctx, f'rate SD.SP1.1 FI --group "{FIELD}"')  # one practice of SD rated: the rest unrated
    for key in keys["WMC"][:5]:  # 5 of WMC's 20 practices with evidence: 25%
        say(db_ctx, f'evidence add {key} https://wiki.example.com/{key} minutes --group "{NOC}"')
    return db_ctx


def readiness_of(ctx: Context, target: Target = ML2) -> Readiness:
    assert ctx.store is not None
    return Readiness.of(ctx.model, Snapshot.load(ctx, ctx.store, WS, None), target)


def decode(png: bytes) -> Image.Image:
    Image.open(io.BytesIO(png)).verify()  # chunk CRCs and structure, checked by an independent reader
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGB"
    return image


def pixel(image: Image.Image, point: tuple[int, int]) -> str:
    return "".join(f"{v:02X}" for v in image.getpixel(point))


def test_png_size_and_the_colour_of_known_cells(rated: Context, clock: Clock) -> None:
    readiness = readiness_of(rated)
    today = clock.now.date()
    layout = layout_heatmap(readiness, today=today)
    image = decode(render_heatmap(readiness, today=today))
    assert image.size == (layout.width, layout.height)
    assert image.width >= 600
    assert layout.rows == tuple(readiness.pas) == ("CM", "MA", "PPQA", "REQM", "SAM", "SD", "WMC", "WP")  # model order
    assert layout.columns == (FIELD, NOC, DESK)
    expected = {key: palette.RATING_COLOURS[value] for key, value in RATED.items()}
    expected[("REQM", DESK)] = palette.RATING_COLOURS[rollup.JUDGEMENT]
    assert set(expected.values()) == {"63BE7B", "C6EFCE", "FFC000", "F8696B", "BFBFBF", "B4A7D6"}  # every colour in the legend
    for (pa, group), colour in expected.items():
        cell = layout.cell(pa, group)
        assert pixel(image, cell.box.centre) == colour, (pa, group)
        assert cell.rating is not None
    assert layout.cell("SD", DESK).label.text == "FI" and layout.cell("REQM", DESK).label.text == "TJ"


def test_unrated_cells_show_coverage_on_a_graded_scale(rated: Context, clock: Clock) -> None:
    readiness = readiness_of(rated)
    layout = layout_heatmap(readiness, today=clock.now.date())
    image = decode(render_heatmap(readiness, today=clock.now.date()))
    quarter = layout.cell("WMC", NOC)  # 5 of 20 practices with evidence, none rated
    assert (quarter.rating, quarter.covered, quarter.total, quarter.label.text) == (None, 5, 20, "5/20")
    assert pixel(image, quarter.box.centre) == "C6DBEF"  # the 25-50% band
    partly = layout.cell("SD", FIELD)  # one practice rated, 17 not: coverage, not a characterization
    assert (partly.rating, partly.label.text) == (None, "0/18")
    assert pixel(image, partly.box.centre) == "F7FBFF"  # the 0% band
    assert quarter.colour != partly.colour


def test_labels_legend_and_date_are_drawn(rated: Context, clock: Clock) -> None:
    readiness = readiness_of(rated)
    today = clock.now.date()
    layout = layout_heatmap(readiness, today=today)
    image = decode(render_heatmap(readiness, today=today))
    for entry in layout.legend:
        assert pixel(image, entry.swatch.centre) == entry.colour, entry.text
    shown = {e.colour for e in layout.legend}
    assert set(palette.RATING_COLOURS.values()) | {c for _, c, _ in palette.COVERAGE_BANDS} == shown

    cell = layout.cell("SD", DESK)  # its label "FI" is ink in the lower part of the cell
    lower = image.crop((cell.box.x, cell.label.y, cell.box.x + cell.box.width, cell.box.y + cell.box.height))
    assert {pixel(lower, p) for p in ((x, y) for x in range(lower.width) for y in range(lower.height))} != {cell.colour}

    title = layout.texts[0]
    box = image.crop((title.x, title.y, layout.width, title.y + font(title.size).line_height)).convert("L")
    assert sum(1 for v in box.tobytes() if v < 100) > 100  # dark ink of the title

    # another day changes the date line and nothing else
    later = decode(render_heatmap(readiness, today=today + timedelta(days=1)))
    changed = ImageChops.difference(image, later).getbbox()
    date_line = layout.texts[1]
    assert date_line.text.startswith(f"As of {today.isoformat()}")
    assert changed is not None
    left, top, right, bottom = changed
    assert top >= date_line.y and bottom <= date_line.y + font(date_line.size).line_height
    assert left >= date_line.x and right <= date_line.x + font(date_line.size).text_width(date_line.text) + 2


def test_many_long_group_names_stand_upright_and_widen_the_chart(db_ctx: Context, clock: Clock) -> None:
    names = [f"Regional Service Desk {region} {n}" for region in ("North", "South", "East", "West") for n in range(1, 4)]
    for name in names:
        say(db_ctx, f'group add "{name}"')
    say(db_ctx, f'rate WMC.SP1.1 FI --group "{names[-1]}"')
    readiness = readiness_of(db_ctx, Target(pa="WMC"))
    layout = layout_heatmap(readiness, today=clock.now.date())
    image = decode(render_heatmap(readiness, today=clock.now.date()))
    headers = [t for t in layout.texts if t.upright]
    assert len(headers) == len(names)
    for t, name in zip(headers, sorted(names, key=str.casefold), strict=True):  # long names are cut to fit, with an ellipsis
        assert t.text == name or (t.text.endswith("…") and name.startswith(t.text[:-1]))
        assert font(t.size).text_width(t.text) <= MAX_COLUMN_LABEL
    assert all(t.y >= 0 and t.x + font(t.size).line_height <= layout.width for t in headers)
    assert layout.grid is not None and all(t.y + font(t.size).text_width(t.text) < layout.grid.y for t in headers)
    assert image.width == layout.width >= layout.grid.x + layout.grid.width
    last = layout.cell("WMC", sorted(names, key=str.casefold)[-1])
    assert pixel(image, last.box.centre) == "F7FBFF"  # one practice rated of 20: still coverage, and none logged


def test_a_workspace_without_groups_still_gets_a_chart(db_ctx: Context, clock: Clock) -> None:
    layout = layout_heatmap(readiness_of(db_ctx), today=clock.now.date())
    image = decode(render_heatmap(readiness_of(db_ctx), today=clock.now.date()))
    assert image.width == MIN_WIDTH and layout.cells == () and layout.grid is None
    assert any("No work groups yet" in t.text for t in layout.texts)


def test_layout_is_the_geometry_the_png_has(rated: Context, clock: Clock) -> None:
    """Cells tile the grid without overlap, so the centre of each is its own colour."""
    layout: HeatmapLayout = layout_heatmap(readiness_of(rated), today=clock.now.date())
    boxes = [c.box for c in layout.cells]
    assert len(boxes) == len(layout.rows) * len(layout.columns)
    for a in boxes:
        assert layout.grid is not None
        assert layout.grid.x <= a.x and a.x + a.width <= layout.grid.x + layout.grid.width
        assert a.y + a.height <= layout.grid.y + layout.grid.height
    assert len({(b.x, b.y) for b in boxes}) == len(boxes)
    for c in layout.cells:
        assert c.label.y > c.box.centre[1], "the label keeps clear of the centre"


# ---- the parts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("covered", "total", "colour"),
    [
        (0, 0, "F7FBFF"),
        (0, 10, "F7FBFF"),
        (1, 10, "DEEBF7"),
        (25, 100, "C6DBEF"),
        (74, 100, "9ECAE1"),
        (99, 100, "6BAED6"),
        (10, 10, "3182BD"),
    ],
)
def test_coverage_bands(covered: int, total: int, colour: str) -> None:
    assert palette.coverage_colour(covered, total) == colour


def test_text_colour_contrasts_with_the_fill() -> None:
    assert palette.text_on("3182BD") == "FFFFFF"
    assert palette.text_on("C6EFCE") == "1F1F1F"
    assert {palette.text_on(c) for c in palette.RATING_COLOURS.values()} == {"1F1F1F"}


def test_font_falls_back_for_letters_it_lacks() -> None:
    body = font(14)
    assert body.text_width("Équipe Süd") == body.text_width("Equipe Sud")
    assert body.char("漢") is body.char("?")
    assert body.fit("Network Operations Centre", 80).endswith("…")
    assert body.text_width(body.fit("Network Operations Centre", 80)) <= 80
    assert body.fit("Ops", 80) == "Ops"
    width, height, alpha = body.mask("Hi")
    assert (width, height) == (body.text_width("Hi") + 2, body.line_height) and max(alpha) > 200


def test_rendering_needs_no_imaging_library() -> None:
    """The default install has no Pillow: the renderer must not import it, even indirectly."""
    code = (
        "import sys; sys.modules['PIL'] = None\n"
        "from datetime import date\n"
        "from handlers.support.readiness import Readiness, Snapshot, Target\n"
        "from handlers.support.heatmap import render_heatmap\n"
        "from model_data import load_model\n"
        "from store import Group\n"
        "group = Group(1, 'Service Desk', 'U1', None)\n"
        "r = Readiness.of(load_model(), Snapshot([group], {(1, 'WMC.SP1.1'): 1}, {}, frozenset()), Target(level=2))\n"
        "png = render_heatmap(r, today=date(2026, 1, 2))\n"
        "print(png[:8] == b'\\x89PNG\\r\\n\\x1a\\n', len(png) > 1000)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_the_title_can_be_given() -> None:
    layout = layout_heatmap(_empty(), today=date(2026, 1, 2), title="WMC · Service Desk")
    assert layout.texts[0].text == "WMC · Service Desk"


def _empty() -> Readiness:
    from model_data import load_model

    return Readiness.of(load_model(), Snapshot([], {}, {}, frozenset()), ML2)
