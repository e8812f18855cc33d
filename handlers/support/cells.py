"""The formula-injection guard every exported cell of user text goes through, CSV and XLSX alike."""

from __future__ import annotations

# Spreadsheets run a cell that starts with = + - @ as a formula; some strip a leading tab or CR first and then do the same.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; user text must never do that."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_START else text
