"""One colour table for the workbook and the heatmap: characterizations, evidence coverage and review status."""

from __future__ import annotations

from handlers.support import rollup

# RGB hex without '#'. FI green, LI light green, PI amber, NI red, NY grey; team judgement (FI/LI mixed with PI/NI) lavender.
RATING_COLOURS: dict[str, str] = {
    rollup.FI: "63BE7B",
    rollup.LI: "C6EFCE",
    rollup.PI: "FFC000",
    rollup.NI: "F8696B",
    rollup.NY: "BFBFBF",
    rollup.JUDGEMENT: "B4A7D6",
}
RATING_MEANING: dict[str, str] = {
    rollup.FI: "fully implemented",
    rollup.LI: "largely implemented",
    rollup.PI: "partially implemented",
    rollup.NI: "not implemented",
    rollup.NY: "not yet",
    rollup.JUDGEMENT: "team judgement",
}

# Unrated cells: the share of practices with evidence, on a graded blue scale that cannot be mistaken for a rating.
# (upper bound of the band, exclusive except for the last, colour, legend label)
COVERAGE_BANDS: tuple[tuple[float, str, str], ...] = (
    (0.0, "F7FBFF", "0%"),
    (0.25, "DEEBF7", "<25%"),
    (0.5, "C6DBEF", "<50%"),
    (0.75, "9ECAE1", "<75%"),
    (1.0, "6BAED6", "<100%"),
    (1.01, "3182BD", "100%"),
)

# Review status of a piece of evidence (see handlers.support.review).
REVIEW_COLOURS: dict[str, str] = {"current": "C6EFCE", "due within 30 days": "FFC000", "needs review": "F8696B"}

# A practice in scope with no evidence at all is flagged in this colour.
FLAG = "C00000"


def coverage_colour(covered: int, total: int) -> str:
    """The band colour for `covered` of `total` practices with evidence (0 of 0 counts as none)."""
    share = covered / total if total else 0.0
    if share <= 0:
        return COVERAGE_BANDS[0][1]
    if share >= 1:
        return COVERAGE_BANDS[-1][1]
    return next(colour for bound, colour, _ in COVERAGE_BANDS[1:] if share < bound)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[0:2], 16), int(hex_colour[2:4], 16), int(hex_colour[4:6], 16)


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance."""
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb(hex_colour))]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def text_on(hex_colour: str) -> str:
    """Dark or white text, whichever contrasts more with the fill (WCAG contrast ratio)."""
    fill = _luminance(hex_colour)
    dark, light = "1F1F1F", "FFFFFF"
    return dark if (fill + 0.05) / (_luminance(dark) + 0.05) >= (_luminance(light) + 0.05) / (fill + 0.05) else light
