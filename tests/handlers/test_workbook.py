"""The evidence workbook, built from data logged through the real commands and read back with openpyxl."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from handlers import Context, Reply, Request, UserError, dispatch
from handlers.support import palette
from handlers.support.readiness import Readiness, Snapshot, Target
from handlers.support.review import CURRENT, DUE_SOON, NEEDS_REVIEW, review_by, review_status
from handlers.support.workbook import EVIDENCE_HEADER, MATRIX_FIXED, build_workbook
from store import Store
from tests.conftest import ROOT, Clock

pytestmark = pytest.mark.calendar  # evidence dates and review status move with the injected clock

WS = "W1"
LINK = "https://wiki.example.com/weekly-review"
HOSTILE = {  # practice -> a note a spreadsheet would run as a formula without the guard
    "WMC.SP1.2": '=HYPERLINK("https://evil.example.com","click")',
    "WMC.SP1.3": "+1 from the team lead",
    "WMC.SP1.4": "-2 days late, see ticket",
    "WMC.SP1.5": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def say(ctx: Context, text: str) -> Reply:
    return dispatch(Request(text=text, user_id="U1", workspace_id=WS, channel_id="C1", transport="test"), ctx)


@dataclass
class Logged:
    ctx: Context
    store: Store
    today: date
    ids: dict[str, int]  # a name for each piece of evidence -> its id


@pytest.fixture
def logged(db_ctx: Context, clock: Clock) -> Logged:
    """Two work groups, evidence of every review status, hostile notes and a spread of ratings, all via dispatch."""
    today = clock.now.date()
    say(db_ctx, 'group add "Service Desk"')
    say(db_ctx, 'group add "Field Ops"')
    sd = '--group "Service Desk"'

    def add(name: str, text: str) -> None:
        ids[name] = say(db_ctx, text).data["evidence_id"]

    ids: dict[str, int] = {}
    add("current", f"evidence add WMC.SP1.1 {LINK} minutes of the weekly review {sd} --date {(today - timedelta(days=300)).isoformat()}")
    add(
        "due",
        f"evidence add WMC.SP1.1 https://tickets.example.com/OPS-7 status report {sd} --date {(today - timedelta(days=350)).isoformat()}",
    )
    add(
        "stale",
        f"evidence add WMC.SP1.6 http://jira.example.com/browse/OPS-1234 the lead confirms {sd} --date {(today - timedelta(days=400)).isoformat()}",
    )
    for key, note in HOSTILE.items():
        add(key, f"evidence add {key} {note} {sd}")
    add("affirmation", 'evidence add WMC.GP2.8 the lead walks the KPI board --kind affirmation --group "Field Ops"')
    for key, value in (("WMC.SP1.1", "FI"), ("WMC.SP1.2", "LI"), ("WMC.SP1.3", "PI"), ("WMC.SP1.4", "NI"), ("WMC.SP1.5", "NY")):
        say(db_ctx, f"rate {key} {value} {sd}")
    say(db_ctx, 'rate WMC.SP1.1 FI --group "Field Ops"')  # rated, but Field Ops logged nothing for it
    assert db_ctx.store is not None
    return Logged(db_ctx, db_ctx.store, today, ids)


ML2 = Target(level=2)


def build(logged: Logged, target: Target = ML2, group: str | None = None, audit: bool = False, months: int = 12) -> Workbook:
    store, ctx = logged.store, logged.ctx
    chosen = store.groups.find(workspace_id=WS, name=group) if group else None
    snapshot = Snapshot.load(ctx, store, WS, chosen)
    trail = store.evidence.get(workspace_id=WS, evidence_id=logged.ids["current"])[1] if audit else None
    data = build_workbook(
        ctx.model, snapshot, target, store.evidence.list(workspace_id=WS), review_months=months, today=logged.today, audit=trail
    )
    assert data[:2] == b"PK"  # a zip container, as every XLSX is
    return load_workbook(io.BytesIO(data))


def rows_by(ws, column: int = 3) -> dict[str, tuple]:  # ws: an openpyxl worksheet
    """Rows of cells keyed by one column's value (the practice key in Matrix and Evidence)."""
    return {row[column - 1].value: row for row in ws.iter_rows(min_row=2)}


def fill_of(c) -> str | None:  # c: an openpyxl cell
    return c.fill.start_color.rgb[-6:] if c.fill.fill_type == "solid" else None


# ---- the sheets ------------------------------------------------------------------------------------


def test_sheets_have_frozen_headers_filters_and_sensible_widths(logged: Logged) -> None:
    book = build(logged, audit=True)
    assert book.sheetnames == ["Summary", "Matrix", "Evidence", "Audit"]
    summary, matrix, evidence, audit = (book[n] for n in book.sheetnames)
    assert (summary.freeze_panes, matrix.freeze_panes, evidence.freeze_panes, audit.freeze_panes) == ("A5", "F2", "A2", "A2")
    assert summary["A4"].value == "Kind" and summary["A5"].value == "Maturity level"
    practices = Readiness.of(logged.ctx.model, Snapshot.load(logged.ctx, logged.store, WS, None), Target(level=2)).practices
    assert matrix.auto_filter.ref == f"A1:G{1 + len(practices)}"  # 5 fixed columns + 2 work groups
    assert evidence.auto_filter.ref == f"A1:N{1 + len(logged.ids)}"
    assert audit.auto_filter.ref == "A1:F2"
    last_summary = max(r for r in range(5, summary.max_row + 1) if summary.cell(r, 1).value in ("Maturity level", "Process area", "Goal"))
    assert summary.auto_filter.ref == f"A4:H{last_summary}"
    for ws in (summary, matrix, evidence, audit):
        for col in range(1, ws.max_column + 1):
            width = ws.column_dimensions[ws.cell(1, col).column_letter].width
            assert 8 <= width <= 60, (ws.title, col, width)
    assert matrix.column_dimensions["D"].width >= 40  # practice titles are long
    link_column = EVIDENCE_HEADER.index("Link") + 1
    longest = max(len(str(evidence.cell(r, link_column).value or "")) for r in range(2, evidence.max_row + 1))
    assert evidence.column_dimensions[evidence.cell(1, link_column).column_letter].width == longest + 2


def test_matrix_is_in_model_order_with_ratings_counts_fills_and_flags(logged: Logged) -> None:
    matrix = build(logged)["Matrix"]
    header = [c.value for c in matrix[1]]
    assert header == [*MATRIX_FIXED, "Field Ops", "Service Desk"]
    keys = [row[2].value for row in matrix.iter_rows(min_row=2)]
    expected = [p.key for p in Readiness.of(logged.ctx.model, Snapshot.load(logged.ctx, logged.store, WS, None), Target(level=2)).practices]
    assert keys == expected
    wmc = [k for k in keys if k.startswith("WMC.")]
    assert wmc.index("WMC.SP2.3") < wmc.index("WMC.GP2.1")  # generic practices follow each area's specific ones

    rows = rows_by(matrix)
    field, desk = 6, 7  # 1-based columns of the two work groups (alphabetical)
    want = {"WMC.SP1.1": "FI · 2 items", "WMC.SP1.2": "LI · 1 item", "WMC.SP1.3": "PI · 1 item", "WMC.SP1.4": "NI · 1 item"}
    want |= {"WMC.SP1.5": "NY · 1 item", "WMC.SP1.6": "1 item", "WMC.SP1.7": "no evidence"}
    for key, value in want.items():
        c = rows[key][desk - 1]
        assert c.value == value, key
        rating = value.split(" · ")[0] if " · " in value else None
        assert fill_of(c) == (palette.RATING_COLOURS[rating] if rating else None), key
    assert [fill_of(rows[k][desk - 1]) for k in ("WMC.SP1.1", "WMC.SP1.3", "WMC.SP1.4", "WMC.SP1.5")] == [
        "63BE7B", "FFC000", "F8696B", "BFBFBF",
    ]  # fmt: skip  # FI green, PI amber, NI red, NY grey, as the issue asks

    flagged = rows["WMC.SP1.1"][field - 1]  # rated FI for Field Ops, but nothing logged: flagged
    assert flagged.value == "FI · no evidence" and fill_of(flagged) == palette.RATING_COLOURS["FI"]
    assert flagged.font.b and flagged.font.color.rgb[-6:] == palette.FLAG
    plain = rows["WMC.SP1.1"][desk - 1]
    assert not plain.font.b and getattr(plain.font.color, "rgb", None) != "FF" + palette.FLAG
    assert rows["WMC.GP2.8"][field - 1].value == "1 item"
    assert rows["WMC.SP1.1"][4].value == "FI"  # both groups FI: the practice rolls up to FI
    assert fill_of(rows["WMC.SP1.1"][4]) == palette.RATING_COLOURS["FI"]
    assert rows["WMC.SP1.2"][4].value == "unrated"  # Field Ops has not rated it


def test_evidence_rows_have_real_links_dates_and_review_status(logged: Logged) -> None:
    evidence = build(logged)["Evidence"]
    assert [c.value for c in evidence[1]] == list(EVIDENCE_HEADER)
    col = {name: i for i, name in enumerate(EVIDENCE_HEADER)}
    rows = {row[0].value: row for row in evidence.iter_rows(min_row=2)}
    assert set(rows) == set(logged.ids.values())

    current = rows[logged.ids["current"]]
    assert current[col["Link"]].value == LINK
    assert current[col["Link"]].hyperlink.target == LINK
    assert current[col["Link"]].style == "Hyperlink"
    assert current[col["Note"]].value == "minutes of the weekly review"
    assert current[col["Work group"]].value == "Service Desk" and current[col["Practice"]].value == "WMC.SP1.1"
    assert current[col["Kind"]].value == "artifact" and current[col["Logged by"]].value == "U1"
    evidence_date = logged.today - timedelta(days=300)
    assert current[col["Evidence date"]].value.date() == evidence_date
    assert current[col["Review by"]].value.date() == review_by(evidence_date, 12)
    assert rows[logged.ids["stale"]][col["Link"]].hyperlink.target == "http://jira.example.com/browse/OPS-1234"
    assert rows[logged.ids["affirmation"]][col["Link"]].value is None
    assert rows[logged.ids["affirmation"]][col["Link"]].hyperlink is None

    for name, status in (("current", CURRENT), ("due", DUE_SOON), ("stale", NEEDS_REVIEW)):
        c = rows[logged.ids[name]][col["Review status"]]
        assert c.value == status, name
        assert fill_of(c) == palette.REVIEW_COLOURS[status]
    # a longer review period makes the stale evidence current again: the months really count
    longer = {row[0].value: row for row in build(logged, months=24)["Evidence"].iter_rows(min_row=2)}
    assert longer[logged.ids["stale"]][col["Review status"]].value == CURRENT

    # model order, then work group: WMC.SP1.1's two items come before WMC.SP1.2's
    practices = [row[col["Practice"]].value for row in evidence.iter_rows(min_row=2)]
    assert practices.index("WMC.SP1.1") < practices.index("WMC.SP1.2") < practices.index("WMC.SP1.6")


def test_user_text_is_never_a_formula(logged: Logged) -> None:
    book = build(logged, audit=True)
    rows = rows_by(book["Evidence"])
    note = EVIDENCE_HEADER.index("Note")
    for key, text in HOSTILE.items():
        c = rows[key][note]
        assert c.value == "'" + text, key
        assert c.data_type == "s"
    for ws in book:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


def test_control_characters_are_dropped_before_the_guard(logged: Logged) -> None:
    say(logged.ctx, 'evidence add WMC.SP1.7 \x01=1+1\x07 bell --group "Service Desk"')
    rows = rows_by(build(logged)["Evidence"])
    assert rows["WMC.SP1.7"][EVIDENCE_HEADER.index("Note")].value == "'=1+1 bell"


def test_summary_has_levels_areas_goals_rollup_and_rules(logged: Logged) -> None:
    summary = build(logged)["Summary"]
    assert "ML2" in summary["A1"].value and logged.today.isoformat() in summary["A2"].value
    table = {(r[0].value, r[1].value): r for r in summary.iter_rows(min_row=5) if r[0].value in ("Maturity level", "Process area", "Goal")}
    assert [k[1] for k in table if k[0] == "Maturity level"] == ["ML2", "ML3", "ML4", "ML5"]
    wmc = table[("Process area", "WMC")]
    # WMC at ML2: 20 practices x 2 groups; evidence on SP1.1-SP1.6 for Service Desk and GP2.8 for Field Ops
    assert [c.value for c in wmc[2:6]] == ["Work Monitoring and Control", 2, 20, "7/40"]
    assert wmc[6].value == pytest.approx(7 / 40) and wmc[6].number_format == "0%"
    assert wmc[7].value == "not ratable yet" and fill_of(wmc[7]) == palette.RATING_COLOURS["NY"]
    assert table[("Goal", "WMC.SG1")][7].value == "not ratable yet"
    assert table[("Maturity level", "ML2")][7].value == "not ratable yet"
    text = "\n".join(str(c.value) for row in summary.iter_rows() for c in row if c.value)
    assert "a work group in scope without a rating" in text  # the rules applied are spelled out
    assert "12 months" in text


def test_one_group_and_one_area_narrow_every_sheet(logged: Logged) -> None:
    book = build(logged, target=Target(pa="WMC"), group="Field Ops")
    matrix = book["Matrix"]
    assert [c.value for c in matrix[1]] == [*MATRIX_FIXED, "Field Ops"]
    assert {row[0].value for row in matrix.iter_rows(min_row=2)} == {"WMC"}
    evidence = list(book["Evidence"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in evidence] == [logged.ids["affirmation"]]
    assert "work group Field Ops" in book["Summary"]["A2"].value
    assert "Audit" not in book.sheetnames  # no audit items given, no Audit sheet


def test_audit_sheet_lists_the_trail(logged: Logged) -> None:
    audit = build(logged, audit=True)["Audit"]
    rows = list(audit.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    when, actor, action, what, before, after = rows[0]
    assert (actor, action, what, before) == ("U1", "evidence.add", None, None)  # one item's trail (an AuditItem) names no entity
    assert '"note": "minutes of the weekly review"' in after
    assert when.date() == logged.today


# ---- review status -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence_date", "months", "due"),
    [
        (date(2025, 3, 15), 12, date(2026, 3, 15)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # no Feb 31: the month's last day
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2025, 11, 30), 3, date(2026, 2, 28)),  # across the year end
        (date(2025, 6, 1), 0, date(2025, 6, 1)),
    ],
)
def test_review_by_adds_calendar_months(evidence_date: date, months: int, due: date) -> None:
    assert review_by(evidence_date, months) == due


def test_review_status_boundaries() -> None:
    dated = date(2025, 3, 15)
    due = review_by(dated, 12)
    assert review_status(dated, 12, due - timedelta(days=31)) == CURRENT
    assert review_status(dated, 12, due - timedelta(days=30)) == DUE_SOON
    assert review_status(dated, 12, due) == DUE_SOON
    assert review_status(dated, 12, due + timedelta(days=1)) == NEEDS_REVIEW
    with pytest.raises(ValueError):
        review_by(dated, -1)


def test_building_modules_do_not_import_openpyxl_until_used() -> None:
    """`cmmi-bot ask` pays nothing for the workbook: importing the handlers leaves openpyxl unloaded."""
    code = "import sys, handlers, handlers.support.workbook, handlers.support.heatmap; print(sorted(m for m in ('openpyxl', 'PIL') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- through the export command ------------------------------------------------------------------


def test_the_export_command_sends_the_workbook_with_renewals_links_fills_and_audit(logged: Logged) -> None:
    ctx = logged.ctx
    stale = logged.ids["stale"]
    assert say(ctx, f"evidence renew {stale}").data["changed"]  # still valid from today: current again
    say(ctx, 'rate WMC.SP1.6 LI --group "Service Desk"')
    reply = say(ctx, 'export ML2 --group "Service Desk" --audit')
    [file] = reply.attachments
    assert file.media_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert file.filename == f"cmmi-evidence-ML2-Service_Desk-{logged.today.isoformat()}.xlsx" == reply.data["filename"]
    book = load_workbook(io.BytesIO(file.content))
    assert book.sheetnames == ["Summary", "Matrix", "Evidence", "Audit"]
    assert [c.value for c in book["Matrix"][1]] == [*MATRIX_FIXED, "Service Desk"]  # one work group asked for
    matrix = rows_by(book["Matrix"])
    assert matrix["WMC.SP1.6"][5].value == "LI · 1 item" and fill_of(matrix["WMC.SP1.6"][5]) == palette.RATING_COLOURS["LI"]
    assert matrix["WMC.SP1.7"][5].value == "no evidence" and matrix["WMC.SP1.7"][5].font.b

    col = {name: i for i, name in enumerate(EVIDENCE_HEADER)}
    rows = {row[0].value: row for row in book["Evidence"].iter_rows(min_row=2)}
    assert logged.ids["affirmation"] not in rows  # Field Ops' evidence is outside the scope
    renewed = rows[stale]
    assert renewed[col["Still valid on"]].value.date() == logged.today
    assert renewed[col["Review by"]].value.date() == review_by(logged.today, 12)  # counted from the renewal
    assert renewed[col["Review status"]].value == CURRENT and fill_of(renewed[col["Review status"]]) == palette.REVIEW_COLOURS[CURRENT]
    assert renewed[col["Link"]].hyperlink.target == "http://jira.example.com/browse/OPS-1234"
    assert rows[logged.ids["due"]][col["Still valid on"]].value is None
    assert rows[logged.ids["due"]][col["Review status"]].value == DUE_SOON

    audit = list(book["Audit"].iter_rows(min_row=2, values_only=True))
    actions = [(r[2], r[3]) for r in audit]
    assert ("evidence.renew", f"evidence {stale}") in actions
    assert ("evidence.add", f"evidence {logged.ids['current']}") in actions
    assert ("evidence.add", f"evidence {logged.ids['affirmation']}") not in actions  # another group's
    desk = logged.store.groups.find(workspace_id=WS, name="Service Desk")
    assert ("rating.set", f"rating {desk.id}:WMC.SP1.6") in actions
    summary = "\n".join(str(c.value) for row in book["Summary"].iter_rows() for c in row if c.value)
    assert "needs review: 0" in summary and f"Evidence in scope: {len(rows)}" in summary


def test_export_formats_and_their_errors(logged: Logged) -> None:
    ctx = logged.ctx
    default = say(ctx, "export WMC")
    assert default.data["format"] == "xlsx" and default.attachments[0].content[:2] == b"PK"
    csv_reply = say(ctx, "export WMC --format csv")
    assert csv_reply.attachments[0].media_type == "text/csv" and csv_reply.attachments[0].content.startswith(b"process_area,")
    assert csv_reply.data["rows"] == default.data["rows"]
    for text, message in (("export WMC --format pdf", "xlsx .* or csv"), ("export --format csv --audit", "audit log is a sheet")):
        with pytest.raises(UserError, match=message):
            say(ctx, text)
    assert "Audit" not in load_workbook(io.BytesIO(default.attachments[0].content)).sheetnames


def test_the_same_data_on_the_same_day_gives_the_same_bytes(logged: Logged, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook built an hour later (same day, same data) is byte for byte the one built before: neither the zip
    entries nor the document properties carry the time of writing."""
    import time as time_module
    from datetime import datetime as real_datetime

    import openpyxl.writer.excel as excel

    first = say(logged.ctx, "export ML2").attachments[0].content
    later = time_module.time() + 3600

    class Later(real_datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return real_datetime.fromtimestamp(later, tz)

    monkeypatch.setattr(time_module, "time", lambda: later)
    monkeypatch.setattr(excel.datetime, "datetime", Later)
    second = say(logged.ctx, "export ML2").attachments[0].content
    monkeypatch.undo()
    assert first == second
