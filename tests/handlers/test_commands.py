"""The /cmmi command language end to end through dispatch, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest

from handlers import Context, Reply, Request, UserError, dispatch, plain
from handlers.support.readiness import Target, practices_in_scope
from store import Store
from tests.conftest import Clock

pytestmark = pytest.mark.calendar  # also run with the clock a year ahead (make test-future)


def say(ctx: Context, text: str, user: str = "U1", channel: str = "C1", ws: str = "W1", admin: bool = False) -> Reply:
    return dispatch(Request(text=text, user_id=user, workspace_id=ws, channel_id=channel, is_admin=admin, transport="test"), ctx)


def flat(reply: Reply) -> str:
    parts = [reply.text]
    for s in reply.sections:
        parts += [s.title or "", plain(s.body), s.note or "", *(f"{n}: {plain(v)}" for n, v in s.fields), *map(plain, s.items)]
    return "\n".join(parts)


def rows(store: Store, ws: str = "W1") -> tuple[int, int, int]:
    return store.evidence.count(workspace_id=ws), len(store.ratings.current(workspace_id=ws)), len(store.groups.list(workspace_id=ws))


@pytest.fixture
def desk(db_ctx: Context) -> Context:
    say(db_ctx, 'group add "Service Desk"')
    say(db_ctx, "group use service desk")
    return db_ctx


def test_group_lifecycle(db_ctx: Context) -> None:
    assert "Added work group" in say(db_ctx, "group add Service Desk").text
    with pytest.raises(UserError, match="already exists"):
        say(db_ctx, "group add service desk")
    say(db_ctx, "group use Service Desk", channel="C9")
    listing = say(db_ctx, "group list", channel="C9")
    assert listing.data["groups"] == ["Service Desk"]
    assert "(this channel)" in flat(listing)
    say(db_ctx, "group rename Service Desk to IT Service Desk")
    assert say(db_ctx, "group list").data["groups"] == ["IT Service Desk"]


def test_evidence_add_uses_the_channel_group_and_dedupes(desk: Context) -> None:
    first = say(desk, "evidence add WMC.SP1.6 https://wiki.example.com/weekly minutes of the weekly review")
    assert first.data["created"] and "Service Desk" in flat(first)
    again = say(desk, "evidence add WMC.SP1.6 https://wiki.example.com/weekly minutes of the weekly review")
    assert again.data == {"evidence_id": first.data["evidence_id"], "created": False}
    shown = flat(say(desk, f"evidence show {first.data['evidence_id']}"))
    assert "https://wiki.example.com/weekly · minutes of the weekly review" in shown
    assert "evidence.add" in shown


@pytest.mark.parametrize(
    "text",
    [
        "evidence add WMC.SP1.6 <https://wiki.example.com/x|the wiki page> notes",
        "evidence add wmc sp 1.6 https://wiki.example.com/x notes",
        "evidence add SP1.6 of WMC https://wiki.example.com/x notes",
        "evidence add WMC.GP2.8 the lead walks the KPI board --kind affirmation",
        "evidence add GP2.8 WMC the lead walks the KPI board",
        "evidence add GP2.8 the lead walks the KPI board --pa WMC",
        "evidence add WMC.SP1.6 https://wiki.example.com/x —group “Service Desk” —date 2026-10-01",
    ],
)
def test_evidence_add_forms(desk: Context, text: str) -> None:
    reply = say(desk, text)
    assert reply.data["created"], flat(reply)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("evidence add", "Name a practice"),
        ("evidence add WMC.SP9.1 https://x.example.com", "not in CMMI-SVC"),
        ("evidence add WMC.SG1 https://x.example.com", "is a goal"),
        ("evidence add WMC https://x.example.com", "not a practice ID"),
        ("evidence add GP2.8 https://x.example.com", "say which process area"),
        ("evidence add GP2.8 --pa XYZ note", "not a process area"),
        ("evidence add WMC.SP1.6", "Add a link or a note"),
        ("evidence add WMC.SP1.6 htp://broken", "not a valid link"),
        ("evidence add WMC.SP1.6 note --date 2026-02-30", "not a date"),
        ("evidence add WMC.SP1.6 note --date 2999-01-01", "in the future"),
        ("evidence add WMC.SP1.6 note --kind rumour", "artifact or affirmation"),
        ("evidence add WMC.SP1.6 note --group Nobody", 'no work group "Nobody"'),
        ("evidence add WMC.SP1.6 note --colour red", "Unknown option --colour"),
        ("evidence add WMC.SP1.6 note --group", "needs a value"),
        ('evidence add WMC.SP1.6 "unclosed note', "not closed"),
        ("evidence add WMC.SP1.6 " + "x" * 2001, "limit is 2,000"),
        ("evidence remove twelve", "evidence number"),
        ("evidence show 999", "no evidence #999"),
        ("evidence frobnicate", "Use evidence add"),
        ("rate WMC.SP1.6 GOOD", "not a rating"),
        ("rate WMC.SP1.6", "Rate with one of"),
        ("group add @channel", "cannot be a work group name"),
        ("group use Nobody", 'no work group "Nobody"'),
        ("status ML7", "not a maturity level"),
        ("gaps XYZ", "neither a process area"),
    ],
)
def test_bad_input_says_what_to_type_and_writes_nothing(desk: Context, text: str, message: str) -> None:
    say(desk, "evidence add WMC.SP1.1 https://wiki.example.com/existing kept")
    before = rows(desk.store)
    with pytest.raises(UserError) as raised:
        say(desk, text)
    assert message in str(raised.value)
    assert "Traceback" not in str(raised.value)
    assert rows(desk.store) == before


def test_no_group_bound_asks_which(db_ctx: Context) -> None:
    say(db_ctx, "group add Desk")
    with pytest.raises(UserError, match="Which work group"):
        say(db_ctx, "evidence add WMC.SP1.6 note", channel="unbound")
    assert db_ctx.store.evidence.count(workspace_id="W1") == 0


def test_remove_permissions(desk: Context) -> None:
    evidence_id = say(desk, "evidence add WMC.SP1.6 note", user="alice").data["evidence_id"]
    with pytest.raises(UserError, match="Only the person who logged"):
        say(desk, f"evidence remove {evidence_id}", user="bob")
    assert desk.store.evidence.count(workspace_id="W1") == 1
    assert "Removed" in say(desk, f"evidence remove #{evidence_id}", user="carol", admin=True).text
    with pytest.raises(UserError, match="already removed"):
        say(desk, f"evidence remove {evidence_id}", user="alice")


def test_workspaces_are_isolated_through_commands(desk: Context) -> None:
    evidence_id = say(desk, "evidence add WMC.SP1.6 secret note").data["evidence_id"]
    with pytest.raises(UserError, match="no evidence"):
        say(desk, f"evidence show {evidence_id}", ws="W2")
    with pytest.raises(UserError, match="no evidence"):
        say(desk, f"evidence remove {evidence_id}", ws="W2", admin=True)
    assert "No work groups yet" in say(desk, "status", ws="W2").text
    assert desk.store.evidence.count(workspace_id="W1") == 1


def test_evidence_list_filters(desk: Context) -> None:
    say(desk, "group add Network")
    a = say(desk, "evidence add WMC.SP1.6 a").data["evidence_id"]
    b = say(desk, "evidence add IRP.SP2.1 b").data["evidence_id"]
    c = say(desk, "evidence add IRP.SP2.1 c --group Network").data["evidence_id"]
    assert say(desk, "evidence list").data["ids"] == [c, b, a]
    assert say(desk, "evidence list IRP").data["ids"] == [c, b]
    assert say(desk, "evidence list IRP.SP2.1 --group Network").data["ids"] == [c]
    assert "No evidence yet" in say(desk, "evidence list CAM").text


def test_rate_keeps_history(desk: Context, clock: Clock) -> None:
    assert say(desk, "rate WMC.SP1.6 pi minutes missing").data == {"practice": "WMC.SP1.6", "value": "PI", "previous": None}
    clock.advance(days=1)
    reply = say(desk, "rate WMC.SP1.6 LI")
    assert reply.data["previous"] == "PI" and "(was PI)" in flat(reply)


def test_status_coverage_and_rollup(desk: Context) -> None:
    model = desk.model
    say(desk, "group add Network")
    in_scope = practices_in_scope(model, Target(pa="REQM"), set())
    for p in in_scope:
        say(desk, f"evidence add {p.key} note for {p.key}")
        say(desk, f"rate {p.key} FI")
        say(desk, f"rate {p.key} LI --group Network")
    reply = say(desk, "status REQM")
    text = flat(reply)
    assert reply.data == {"covered": len(in_scope), "total": 2 * len(in_scope), "current": len(in_scope), "needs_review": 0}
    assert "Roll-up: satisfiable" in text  # FI + LI everywhere, evidence or not
    say(desk, "rate REQM.SP1.3 PI --group Network")
    text = flat(say(desk, "status REQM"))
    assert "REQM.SP1.3 Manage Requirements Changes: team judgement" in text
    assert "Roll-up: needs team judgement" in text
    summary = flat(say(desk, "status"))
    assert "ML2: evidence" in summary and "Readiness by maturity level" in summary


def test_gaps(desk: Context) -> None:
    say(desk, "evidence add REQM.SP1.1 spec review")
    say(desk, "rate REQM.SP1.2 FI")
    say(desk, "rate REQM.SP1.1 NI")
    reply = say(desk, "gaps REQM")
    text = flat(reply)
    assert "REQM.SP1.2 Obtain Commitment to Requirements · Service Desk: rated FI without evidence" in text
    assert "REQM.SP1.1 Understand Requirements · Service Desk: rated NI" in text
    assert "REQM.SP1.3 Manage Requirements Changes · Service Desk: no evidence" in text
    in_scope = len(practices_in_scope(desk.model, Target(pa="REQM"), set()))
    assert reply.data["gaps"] == in_scope  # REQM.SP1.1 has evidence but is rated NI: still a gap


def test_export_matrix(desk: Context) -> None:
    say(desk, "evidence add WMC.SP1.6 https://wiki.example.com/w =HYPERLINK(evil)")
    say(desk, "rate WMC.SP1.6 LI +1 from me")
    reply = say(desk, "export WMC --format csv")
    table = list(csv.DictReader(io.StringIO(reply.attachments[0].content.decode("utf-8"))))
    assert len(table) == reply.data["rows"] == len(practices_in_scope(desk.model, Target(pa="WMC"), set()))
    row = next(r for r in table if r["practice"] == "WMC.SP1.6")
    assert row["work_group"] == "Service Desk" and row["rating"] == "LI" and row["evidence_count"] == "1"
    assert row["rating_note"] == "'+1 from me"  # never a formula in a spreadsheet
    assert "https://wiki.example.com/w =HYPERLINK(evil)" in row["evidence"]
    assert reply.data["filename"].endswith(".csv")


def test_database_down_is_a_clear_message(ctx: Context) -> None:
    from store import make_engine

    down = Context(
        model=ctx.model, index=ctx.index, store=Store(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=2"), Clock())
    )
    with pytest.raises(UserError, match="nothing was recorded"):
        say(down, "evidence add WMC.SP1.6 note --group Desk")


def test_mentions_in_notes_are_stored_verbatim(desk: Context) -> None:
    evidence_id = say(desk, "evidence add WMC.SP1.6 <!channel> please look <@U123>").data["evidence_id"]
    item, _ = desk.store.evidence.get(workspace_id="W1", evidence_id=evidence_id)
    assert item.note == "<!channel> please look <@U123>"
