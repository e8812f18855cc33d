"""Evidence that stays fresh, through the real commands: review dates, the workspace's own period, renewals, and how
status, gaps and the digest show evidence to review. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from handlers import Context, Reply, Request, UserError, dispatch
from handlers.digest import DigestScope, build_digest
from handlers.support import palette
from handlers.support.actions import Kind, permits
from handlers.support.heatmap import layout_heatmap
from handlers.support.readiness import Readiness, Snapshot, Target
from handlers.support.review import first_base_due_on_or_after, review_by
from store.schema import AuditEntry
from tests.conftest import Clock

pytestmark = pytest.mark.calendar  # dates are computed from the injected clock

WS = "W1"


def say(ctx: Context, text: str, user: str = "U1", admin: bool = False) -> Reply:
    return dispatch(Request(text=text, user_id=user, workspace_id=WS, channel_id="C1", is_admin=admin, transport="test"), ctx)


def flat(reply: Reply) -> str:
    parts = [reply.text]
    for s in reply.sections:
        parts += [s.title or "", str(s.body), s.note or "", *(f"{n}: {v}" for n, v in s.fields), *map(str, s.items)]
    return "\n".join(parts)


def audit(ctx: Context, action: str) -> list[tuple[str, str, dict | None, dict | None]]:
    with ctx.store.engine.connect() as c:
        rows = c.execute(
            select(AuditEntry.actor, AuditEntry.entity_id, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.workspace_id == WS, AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        return [tuple(r) for r in rows]


@pytest.fixture
def desk(db_ctx: Context) -> Context:
    say(db_ctx, 'group add "Service Desk"')
    say(db_ctx, "group use Service Desk")
    return db_ctx


def add(ctx: Context, key: str, days_old: int, user: str = "U1") -> int:
    dated = (ctx.store.clock().date() - timedelta(days=days_old)).isoformat()
    return say(ctx, f"evidence add {key} https://wiki.example.com/{key}/{days_old} minutes --date {dated}", user=user).data["evidence_id"]


def needs_review(ctx: Context, target: str = "WMC") -> int:
    return say(ctx, f"status {target}").data["needs_review"]


# ---- review dates ----------------------------------------------------------------------------------


def test_first_base_due_is_exact_for_every_day_and_period() -> None:
    """The store filters with this cut-off: it must agree with review_by on every day, month ends and leap days included."""
    start = date(2027, 1, 1)
    for months in (1, 2, 6, 11, 12, 13, 18, 24, 120):
        for n in range(0, 800, 1 if months in (1, 12) else 7):
            day = start + timedelta(days=n)
            cut = first_base_due_on_or_after(day, months)
            assert review_by(cut, months) >= day > review_by(cut - timedelta(days=1), months), (day, months)


def test_default_period_workspace_setting_and_installation_default(desk: Context) -> None:
    add(desk, "WMC.SP1.1", 400)  # past 12 months
    add(desk, "WMC.SP1.2", 200)  # within 12 months, past 6
    assert needs_review(desk) == 1
    assert needs_review(replace(desk, review_months=24)) == 0  # the installation's default really counts
    say(desk, "settings review-months 6", admin=True)
    assert needs_review(desk) == 2
    assert needs_review(replace(desk, review_months=24)) == 2  # the workspace's own setting wins over the default
    shown = say(desk, "settings")
    assert shown.data == {"review-months": 6, "overridden": True} and "this workspace's setting, by U1" in flat(shown)
    say(desk, "settings review-months default", admin=True)
    assert needs_review(desk) == 1
    assert say(desk, "settings").data == {"review-months": 12, "overridden": False}
    other = dispatch(Request(text="settings", workspace_id="W2"), desk)  # another workspace never sees it
    assert other.data["overridden"] is False


def test_settings_are_for_admins_checked_and_audited(desk: Context) -> None:
    with pytest.raises(UserError, match="Only a workspace admin"):
        say(desk, "settings review-months 18")
    for bad, message in (("0", "from 1 to 120"), ("121", "from 1 to 120"), ("twelve", "not a number"), ("9" * 5000, "not a number")):
        with pytest.raises(UserError, match=message):
            say(desk, f"settings review-months {bad}", admin=True)
    with pytest.raises(UserError, match="one number"):
        say(desk, "settings review-months", admin=True)
    with pytest.raises(UserError, match="no setting"):
        say(desk, "settings colour blue", admin=True)
    assert audit(desk, "setting.set") == []  # nothing refused was written
    say(desk, "settings review-months 18", admin=True, user="boss")
    unchanged = say(desk, "settings review-months 18", admin=True, user="boss")
    assert "nothing changed" in unchanged.text
    say(desk, "settings review-months default", admin=True, user="boss2")
    assert audit(desk, "setting.set") == [
        ("boss", "review-months", None, {"value": "18"}),
        ("boss2", "review-months", {"value": "18"}, None),
    ]


def test_renew_restarts_the_period_from_today_for_the_owner_or_an_admin(desk: Context, clock: Clock) -> None:
    old = add(desk, "WMC.SP1.6", 500, user="alice")
    assert needs_review(desk) == 1
    with pytest.raises(UserError, match=r"Only the person who logged evidence #\d+ \(alice\)"):
        say(desk, f"evidence renew {old}", user="bob")
    assert needs_review(desk) == 1 and audit(desk, "evidence.renew") == []
    renewed = say(desk, f"evidence renew {old}", user="alice")
    today = clock.now.date()
    assert renewed.data == {"evidence_id": old, "review_by": review_by(today, 12).isoformat(), "changed": True}
    assert needs_review(desk) == 0
    again = say(desk, f"evidence renew #{old}", user="carol", admin=True)  # an admin may; the same day writes nothing new
    assert again.data["changed"] is False and "already renewed today" in again.text
    [(actor, entity, before, after)] = audit(desk, "evidence.renew")
    dated = (today - timedelta(days=500)).isoformat()
    assert (actor, entity, before, after) == (
        "alice",
        str(old),
        {"reviewed_on": None, "date": dated},
        {"reviewed_on": today.isoformat(), "reviewed_by": "alice"},
    )
    assert "evidence.renew" in flat(say(desk, f"evidence show {old}"))
    # a year and a day later it is due again, counted from the renewal, not from its date
    clock.advance(days=366)
    assert needs_review(desk) == 1
    assert f"still valid on {today.isoformat()}" in flat(say(desk, "gaps WMC"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("evidence renew", "evidence number"),
        ("evidence renew 999", "no evidence #999"),
        ("evidence renew 99999999999999999999", "no evidence"),
    ],
)
def test_renew_bad_input(desk: Context, text: str, message: str) -> None:
    add(desk, "WMC.SP1.6", 500)
    with pytest.raises(UserError, match=message):
        say(desk, text)
    assert audit(desk, "evidence.renew") == []


def test_removed_evidence_cannot_be_renewed(desk: Context) -> None:
    old = add(desk, "WMC.SP1.6", 500)
    say(desk, f"evidence remove {old}")
    with pytest.raises(UserError, match="was removed"):
        say(desk, f"evidence renew {old}")


# ---- status, gaps, digest --------------------------------------------------------------------------


def test_status_counts_evidence_to_review_apart_from_current_evidence(desk: Context) -> None:
    add(desk, "WMC.SP1.1", 400)
    add(desk, "WMC.SP1.2", 400)
    add(desk, "WMC.SP1.2", 10)  # WMC.SP1.2 still has current evidence
    reply = say(desk, "status WMC")
    assert reply.data == {"covered": 2, "total": 20, "current": 1, "needs_review": 2}
    text = flat(reply)
    assert "Current evidence: 1/20 (5%)" in text and "Needs review: 2 items" in text
    assert "WMC.SP1.1 Monitor Work Planning Parameters: unrated [Service Desk - (evidence needs review)]" in text
    assert "WMC.SP1.2 Monitor Commitments: unrated [Service Desk -]" in text
    assert "ML2: evidence 2/" in flat(say(desk, "status")) and "2 need review" in flat(say(desk, "status"))
    assert reply.shareable


def test_gaps_lists_evidence_to_review_first_oldest_first_and_pages_through_everything(desk: Context) -> None:
    say(desk, "group add Network")
    ids = [add(desk, key, days) for key, days in (("SD.SP1.1", 700), ("WMC.SP1.6", 900), ("CM.SP1.1", 380))]
    first = say(desk, "gaps ML2")
    assert first.shareable and first.data["needs_review"] == 3 and first.data["page"] == 1
    review, gaps, pager = first.sections
    assert review.title == "Needs review for ML2: 3"
    assert [str(i).split(" ", 1)[0] for i in review.items] == [f"#{ids[1]}", f"#{ids[0]}", f"#{ids[2]}"]  # oldest first
    assert gaps.title.startswith("Gaps for ML2: ") and len(gaps.items) == 17  # 20 lines a page, the rest of page 1
    assert [a.label for a in pager.actions] == ["Next ▶"]
    # Walk every page with the buttons, as a person would: every line once, nothing left out or "not shown".
    seen, reply, pages = [], first, 0
    while True:
        pages += 1
        seen += [str(i) for s in reply.sections for i in s.items]
        assert "not shown" not in flat(reply)
        nxt = [a for s in reply.sections for a in s.actions if a.label == "Next ▶"]
        if not nxt:
            break
        assert permits(Kind.PAGE, nxt[0].command), nxt[0].command
        reply = say(desk, nxt[0].command)
        assert next(a.label for s in reply.sections for a in s.actions) == "◀ Previous"
    assert pages == first.data["pages"] and len(seen) == len(set(seen)) == 3 + first.data["gaps"]
    [menu] = first.actions
    assert menu.choices and permits(Kind.FILTER, menu.command.replace("{value}", "WMC"))
    narrowed = say(desk, menu.command.replace("{value}", "WMC"))
    assert narrowed.data["needs_review"] == 1 and "WMC.SP1.6" in flat(narrowed)
    one_group = say(desk, 'gaps ML2 --group "Network"')
    assert one_group.data["needs_review"] == 0  # the evidence is Service Desk's
    assert permits(Kind.PAGE, 'gaps ML2 --group "Network" --page 2')


@pytest.mark.parametrize(("page", "message"), [("0", "page number"), ("two", "page number"), ("99", "only")])
def test_gaps_bad_page(desk: Context, page: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        say(desk, f"gaps ML2 --page {page}")


def test_evidence_to_review_is_never_pushed_out_by_a_long_gap_list(desk: Context) -> None:
    """Whatever the number of gaps, evidence to review is on the first page, ahead of them."""
    for n in range(6):
        say(desk, f"group add Extra{n}")
    stale = add(desk, "WP.SP1.1", 800)  # the last process area in model order
    reply = say(desk, "gaps ML2")
    assert reply.data["gaps"] > 500
    assert reply.sections[0].title.startswith("Needs review") and str(reply.sections[0].items[0]).startswith(f"#{stale} WP.SP1.1")


def test_status_chart_colours_cells_by_their_ratings(desk: Context, clock: Clock) -> None:
    say(desk, "group add Network")
    model = desk.model
    for p in Readiness.of(model, Snapshot.load(desk, desk.store, WS, None), Target(level=2)).practices:
        if p.pa == "SD":
            say(desk, f"rate {p.key} FI")
        if p.pa == "CM":
            say(desk, f"rate {p.key} NI --group Network")
        if p.pa == "MA":
            say(desk, f"rate {p.key} PI --group Network")
    reply = say(desk, "status ML2 --chart")
    [chart] = reply.attachments
    assert chart.media_type == "image/png" and chart.filename.endswith(".png")
    image = Image.open(io.BytesIO(chart.content))
    assert image.format == "PNG" and image.width >= 600
    layout = layout_heatmap(Readiness.of(model, Snapshot.load(desk, desk.store, WS, None), Target(level=2)), today=clock.now.date())
    assert image.size == (layout.width, layout.height)
    for pa, group, rating in (("SD", "Service Desk", "FI"), ("CM", "Network", "NI"), ("MA", "Network", "PI")):
        centre = layout.cell(pa, group).box.centre
        assert "".join(f"{v:02X}" for v in image.convert("RGB").getpixel(centre)) == palette.RATING_COLOURS[rating], (pa, group)
    assert reply.data["covered"] == 0 and reply.text.startswith("ML2")  # the text comes with the picture
    assert say(desk, "status ML2").attachments == ()  # no picture unless asked
    with pytest.raises(UserError, match="takes no value"):
        say(desk, "status ML2 --chart=no")


def test_digest_chart_is_stored_and_the_digest_names_the_oldest_evidence(desk: Context, clock: Clock) -> None:
    ids = [add(desk, f"WMC.SP1.{n}", 370 + 30 * n) for n in range(1, 8)]  # seven items to review; .7 is the oldest
    on = say(desk, "digest on monday 09:00 UTC --chart")
    assert "with the readiness chart" in on.text
    sub = desk.store.digests.subscription(workspace_id=WS, channel_id="C1")
    assert sub.chart is True
    scope = DigestScope(WS, None, 2, True, sub.chart)
    reply = build_digest(desk, desk.store, scope, clock.now - timedelta(days=7), clock.now)
    [chart] = reply.attachments
    assert chart.media_type == "image/png" and Image.open(io.BytesIO(chart.content)).width >= 600
    [stale] = [s for s in reply.sections if (s.title or "").startswith("Evidence past its review date")]
    assert stale.title == "Evidence past its review date: 7, the oldest 5"
    assert [str(i).split(" ", 1)[0] for i in stale.items] == [f"#{i}" for i in reversed(ids[2:])]
    say(desk, "digest on monday 09:00 UTC")  # without --chart: no picture
    assert desk.store.digests.subscription(workspace_id=WS, channel_id="C1").chart is False
    plain = build_digest(desk, desk.store, DigestScope(WS, None, 2, True), clock.now - timedelta(days=7), clock.now)
    assert plain.attachments == ()
