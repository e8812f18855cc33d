"""Types for openpyxl.styles: the fills, fonts and alignment handlers.support.workbook gives cells."""

class PatternFill:
    def __init__(self, fill_type: str | None = None, start_color: str | None = None, end_color: str | None = None) -> None: ...

class Font:
    def __init__(self, bold: bool | None = None, color: str | None = None, size: float | None = None) -> None: ...

class Alignment:
    def __init__(self, horizontal: str | None = None) -> None: ...
