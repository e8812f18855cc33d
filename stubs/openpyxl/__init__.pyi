"""Types for the few parts of openpyxl that handlers.support.workbook uses (openpyxl ships none): a write-only workbook."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import IO

class _Properties:
    creator: str | None
    created: datetime
    modified: datetime

class _ColumnDimension:
    width: float

class _AutoFilter:
    ref: str | None

class _WriteOnlyWorksheet:
    column_dimensions: Mapping[str, _ColumnDimension]  # a DimensionHolder: a missing column is made on first access
    freeze_panes: str | None
    auto_filter: _AutoFilter
    def append(self, iterable: Iterable[object]) -> None: ...

class Workbook:
    properties: _Properties
    # Only the write-only mode is typed: create_sheet then returns a write-only worksheet.
    def __init__(self, write_only: bool = False, iso_dates: bool = False) -> None: ...
    def create_sheet(self, title: str | None = None, index: int | None = None) -> _WriteOnlyWorksheet: ...
    def save(self, filename: str | IO[bytes]) -> None: ...
