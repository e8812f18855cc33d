"""The digest command and what a digest says in a quiet week and a busy one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from handlers import Context, Reply, Request, UserError, dispatch, plain
from handlers.digest import DigestScope, build_digest
from store.schema import AuditEntry, DigestSubscription
from tests.conftest import Clock

pytestmark = pytest.mark.calendar  # also run with the clock a year ahead (make test-future)


def say(ctx: Context, text: str, channel: str = "C1", user: str = "U1", tz: str | None = None) -> Reply:
    return dispatch(Request(text=text, user_id=user, workspace_id="W1", channel_id=channel, transport="test", timezone=tz), ctx)


def flat(reply: Reply) -> str:
    parts = [reply.text]
    for s in reply.sections:
        parts += [s.title or "", plain(s.body), s.note or "", *(f"{n}: {plain(v)}" for n, v in s.fields), *map(plain, s.items)]
    return "\n".join(parts)


def test_subscribe_show_and_off(db_ctx: Context) -> None:
    assert "no weekly digest" in say(db_ctx, "digest").sections[0].body
    on = say(db_ctx, "digest on", tz="Europe/Berlin")
    assert "Mondays at 09:00 Europe/Berlin" in on.text and "ML3" in on.text
    say(db_ctx, "group add Desk")
    again = say(db_ctx, "digest on fri 16:30 America/New_York --group Desk --level ml2 --full")
    assert "Fridays at 16:30 America/New_York for Desk, ML2 (full report even in quiet weeks)" in again.text
    assert "Fridays at 16:30" in say(db_ctx, "digest").text
    assert "turned off" in say(db_ctx, "digest off").text
    with pytest.raises(UserError, match="no weekly digest to turn off"):
        say(db_ctx, "digest off")


def test_a_flag_alone_means_digest_on_with_it(db_ctx: Context) -> None:
    """'digest --chart' reads as 'digest on --chart': the flag is kept, not dropped with the verb it stands for."""
    assert "one line in quiet weeks, with the readiness chart" in say(db_ctx, "digest --chart").text
    assert "full report even in quiet weeks, with the readiness chart" in say(db_ctx, "digest --FULL --chart").text
    assert "full report even in quiet weeks)" in say(db_ctx, "digest --full monday").text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("digest on 25:00", "not a day, a time"),
        ("digest on monday Mars/Olympus", "not a time zone"),
        ("digest on --level ML9", "--level must be"),
        ("digest on --group Nobody", 'no work group "Nobody"'),
        ("digest sometimes", "Use: digest on"),
    ],
)
def test_bad_digest_input(db_ctx: Context, text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        say(db_ctx, text)
    assert db_ctx.store.digests.subscription(workspace_id="W1", channel_id="C1") is None


def test_quiet_week_is_one_line(db_ctx: Context, clock: Clock) -> None:
    say(db_ctx, "group add Desk")
    say(db_ctx, "group use Desk")
    say(db_ctx, "evidence add WMC.SP1.6 old minutes")
    clock.advance(days=10)
    end = clock.now
    reply = build_digest(db_ctx, db_ctx.store, DigestScope("W1", None, 2, False), end - timedelta(days=7), end)
    assert reply.data["quiet"] and reply.data["change"] == 0
    assert len(reply.sections) == 1 and reply.sections[0].body.startswith("No changes this week.")
    full = build_digest(db_ctx, db_ctx.store, DigestScope("W1", None, 2, True), end - timedelta(days=7), end)
    assert len(full.sections) > 1 and "No changes this week." in flat(full)


def test_busy_week_reports_changes_coverage_gaps_and_stale(db_ctx: Context, clock: Clock) -> None:
    say(db_ctx, "group add Desk")
    say(db_ctx, "group use Desk")
    say(db_ctx, "evidence add WMC.SP1.1 last month's report --date 2025-06-01")  # dated more than a year back
    clock.advance(days=7)
    start = clock.now
    clock.advance(hours=1)
    for key in ("WMC.SP1.6", "WMC.SP1.7", "REQM.SP1.1"):
        say(db_ctx, f"evidence add {key} https://wiki.example.com/{key}", user="alice")
    removed = say(db_ctx, "evidence add CM.SP1.1 wrong one", user="bob").data["evidence_id"]
    say(db_ctx, f"evidence remove {removed}", user="bob")
    say(db_ctx, "rate WMC.SP1.6 LI", user="carol")
    end = start + timedelta(days=7)
    reply = build_digest(db_ctx, db_ctx.store, DigestScope("W1", None, 2, False), start, end)
    text = flat(reply)
    assert "4 evidence added, 1 removed, 1 rating(s) given by 3 contributor(s): alice, bob, carol" in text
    assert reply.data["change"] == 3  # three more practices with evidence than at the start of the week
    assert "ML2 evidence 4/" in text and "+3 since last week" in text
    assert "Top gaps" in text and "Next step: log evidence for" in text
    assert reply.data["stale"] == 1 and "Evidence past its review date: 1" in text
    assert "#1 WMC.SP1.1 · Desk: review was due 2026-06-01 (dated 2025-06-01)" in text  # the oldest items, by number
    assert reply.in_channel


def test_preview_is_private_and_now_posts(db_ctx: Context) -> None:
    say(db_ctx, "digest on")
    assert not say(db_ctx, "digest preview").in_channel
    assert say(db_ctx, "digest now").in_channel


def test_scoped_to_workspace(db_ctx: Context) -> None:
    say(db_ctx, "digest on")
    other = dispatch(Request(text="digest", workspace_id="W2", channel_id="C1"), db_ctx)
    assert "no weekly digest" in other.sections[0].body


def digest_audit(ctx: Context) -> list[tuple[str, str, str, dict | None, dict | None]]:
    with ctx.store.engine.connect() as c:
        rows = c.execute(
            select(AuditEntry.workspace_id, AuditEntry.actor, AuditEntry.action, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.entity == "digest_subscription")
            .order_by(AuditEntry.id)
        )
        return [tuple(r) for r in rows]


def test_digest_on_and_off_are_audited(db_ctx: Context, clock: Clock) -> None:
    say(db_ctx, "group add Desk")
    say(db_ctx, "digest on friday 16:30 Europe/Berlin", user="alice")
    ws, actor, action, before, after = digest_audit(db_ctx)[0]
    assert (ws, actor, action, before) == ("W1", "alice", "digest.subscribe", None)
    assert after == {
        "channel": "C1", "transport": "test", "weekday": 4, "time": "16:30", "timezone": "Europe/Berlin", "group_id": None,
        "level": 3, "full": False, "enabled": True, "reason": None, "chart": False,
    }  # fmt: skip
    clock.advance(minutes=1)
    say(db_ctx, "digest on friday 16:30 Europe/Berlin", user="bob")  # nothing changes: nothing to audit
    say(db_ctx, "digest on monday 09:00 UTC --group Desk", user="bob")
    with pytest.raises(UserError):
        say(db_ctx, "digest on --level ML9", user="carol")  # refused: no change, no audit row
    say_off = say(db_ctx, "digest off", user="dave")
    assert "turned off" in say_off.text
    trail = digest_audit(db_ctx)
    assert [(a[1], a[2]) for a in trail] == [
        ("alice", "digest.subscribe"),
        ("bob", "digest.subscribe"),
        ("dave", "digest.unsubscribe"),
    ]
    changed_before, changed_after = trail[1][3], trail[1][4]
    assert (changed_before["weekday"], changed_before["time"], changed_before["timezone"]) == (4, "16:30", "Europe/Berlin")
    assert (changed_after["weekday"], changed_after["time"], changed_after["timezone"]) == (0, "09:00", "UTC")
    assert changed_after["group_id"] == db_ctx.store.groups.find(workspace_id="W1", name="Desk").id
    assert trail[2][3] == changed_after and trail[2][4] is None


def test_resuming_a_paused_digest_is_audited(db_ctx: Context) -> None:
    sub = say(db_ctx, "digest on monday 09:00 UTC").data["subscription_id"]
    assert db_ctx.store.digests.disable_subscription(subscription_id=sub, reason="the bot can no longer post here (channel_not_found)")
    assert not db_ctx.store.digests.disable_subscription(
        subscription_id=sub, reason="again"
    )  # already paused: nothing changes, nothing recorded
    say(db_ctx, "digest on monday 09:00 UTC", user="U2")
    actions = [(a[1], a[2], (a[3] or {}).get("enabled"), (a[4] or {}).get("enabled")) for a in digest_audit(db_ctx)]
    assert actions == [
        ("U1", "digest.subscribe", None, True),
        ("cmmi-bot", "digest.pause", True, False),
        ("U2", "digest.subscribe", False, True),
    ]
    assert digest_audit(db_ctx)[1][4]["reason"] == "the bot can no longer post here (channel_not_found)"


def test_digest_on_names_the_nights_the_clocks_skip_or_repeat_its_time(db_ctx: Context, clock: Clock) -> None:
    clock.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    skipped = say(db_ctx, "digest on sunday 02:30 Europe/Berlin").text
    assert "On 29 Mar 2026 the clocks skip 02:30" in skipped and "On 25 Oct 2026 02:30 happens twice" in skipped
    assert "Next: Sun 2026-03-01 02:30" not in skipped and "Next: Sun 2026-03-08 02:30 CET" in skipped
    plain = say(db_ctx, "digest on monday 09:00 Europe/Berlin").text
    assert "clocks" not in plain and "twice" not in plain


def test_a_paused_digest_with_an_unknown_zone_still_shows(db_ctx: Context) -> None:
    say(db_ctx, "digest on monday 09:00 UTC")
    with db_ctx.store.engine.begin() as c:  # saved by a replica whose time zone data is newer
        c.execute(
            update(DigestSubscription).values(
                timezone="Mars/Base", enabled=False, disabled_reason="the time zone Mars/Base is not known to this server"
            )
        )
    shown = say(db_ctx, "digest").text
    assert "Mondays at 09:00 Mars/Base" in shown and "It is paused: the time zone Mars/Base is not known to this server." in shown
