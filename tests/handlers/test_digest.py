"""The digest command and what a digest says in a quiet week and a busy one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers import Context, Reply, Request, UserError, dispatch
from handlers.digest import DigestScope, build_digest
from tests.conftest import Clock

pytestmark = pytest.mark.calendar  # also run with the clock a year ahead (make test-future)


def say(ctx: Context, text: str, channel: str = "C1", user: str = "U1", tz: str | None = None) -> Reply:
    return dispatch(Request(text=text, user_id=user, workspace_id="W1", channel_id=channel, transport="test", timezone=tz), ctx)


def flat(reply: Reply) -> str:
    parts = [reply.text]
    for s in reply.sections:
        parts += [s.title or "", s.body, s.note or "", *(f"{n}: {v}" for n, v in s.fields), *s.items]
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
    assert db_ctx.store.subscription("W1", "C1") is None


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
    assert reply.data["stale"] == 1 and "Evidence more than a year old: 1" in text
    assert reply.in_channel


def test_preview_is_private_and_now_posts(db_ctx: Context) -> None:
    say(db_ctx, "digest on")
    assert not say(db_ctx, "digest preview").in_channel
    assert say(db_ctx, "digest now").in_channel


def test_scoped_to_workspace(db_ctx: Context) -> None:
    say(db_ctx, "digest on")
    other = dispatch(Request(text="digest", workspace_id="W2", channel_id="C1"), db_ctx)
    assert "no weekly digest" in other.sections[0].body
