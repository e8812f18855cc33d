"""Weekly digests through Slack: the deliverer against the fake Web API, run_due end to end, and the scheduler inside serve."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import slack_settings
from fake_slack import TEAM_ID, FakeSlack
from slack_sdk.errors import SlackApiError
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot import server as bot_server
from bot.scheduler import STALE_CLAIM, ChannelGone, run_due
from bot.settings import ConfigError, load_settings
from bot.slack import server
from bot.slack.app import build_client
from bot.slack.digests import EVENT_TYPE, SlackDeliverer, slack_deliverer
from bot.wiring import Runtime, build_deliverers
from handlers import Context, Reply, Section
from index import ModelIndex
from model_data import Model
from store import Store, make_engine, sqlite_url, upgrade

pytestmark = pytest.mark.calendar  # also run with the clock a year ahead (make test-future)

SLOT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(SLOT - timedelta(days=3))


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    engine = make_engine(sqlite_url(tmp_path / "digests.db"))
    upgrade(engine)
    yield Store(engine, clock)
    engine.dispose()


@pytest.fixture
def store_ctx(model: Model, index: ModelIndex, store: Store) -> Context:
    return Context(model=model, index=index, store=store)


@pytest.fixture
def fake(fake_slack: FakeSlack) -> FakeSlack:
    fake_slack.reset()
    return fake_slack


def deliverer(fake: FakeSlack) -> SlackDeliverer:
    return SlackDeliverer(build_client(slack_settings(fake.api_url)))


def subscribe(store: Store, channel: str, weekday: int = 0, local_time: str = "09:00"):
    return store.digests.subscribe(
        workspace_id=f"slack:{TEAM_ID}",
        channel_id=channel,
        transport="slack",
        weekday=weekday,
        local_time=local_time,
        timezone="UTC",
        group_id=None,
        level=2,
        quiet_full=True,
        address=None,
        actor="U0ALICE",
    )


REPLY = Reply(text="Weekly CMMI digest: ML2 evidence 0/10", sections=(Section(title="Weekly CMMI digest", body="Nothing changed."),))


def test_deliver_posts_block_kit_with_metadata_and_returns_the_ts(fake: FakeSlack, store: Store) -> None:
    sub = subscribe(store, "C0DIGEST")
    ts = deliverer(fake).deliver(sub, REPLY, "2026-11-30T09:00Z")
    [post] = fake.calls("chat.postMessage")
    assert post.body["channel"] == "C0DIGEST" and post.body["text"] == REPLY.text
    assert post.body["blocks"][0]["type"] == "header"
    assert post.body["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"period": "2026-11-30T09:00Z", "subscription_id": sub.id}}
    assert ts and ts == fake.messages["C0DIGEST"][0]["ts"]


@pytest.mark.parametrize("error", ["is_archived", "channel_not_found", "not_in_channel", "restricted_action"])
def test_a_channel_the_bot_cannot_post_to_raises_channel_gone(fake: FakeSlack, store: Store, error: str) -> None:
    sub = subscribe(store, "C0GONE")
    fake.refuse("chat.postMessage", error)
    with pytest.raises(ChannelGone, match=error):
        deliverer(fake).deliver(sub, REPLY, "p")


def test_other_errors_propagate_to_be_retried(fake: FakeSlack, store: Store) -> None:
    sub = subscribe(store, "C0BUSY")
    fake.refuse("chat.postMessage", "fatal_error")
    with pytest.raises(SlackApiError):
        deliverer(fake).deliver(sub, REPLY, "p")


def test_already_delivered_finds_only_this_subscriptions_period(fake: FakeSlack, store: Store) -> None:
    sub, other = subscribe(store, "C0HIST"), subscribe(store, "C0ELSE")
    since = SLOT
    ts = f"{(SLOT + timedelta(minutes=1)).timestamp():.6f}"
    fake.add_message("C0HIST", f"{(SLOT - timedelta(days=7)).timestamp():.6f}", metadata=_meta("P", sub.id))  # older than since
    fake.add_message("C0HIST", f"{(SLOT + timedelta(seconds=10)).timestamp():.6f}", metadata=_meta("OTHER", sub.id))
    fake.add_message("C0HIST", f"{(SLOT + timedelta(seconds=20)).timestamp():.6f}", metadata=_meta("P", other.id))
    d = deliverer(fake)
    assert d.already_delivered(sub, "P", since) is None
    fake.add_message("C0HIST", ts, metadata=_meta("P", sub.id))
    assert d.already_delivered(sub, "P", since) == ts
    assert all(c.body["include_all_metadata"] in (True, "1", "true") for c in fake.calls("conversations.history"))


def _meta(period: str, sub_id: int) -> dict:
    return {"event_type": EVENT_TYPE, "event_payload": {"period": period, "subscription_id": sub_id}}


def test_run_due_through_slack_posts_each_due_digest_exactly_once(fake: FakeSlack, store: Store, store_ctx: Context, clock: Clock) -> None:
    channels = [f"C0RUN{n}" for n in range(4)]
    for channel in channels:
        subscribe(store, channel)
    subscribe(store, "C0TUESDAY", weekday=1)  # not due yet
    now = SLOT + timedelta(minutes=2)
    clock.now = now
    d = deliverer(fake)
    threads = [threading.Thread(target=run_due, args=(store_ctx, store, {"slack": d}, now, f"w{i}")) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    run_due(store_ctx, store, {"slack": d}, now + timedelta(minutes=5))
    posts = fake.calls("chat.postMessage")
    assert sorted(p.body["channel"] for p in posts) == channels
    assert all(p.body["metadata"]["event_type"] == EVENT_TYPE for p in posts)


def test_archived_channel_disables_its_subscription_and_not_the_others(
    fake: FakeSlack, store: Store, store_ctx: Context, clock: Clock
) -> None:
    gone, ok = subscribe(store, "C0ARCHIVED"), subscribe(store, "C0OPEN")
    clock.now = SLOT + timedelta(minutes=1)
    fake.refuse("chat.postMessage", "is_archived")  # the first post: subscriptions go in id order
    report = run_due(store_ctx, store, {"slack": deliverer(fake)}, clock.now)
    assert report.outcomes["disabled"] == 1 and report.outcomes["sent"] == 1
    assert [p.body["channel"] for p in fake.calls("chat.postMessage")] == ["C0OPEN"]
    assert {s.id for s in store.digests.active_subscriptions()} == {ok.id} and gone.id != ok.id


def test_a_crash_after_posting_is_recovered_without_posting_again(fake: FakeSlack, store: Store, store_ctx: Context, clock: Clock) -> None:
    sub = subscribe(store, "C0CRASH")
    clock.now = SLOT + timedelta(minutes=1)
    claim = store.digests.claim(
        subscription_id=sub.id, period="2026-11-30T09:00Z", worker="crashed-worker", late=False, stale_after=STALE_CLAIM
    )
    assert claim is not None
    # the crashed worker posted (with metadata) but never marked the claim sent
    fake.add_message("C0CRASH", f"{(SLOT + timedelta(minutes=1)).timestamp():.6f}", metadata=_meta(claim.period, sub.id))
    clock.now = SLOT + STALE_CLAIM + timedelta(minutes=5)
    report = run_due(store_ctx, store, {"slack": deliverer(fake)}, clock.now)
    assert report.outcomes["recovered"] == 1
    assert fake.calls("chat.postMessage") == []


def test_slack_deliverer_is_none_without_slack_settings(fake: FakeSlack) -> None:
    assert slack_deliverer(load_settings({})) is None
    assert isinstance(slack_deliverer(slack_settings(fake.api_url)), SlackDeliverer)


def test_serve_runs_the_scheduler_serves_extra_routes_and_stops_both(
    fake: FakeSlack, store: Store, store_ctx: Context, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    clock.now = started - timedelta(days=2)
    sub = store.digests.subscribe(
        workspace_id=f"slack:{TEAM_ID}",
        channel_id="C0SERVE",
        transport="slack",
        weekday=started.weekday(),
        local_time=started.strftime("%H:%M"),
        timezone="UTC",
        group_id=None,
        level=2,
        quiet_full=True,
        address=None,
        actor="U0",
    )
    clock.now = datetime.now(UTC)
    servers = []
    real_http_server = bot_server.http_server

    def capture(app, host, port, **options):
        servers.append(real_http_server(app, host, port, **options))
        return servers[-1]

    monkeypatch.setattr(bot_server, "http_server", capture)

    async def extra(request):
        return PlainTextResponse("extra ok")

    settings = slack_settings(fake.api_url, CMMI_HTTP_HOST="127.0.0.1", CMMI_HTTP_PORT="0", CMMI_DIGEST_CHECK_SECONDS="0.2")
    other = []

    class Other:
        def deliver(self, sub, reply, period):
            other.append(period)
            return "x"

        def already_delivered(self, sub, period, since):
            return None

    runtime = Runtime(settings, store_ctx, {**build_deliverers(settings, store_ctx), "teams": Other()})
    result = []
    thread = threading.Thread(target=lambda: result.append(bot_server.serve(runtime, [Route("/extra", extra)])), daemon=True)
    thread.start()
    try:
        [post] = fake.wait_for("chat.postMessage", timeout=15)
        assert post.body["channel"] == "C0SERVE" and post.body["metadata"]["event_payload"]["subscription_id"] == sub.id
        assert any(t.name == "cmmi-digests" and t.is_alive() for t in threading.enumerate())
        deadline = time.monotonic() + 10
        while not (servers and servers[0].started) and time.monotonic() < deadline:
            time.sleep(0.02)
        port = servers[0].servers[0].sockets[0].getsockname()[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/extra", timeout=5) as response:
            assert response.read() == b"extra ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.read() == b"ok"
    finally:
        if servers:
            servers[0].should_exit = True
        thread.join(timeout=30)
    assert result == [0]
    assert not any(t.name == "cmmi-digests" and t.is_alive() for t in threading.enumerate())
    fake.quiet_for(0.5)
    assert len(fake.calls("chat.postMessage")) == 1  # the scheduler kept running every 0.2 s, and sent the week's digest once


def test_the_digest_check_setting_is_validated_and_zero_turns_it_off(store_ctx: Context, fake: FakeSlack) -> None:
    assert bot_server.start_scheduler(slack_settings(fake.api_url, CMMI_DIGEST_CHECK_SECONDS="0"), store_ctx, {}) is None
    for bad in ("soon", "-1", "nan"):
        with pytest.raises(ConfigError, match="CMMI_DIGEST_CHECK_SECONDS"):
            server.check_settings(slack_settings(fake.api_url, CMMI_DIGEST_CHECK_SECONDS=bad))
