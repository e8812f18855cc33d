"""The evidence workbook (XLSX): summary and roll-up, practice x work group matrix, evidence with review status, audit.

openpyxl is imported inside build_workbook: commands that never build a workbook (ask) do not pay for it.
The sheets are written in openpyxl's write-only mode, which streams rows and keeps 20,000 evidence rows cheap;
it needs column widths and frozen panes set before the first row, so every sheet is prepared in full first.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from handlers.support import palette, rollup
from handlers.support.cells import cell
from handlers.support.readiness import Readiness, Snapshot, Target
from handlers.support.review import CURRENT, DUE_SOON, NEEDS_REVIEW, review_by, review_status
from model_data import Model
from store import AuditItem, AuditRecord, EvidenceItem

SHEETS = ("Summary", "Matrix", "Evidence", "Audit")
MATRIX_FIXED = ("Process area", "Goal", "Practice", "Title", "Roll-up (all groups)")
EVIDENCE_HEADER = (
    "ID", "Process area", "Practice", "Practice title", "Work group", "Kind", "Link", "Note", "Evidence date", "Logged by",
    "Logged at (UTC)", "Still valid on", "Review by", "Review status",
)  # fmt: skip
AUDIT_HEADER = ("When (UTC)", "Actor", "Action", "What", "Before", "After")
SUMMARY_HEADER = ("Kind", "ID", "Name", "Maturity level", "Practices", "Evidence (practice x group)", "Coverage", "Suggested roll-up")
ROLLUP_COLOURS = {
    rollup.SATISFIABLE: palette.RATING_COLOURS[rollup.FI],
    rollup.NOT_SATISFIED: palette.RATING_COLOURS[rollup.NI],
    rollup.NOT_RATABLE: palette.RATING_COLOURS[rollup.NY],
    rollup.NEEDS_JUDGEMENT: palette.RATING_COLOURS[rollup.JUDGEMENT],
}
NO_EVIDENCE = "no evidence"
LINK_SCHEMES = ("http://", "https://", "mailto:")
MIN_WIDTH, MAX_WIDTH = 8, 60
# Characters XML 1.0 cannot hold; openpyxl refuses them, so they are dropped before the guard looks at the text.
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def text(value: object) -> str:
    """User text as a workbook cell: unprintable control characters dropped, then the formula-injection guard."""
    return cell(_ILLEGAL.sub("", "" if value is None else str(value)))


def items_label(count: int) -> str:
    return NO_EVIDENCE if count == 0 else f"{count} item{'s' if count != 1 else ''}"


def matrix_value(rating: str | None, count: int) -> str:
    """What a matrix cell says: the characterization (none while unrated) and the evidence count."""
    return f"{rating} · {items_label(count)}" if rating else items_label(count)


Value = str | int | float | date | datetime | None
# What a worksheet cell holds: a value, or a value with its style.


@dataclass
class _Cell:
    value: Value
    fill: str | None = None  # RGB hex
    bold: bool = False
    colour: str | None = None  # font colour
    link: str | None = None
    number_format: str | None = None
    centre: bool = False
    size: int | None = None


@dataclass
class _Sheet:
    title: str
    header_row: int  # 1-based row of the column headings (0: none)
    freeze: str
    widths: Mapping[int, float] = field(default_factory=dict)  # set where content alone would mislead
    rows: list[list[Entry]] = field(default_factory=list)
    filter_rows: int = 0  # rows under the header the auto-filter covers


Entry = Value | _Cell


def build_workbook(
    model: Model,
    snapshot: Snapshot,
    target: Target,
    evidence: Sequence[EvidenceItem],
    *,
    review_months: int,
    today: date,
    audit: Sequence[AuditItem | AuditRecord] | None = None,
    reviewed: Mapping[int, date] | None = None,
) -> bytes:
    """The workbook for a target and the work groups in `snapshot`, as XLSX bytes. Evidence outside the target's
    practices or those work groups is left out; the Audit sheet is there only when `audit` is given. `reviewed`:
    evidence number -> the day it was last confirmed still valid, when its review period starts from then."""
    readiness = Readiness.of(model, snapshot, target)
    chosen = _in_scope(readiness, evidence)
    renewed = reviewed or {}
    statuses = [review_status(renewed.get(e.id, e.evidence_date), review_months, today) for e in chosen]
    sheets = [
        _summary(model, snapshot, readiness, review_months, today, statuses),
        _matrix(readiness),
        _evidence(readiness, chosen, statuses, renewed, review_months),
    ]
    if audit is not None:
        sheets.append(_audit(audit))
    return _write(sheets, today)


# ---- sheets, as plain rows ------------------------------------------------------------------------


def _header(names: Sequence[str]) -> list[Entry]:
    return [_Cell(n, fill="D9D9D9", bold=True) for n in names]


def _coverage(covered: int, total: int) -> list[Entry]:
    return [f"{covered}/{total}", _Cell(covered / total if total else 0.0, number_format="0%")]


def _rollup_cell(value: str) -> _Cell:
    return _Cell(value, fill=ROLLUP_COLOURS.get(value) or palette.RATING_COLOURS.get(value))


def _summary(model: Model, snapshot: Snapshot, readiness: Readiness, review_months: int, today: date, statuses: list[str]) -> _Sheet:
    groups = readiness.groups
    scope = f"work group {groups[0].name}" if len(groups) == 1 else f"{len(groups)} work groups"
    sheet = _Sheet("Summary", header_row=4, freeze="A5", widths={1: 16, 2: 12, 3: 44, 8: 22})
    sheet.rows.append([_Cell(f"{model.name} {model.version}: evidence workbook, {readiness.target.label}", bold=True, size=14)])
    sheet.rows.append([text(f"As of {today.isoformat()} · {scope}")])
    sheet.rows.append([])
    sheet.rows.append(_header(SUMMARY_HEADER))
    for level in (2, 3, 4, 5):
        r = Readiness.of(model, snapshot, Target(level=level))
        sheet.rows.append(["Maturity level", f"ML{level}", f"Maturity level {level}", level, len(r.practices), *_coverage(*r.coverage())])
        sheet.rows[-1].append(_rollup_cell(r.level_rollup()))
    for pa in readiness.pas:
        area = model.pa(pa)
        keys = [p for p in readiness.practices if p.pa == pa]
        row = ["Process area", pa, area.name, area.maturity_level, len(keys), *_coverage(*readiness.coverage(pa=pa))]
        sheet.rows.append([*row, _rollup_cell(readiness.pa_rollup(pa))])
        for goal_key in dict.fromkeys(p.goal_key for p in keys):
            in_goal = [p for p in keys if p.goal_key == goal_key]
            covered = sum(1 for g in groups for p in in_goal if readiness.has_evidence(g, p.key))
            coverage = _coverage(covered, len(in_goal) * len(groups))
            row = ["Goal", goal_key, in_goal[0].goal_title, area.maturity_level, len(in_goal), *coverage]
            sheet.rows.append([*row, _rollup_cell(readiness.goal_rollup(goal_key))])
    sheet.filter_rows = len(sheet.rows) - sheet.header_row
    sheet.rows.append([])
    sheet.rows.append([_Cell("Rules applied: a suggestion for the appraisal team, not a verdict", bold=True)])
    sheet.rows += [[line.strip()] for line in (rollup.__doc__ or "").splitlines()[2:] if line.strip()]
    sheet.rows.append([])
    sheet.rows.append([_Cell("Colours in Matrix", bold=True)])
    sheet.rows += [[_Cell(v, fill=c), palette.RATING_MEANING[v]] for v, c in palette.RATING_COLOURS.items()]
    sheet.rows.append([_Cell(NO_EVIDENCE, bold=True, colour=palette.FLAG), "a practice in scope with no evidence for that work group"])
    sheet.rows.append(["Matrix cells say the work group's rating (blank while unrated) and how many pieces of evidence it has."])
    sheet.rows.append([])
    sheet.rows.append(
        [
            f"Review: evidence is due for review {review_months} months after its date, or after the day it was last confirmed "
            "still valid; 'due within 30 days' and 'needs review' (past its review-by date) are coloured in Evidence."
        ]
    )
    counted = Counter(statuses)
    sheet.rows.append(
        [
            _Cell(f"Evidence in scope: {len(statuses)}", bold=True),
            *(_Cell(f"{s}: {counted[s]}", fill=palette.REVIEW_COLOURS[s]) for s in (CURRENT, DUE_SOON, NEEDS_REVIEW)),
        ]
    )
    return sheet


def _matrix(readiness: Readiness) -> _Sheet:
    groups = readiness.groups
    widths = {1: 12, 2: 12, 3: 14, 4: 48, 5: 18} | {6 + i: min(30, max(16, len(g.name) + 4)) for i, g in enumerate(groups)}
    sheet = _Sheet("Matrix", header_row=1, freeze="F2", widths=widths)
    sheet.rows.append(_header([*MATRIX_FIXED, *(text(g.name) for g in groups)]))
    for p in readiness.practices:
        row: list[Entry] = [p.pa, p.goal_key, p.key, p.title, _rollup_cell(readiness.practice_rollup(p.key))]
        for g in groups:
            rating, count = readiness.rating(g, p.key), readiness.counts.get((g.id, p.key), 0)
            flagged = count == 0
            fill = palette.RATING_COLOURS[rating] if rating else None
            row.append(_Cell(matrix_value(rating, count), fill=fill, bold=flagged, colour=palette.FLAG if flagged else None, centre=True))
        sheet.rows.append(row)
    sheet.filter_rows = len(readiness.practices)
    return sheet


def _in_scope(readiness: Readiness, evidence: Sequence[EvidenceItem]) -> list[EvidenceItem]:
    """The evidence of the target's practices and the chosen work groups, in model order, then group and date."""
    order = {p.key: i for i, p in enumerate(readiness.practices)}
    group_ids = {g.id for g in readiness.groups}
    return sorted(
        (e for e in evidence if e.practice_key in order and e.group_id in group_ids),
        key=lambda e: (order[e.practice_key], e.group.casefold(), e.evidence_date, e.id),
    )


def _evidence(
    readiness: Readiness, chosen: list[EvidenceItem], statuses: list[str], renewed: Mapping[int, date], review_months: int
) -> _Sheet:
    titles = {p.key: p.title for p in readiness.practices}
    sheet = _Sheet("Evidence", header_row=1, freeze="A2", widths={9: 14, 11: 18, 12: 14, 13: 14, 14: 20})
    sheet.rows.append(_header(EVIDENCE_HEADER))
    for e, status in zip(chosen, statuses, strict=True):
        still_valid = renewed.get(e.id)
        link = _Cell(text(e.link), link=e.link if e.link and e.link.lower().startswith(LINK_SCHEMES) else None) if e.link else None
        sheet.rows.append(
            [
                e.id, e.process_area, e.practice_key, titles[e.practice_key], text(e.group), e.kind, link, text(e.note) if e.note else None,
                _Cell(e.evidence_date, number_format="yyyy-mm-dd"), text(e.created_by),
                _Cell(_naive_utc(e.created_at), number_format="yyyy-mm-dd hh:mm"),
                _Cell(still_valid, number_format="yyyy-mm-dd") if still_valid else None,
                _Cell(review_by(still_valid or e.evidence_date, review_months), number_format="yyyy-mm-dd"),
                _Cell(status, fill=palette.REVIEW_COLOURS[status]),
            ]
        )  # fmt: skip
    sheet.filter_rows = len(chosen)
    return sheet


def _audit(audit: Sequence[AuditItem | AuditRecord]) -> _Sheet:
    sheet = _Sheet("Audit", header_row=1, freeze="A2", widths={1: 18})
    sheet.rows.append(_header(AUDIT_HEADER))
    for a in audit:
        before, after = (json.dumps(v, ensure_ascii=False, sort_keys=True, default=str) if v else "" for v in (a.before, a.after))
        when = _Cell(_naive_utc(a.at), number_format="yyyy-mm-dd hh:mm:ss")
        what = f"{getattr(a, 'entity', '')} {getattr(a, 'entity_id', '')}".strip()  # an AuditItem of one evidence item names none
        sheet.rows.append([when, text(a.actor), text(a.action), text(what) or None, text(before), text(after)])
    sheet.filter_rows = len(audit)
    return sheet


def _naive_utc(moment: datetime) -> datetime:
    """Excel has no time zones: stored times are UTC (naive from SQLite, aware from PostgreSQL)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


# ---- writing ----------------------------------------------------------------------------------------


def _shown(value: Entry) -> str:
    """Roughly what a spreadsheet displays for a value, to size its column."""
    value = value.value if isinstance(value, _Cell) else value
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, float):
        return "100%"
    return "" if value is None else str(value)


def _width(sheet: _Sheet, column: int) -> float:
    """Fixed where set, else from the longest entry below the title rows, within MIN_WIDTH..MAX_WIDTH characters."""
    if column in sheet.widths:
        return sheet.widths[column]
    start = max(0, sheet.header_row - 1)
    longest = max((len(_shown(r[column - 1])) for r in sheet.rows[start:] if len(r) >= column), default=0)
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2)))


def _write(sheets: list[_Sheet], today: date) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    book.properties.creator = "cmmi-bot"
    book.properties.created = book.properties.modified = datetime.combine(today, time())
    fills: dict[str, PatternFill] = {}
    fonts: dict[tuple[bool, str | None, int | None], Font] = {}
    centred = Alignment(horizontal="center")

    def fill(colour: str) -> PatternFill:
        return fills.setdefault(colour, PatternFill(fill_type="solid", start_color="FF" + colour, end_color="FF" + colour))

    def font(bold: bool, colour: str | None, size: int | None) -> Font:
        key = (bold, colour, size)
        if key not in fonts:
            fonts[key] = Font(bold=bold, color="FF" + colour if colour else None, size=size)
        return fonts[key]

    for spec in sheets:
        ws = book.create_sheet(spec.title)
        columns = max((len(r) for r in spec.rows), default=1)
        for column in range(1, columns + 1):
            ws.column_dimensions[get_column_letter(column)].width = _width(spec, column)
        ws.freeze_panes = spec.freeze
        for row in spec.rows:
            out: list[object] = []
            for value in row:
                if not isinstance(value, _Cell):
                    out.append(value)
                    continue
                c = WriteOnlyCell(ws, value=value.value)
                if isinstance(value.value, str):
                    c.data_type = "s"  # never a formula, whatever the text; the guard already prefixed it
                if value.link:
                    c.hyperlink = value.link
                    c.style = "Hyperlink"
                if value.fill:
                    c.fill = fill(value.fill)
                if value.bold or value.colour or value.size:
                    c.font = font(value.bold, value.colour, value.size)
                if value.number_format:
                    c.number_format = value.number_format
                if value.centre:
                    c.alignment = centred
                out.append(c)
            ws.append(out)
        last = get_column_letter(max(1, len(spec.rows[spec.header_row - 1]) if spec.header_row else columns))
        ws.auto_filter.ref = f"A{spec.header_row}:{last}{spec.header_row + spec.filter_rows}"
    buffer = io.BytesIO()
    book.save(buffer)
    return _stamped(buffer.getvalue(), today)


def _stamped(xlsx: bytes, today: date) -> bytes:
    """The same workbook with every zip entry, and its "modified" property, dated `today`: openpyxl stamps both with the
    time of writing, and the same data on the same day should give the same bytes (a retried export, a file compared
    with the one sent)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            stamped = zipfile.ZipInfo(entry.filename, date_time=(today.year, today.month, today.day, 0, 0, 0))
            stamped.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":  # openpyxl sets "modified" to the time of saving
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + f"{today.isoformat()}T00:00:00Z".encode(), data)
            target.writestr(stamped, data)
    return out.getvalue()
