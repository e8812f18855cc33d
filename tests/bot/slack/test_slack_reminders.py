"""Evidence reminders and digest charts through Slack: the deliverer against the fake Web API, and run_due end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import slack_settings
from fake_slack import TEAM_ID, UPLOAD, FakeSlack
from slack_sdk.errors import SlackApiError

from bot.scheduler import OwnerGone, run_due
from bot.slack.app import build_client
from bot.slack.digests import SlackDeliverer
from bot.slack.reminders import EVENT_TYPE
from handlers import Attachment, Context, Reply, Request, Section, dispatch
from handlers.support.actions import permits
from index import ModelIndex
from model_data import Model
from store import Store, make_engine, sqlite_url, upgrade
from tests.conftest import Clock

pytestmark = pytest.mark.calendar  # also run with the clock a year ahead (make test-future)

WS = f"slack:{TEAM_ID}"
SLOT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday: the week's reminder slot
PERIOD = "2026-11-30T09:00Z"


@pytest.fixture
def fake(fake_slack: FakeSlack) -> FakeSlack:
    fake_slack.reset()
    return fake_slack


@pytest.fixture
def clock() -> Clock:
    return Clock(SLOT - timedelta(days=5))


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    engine = make_engine(sqlite_url(tmp_path / "reminders.db"))
    upgrade(engine)
    yield Store(engine, clock)
    engine.dispose()


@pytest.fixture
def store_ctx(model: Model, index: ModelIndex, store: Store) -> Context:
    return Context(model=model, index=index, store=store)


def deliverer(fake: FakeSlack) -> SlackDeliverer:
    return SlackDeliverer(build_client(slack_settings(fake.api_url)))


def say(ctx: Context, text: str, user: str) -> Reply:
    return dispatch(Request(text=text, user_id=user, workspace_id=WS, channel_id="C0WORK", transport="slack"), ctx)


def log_old(ctx: Context, user: str, key: str = "WMC.SP1.6") -> int:
    return say(ctx, f"evidence add {key} https://wiki.example.com/{user} minutes --group Desk --date 2025-01-10", user).data["evidence_id"]


REMINDER = Reply(
    text="Evidence to review: 1 past the review date",
    sections=(
        Section(title="Evidence to review", body="You logged evidence that needs a look."),
        Section(body="#7 WMC.SP1.6 · Desk: review was due 2026-01-10", actions=()),
    ),
)


def test_remind_sends_a_direct_message_with_metadata(fake: FakeSlack) -> None:
    ref = deliverer(fake).remind(WS, "U0ALICE", REMINDER, PERIOD)
    [info] = fake.calls("users.info")
    [opened] = fake.calls("conversations.open")
    [post] = fake.calls("chat.postMessage")
    assert info.body["user"] == "U0ALICE" and opened.body["users"] == "U0ALICE"
    assert post.body["channel"].startswith("D") and post.body["text"] == REMINDER.text
    assert post.body["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"period": PERIOD, "user": "U0ALICE"}}
    assert ref == f"{post.body['channel']}:{fake.messages[post.body['channel']][0]['ts']}"


def test_an_owner_who_left_raises_owner_gone_and_nothing_is_sent(fake: FakeSlack) -> None:
    fake.set_user("U0GONE", deleted=True)
    with pytest.raises(OwnerGone, match="deactivated"):
        deliverer(fake).remind(WS, "U0GONE", REMINDER, PERIOD)
    fake.refuse("users.info", "user_not_found")
    with pytest.raises(OwnerGone, match="user_not_found"):
        deliverer(fake).remind(WS, "U0UNKNOWN", REMINDER, PERIOD)
    fake.refuse("chat.postMessage", "account_inactive")
    with pytest.raises(OwnerGone, match="account_inactive"):
        deliverer(fake).remind(WS, "U0INACTIVE", REMINDER, PERIOD)
    assert fake.calls("chat.postMessage") == []


def test_other_errors_propagate_to_be_retried(fake: FakeSlack) -> None:
    fake.refuse("chat.postMessage", "fatal_error")
    with pytest.raises(SlackApiError):
        deliverer(fake).remind(WS, "U0BUSY", REMINDER, PERIOD)


def test_already_reminded_finds_only_this_owners_period(fake: FakeSlack) -> None:
    d = deliverer(fake)
    since = datetime(2023, 11, 1, tzinfo=UTC)  # before the fake's message timestamps (1700000000.x)
    d.remind(WS, "U0ALICE", REMINDER, "2026-11-23T09:00Z")  # last week's
    d.remind(WS, "U0BOB", REMINDER, PERIOD)  # someone else's
    assert d.already_reminded(WS, "U0ALICE", PERIOD, since) is None
    ref = d.remind(WS, "U0ALICE", REMINDER, PERIOD)
    assert d.already_reminded(WS, "U0ALICE", PERIOD, since) == ref
    assert d.already_reminded(WS, "U0ALICE", PERIOD, datetime(2030, 1, 1, tzinfo=UTC)) is None  # only since the slot


def test_run_due_reminds_each_slack_owner_once_with_working_buttons(fake: FakeSlack, store_ctx: Context, clock: Clock) -> None:
    say(store_ctx, "group add Desk", "U0ALICE")
    alice = log_old(store_ctx, "U0ALICE")
    log_old(store_ctx, "U0BOB", "WMC.SP1.1")
    fake.set_user("U0BOB", deleted=True)
    d = deliverer(fake)
    clock.now = SLOT + timedelta(minutes=3)
    report = run_due(store_ctx, store_ctx.store, {"slack": d}, clock.now)
    assert report.reminders == {"sent": 1, "owner gone": 1}
    assert run_due(store_ctx, store_ctx.store, {"slack": d}, clock.now + timedelta(hours=1)).reminders == {}
    [post] = fake.calls("chat.postMessage")
    assert post.body["channel"] == "D0ALICE"
    buttons = [e for b in post.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [
        ("Still valid", f"evidence renew {alice}"),
        ("Replace", f"evidence form {alice}"),
        ("Remove", f"evidence remove {alice}"),
    ]
    for b in buttons:  # what the actions listener checks before it runs a press
        kind = b["action_id"].split(":")[1]
        assert permits(kind, b["value"]), b
    record = store_ctx.store.reminders.record(workspace_id=WS, user_id="U0BOB", period=PERIOD)
    assert record.status == "skipped" and "deactivated" in record.detail


PNG = Attachment("cmmi-readiness-ML2-2026-11-30.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "ML2 readiness")


def test_a_digest_with_a_chart_posts_then_uploads_it_in_the_digests_thread(fake: FakeSlack, store: Store) -> None:
    sub = store.digests.subscribe(
        workspace_id=WS,
        channel_id="C0DIGEST",
        transport="slack",
        weekday=0,
        local_time="09:00",
        timezone="UTC",
        group_id=None,
        level=2,
        quiet_full=True,
        address=None,
        actor="U0",
        chart=True,
    )
    reply = Reply(text="Weekly CMMI digest", sections=(Section(title="Weekly CMMI digest", body="..."),), attachments=(PNG,))
    ts = deliverer(fake).deliver(sub, reply, PERIOD)
    [post] = fake.calls("chat.postMessage")
    assert post.body["metadata"]["event_type"] == "cmmi_digest"  # the digest itself, findable after a crash
    [upload] = fake.uploaded()
    assert upload["content"] == PNG.content and upload["filename"] == PNG.filename and upload["channel"] == "C0DIGEST"
    [complete] = fake.calls("files.completeUploadExternal")
    assert complete.body["thread_ts"] == ts


def test_a_failed_chart_upload_never_fails_the_digest(fake: FakeSlack, store: Store) -> None:
    sub = store.digests.subscribe(
        workspace_id=WS,
        channel_id="C0DIGEST",
        transport="slack",
        weekday=0,
        local_time="09:00",
        timezone="UTC",
        group_id=None,
        level=2,
        quiet_full=True,
        address=None,
        actor="U0",
        chart=True,
    )
    fake.refuse("files.getUploadURLExternal", "not_allowed_token_type")
    reply = Reply(text="Weekly CMMI digest", attachments=(PNG,))
    assert deliverer(fake).deliver(sub, reply, PERIOD)  # posted: a retry would post the digest twice
    assert len(fake.calls("chat.postMessage")) == 1 and fake.calls(UPLOAD) == []
