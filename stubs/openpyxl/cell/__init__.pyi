"""Types for openpyxl.cell: the write-only cell handlers.support.workbook styles."""

from openpyxl import _WriteOnlyWorksheet
from openpyxl.styles import Alignment, Font, PatternFill

class Cell:
    value: object
    data_type: str
    hyperlink: str | None
    style: str
    fill: PatternFill
    font: Font
    number_format: str
    alignment: Alignment

def WriteOnlyCell(ws: _WriteOnlyWorksheet | None = None, value: object = None) -> Cell: ...
