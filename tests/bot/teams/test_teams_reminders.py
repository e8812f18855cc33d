"""Weekly evidence reminders through Teams, over real HTTP against the fake connector: the owner's personal chat is opened
and gets a card with Still valid / Replace / Remove, once per owner per week; an owner Teams will not open a chat with is
skipped and recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.scheduler import OwnerGone, ReminderDeliverer, run_due
from bot.teams.digests import TeamsDeliverer, teams_deliverer
from bot.teams.render import CARD_CONTENT_TYPE, DATA_KEY
from bot.teams.sdk import new_app
from bot.wiring import build_deliverers
from handlers import Action, Context, Reply, Section
from handlers.support.actions import Kind, permits
from tests.bot.teams.conftest import BOT_ID, SDK_WARNINGS, TENANT, TeamsSender, teams_settings
from tests.bot.teams.fake_connector import FakeConnector
from tests.conftest import Clock

pytestmark = [*SDK_WARNINGS, pytest.mark.calendar]

WS = f"teams:{TENANT}"
SLOT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the Monday after the clock's Tuesday: the week's reminder slot
PERIOD = "2026-11-30T09:00Z"
UNREACHABLE = "http://127.0.0.1:9/"  # nothing listens there: a reminder sent to it would fail

REMINDER = Reply(
    text="Evidence to review: 1 past the review date",
    sections=(
        Section(title="Evidence to review", body="You logged evidence that needs a look."),
        Section(body="#7 WMC.SP1.6 · Desk: review was due 2026-01-10", actions=(Action(Kind.RENEW, "Still valid", "evidence renew 7"),)),
    ),
)


@pytest.fixture
def deliverer(connector: FakeConnector) -> Iterator[TeamsDeliverer]:
    connector.reset()
    made = TeamsDeliverer(new_app(teams_settings(CMMI_TEAMS_NO_AUTH="1")), service_url=connector.service_url, bot_id=BOT_ID)
    yield made
    made.close()


def buttons(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Submit in a message's cards, in order."""
    found: list[dict[str, Any]] = []
    stack: list[Any] = [a["content"] for a in body.get("attachments") or [] if a["contentType"] == CARD_CONTENT_TYPE]
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            if item.get("type") == "Action.Submit":
                found.append(item)
            stack[:0] = list(item.values())
        elif isinstance(item, list):
            stack[:0] = item
    return found


def test_the_teams_deliverer_sends_reminders(ctx: Context) -> None:
    made = teams_deliverer(teams_settings(CLIENT_ID="app-id", CLIENT_SECRET="secret"))
    assert isinstance(made, TeamsDeliverer) and isinstance(made, ReminderDeliverer)
    assert made.bot_id == "28:app-id"
    made.close()
    wired = build_deliverers(teams_settings(CMMI_TEAMS_NO_AUTH="1"), ctx)["teams"]  # what serve and digest run-due use
    assert isinstance(wired, TeamsDeliverer) and isinstance(wired, ReminderDeliverer)
    wired.close()


def test_remind_opens_the_owners_personal_chat_and_posts_the_card(deliverer: TeamsDeliverer, connector: FakeConnector) -> None:
    ref = deliverer.remind(WS, "aad-alice", REMINDER, PERIOD)
    [opened] = connector.conversations()
    assert opened["members"] == [{"id": "aad-alice"}]
    assert opened["tenantId"] == TENANT and opened["channelData"] == {"tenant": {"id": TENANT}}
    [post] = connector.wait_for(1)
    assert post.conversation_id == "a:personal-aad-alice"
    assert post.body["from"]["id"] == BOT_ID
    assert [b["title"] for b in buttons(post.body)] == ["Still valid"]
    assert buttons(post.body)[0]["data"][DATA_KEY] == {"kind": str(Kind.RENEW), "command": "evidence renew 7"}
    assert ref is not None and ref.startswith("teams:a:personal-aad-alice:") and ref != "teams:a:personal-aad-alice:"
    assert deliverer.already_reminded(WS, "aad-alice", PERIOD, SLOT) is None


def test_an_owner_teams_will_not_open_a_chat_with_is_gone(deliverer: TeamsDeliverer, connector: FakeConnector) -> None:
    connector.departed.add("aad-gone")
    with pytest.raises(OwnerGone, match="403"):
        deliverer.remind(WS, "aad-gone", REMINDER, PERIOD)
    connector.fail_next(404, "ConversationNotFound")
    with pytest.raises(OwnerGone, match="ConversationNotFound"):
        deliverer.remind(WS, "aad-alice", REMINDER, PERIOD)
    assert connector.posted() == []


def test_other_failures_are_retried(deliverer: TeamsDeliverer, connector: FakeConnector) -> None:
    connector.fail_next(500, "InternalError")
    with pytest.raises(httpx.HTTPStatusError):
        deliverer.remind(WS, "aad-alice", REMINDER, PERIOD)


def test_run_due_reminds_each_teams_owner_once_a_week_with_working_buttons(
    db_ctx: Context, serve_teams_with, connector: FakeConnector, clock: Clock
) -> None:
    teams: TeamsSender = serve_teams_with(db_ctx)
    said = [
        teams.activity("group add Service Desk"),
        teams.activity('evidence add WMC.SP1.6 https://wiki.example.com/a minutes --group "Service Desk" --date 2025-01-10'),
        teams.activity(
            'evidence add WMC.SP1.1 https://wiki.example.com/b plan --group "Service Desk" --date 2025-01-10', user="29:bob", aad="aad-bob"
        ),
        # A channel's digest subscription: its stored conversation reference says where the tenant's service is.
        teams.activity("<at>cmmi</at> digest on monday 09:00 UTC", personal=False, mention=True),
    ]
    for n, activity in enumerate(said, 1):
        teams.post(activity)
        connector.wait_for(n)
    connector.reset()
    connector.departed.add("aad-bob")  # bob has left the tenant
    # No service URL of its own that works: the reminder can only reach the fake through the stored reference.
    deliverer = TeamsDeliverer(new_app(teams_settings(CMMI_TEAMS_NO_AUTH="1")), db_ctx.store, service_url=UNREACHABLE)
    try:
        clock.now = SLOT + timedelta(minutes=3)
        report = run_due(db_ctx, db_ctx.store, {"teams": deliverer}, clock.now)
        assert report.reminders == {"sent": 1, "owner gone": 1}, report
        assert run_due(db_ctx, db_ctx.store, {"teams": deliverer}, clock.now + timedelta(hours=1)).reminders == {}
        assert run_due(db_ctx, db_ctx.store, {"teams": deliverer}, clock.now + timedelta(days=2)).reminders == {}
    finally:
        deliverer.close()
    reminders = [p for p in connector.posted() if p.conversation_id.startswith("a:personal-")]
    [post] = reminders
    assert post.conversation_id == "a:personal-aad-alice"
    assert [c["members"] for c in connector.conversations()] == [[{"id": "aad-alice"}]]
    pressed = [(b["title"], b["data"][DATA_KEY]) for b in buttons(post.body)]
    assert [(title, data["command"].split()[:2]) for title, data in pressed] == [
        ("Still valid", ["evidence", "renew"]),
        ("Replace", ["evidence", "form"]),
        ("Remove", ["evidence", "remove"]),
    ]
    assert all(permits(data["kind"], data["command"]) for _, data in pressed)  # what the message listener checks
    record = db_ctx.store.reminders.record(workspace_id=WS, user_id="aad-bob", period=PERIOD)
    assert record is not None and record.status == "skipped" and "403" in (record.detail or "")
    sent = db_ctx.store.reminders.record(workspace_id=WS, user_id="aad-alice", period=PERIOD)
    assert sent is not None and sent.status == "sent"
