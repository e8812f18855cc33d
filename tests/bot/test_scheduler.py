"""Weekly digests: due exactly once per week, whatever runs them, crashes or clocks do."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler import STALE_CLAIM, ChannelGone, run_due
from handlers import Context, Reply, Request, dispatch
from handlers.schedule import Weekly
from store import Subscription
from tests.conftest import Clock

pytestmark = pytest.mark.calendar  # also run with the clock a year ahead (make test-future)

MONDAY_0905 = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)  # 09:00 UTC digests are due
SUBSCRIBED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # after the 23 Nov slot: 30 Nov is the first


class Recorder:
    """A deliverer that records what it posted; it can be told a channel is gone or flaky."""

    def __init__(self, gone: set[str] = frozenset(), flaky: set[str] = frozenset()) -> None:
        self.posts: list[tuple[str, str, Reply]] = []
        self.gone, self.flaky = set(gone), set(flaky)
        self.lock = threading.Lock()
        self.delivered_before: dict[tuple[str, str], str] = {}

    def deliver(self, sub: Subscription, reply: Reply, period: str) -> str | None:
        if sub.channel_id in self.gone:
            raise ChannelGone("channel_not_found")
        if sub.channel_id in self.flaky:
            self.flaky.discard(sub.channel_id)
            raise ConnectionError("connection reset")
        with self.lock:
            self.posts.append((sub.channel_id, period, reply))
        return f"ts-{len(self.posts)}"

    def already_delivered(self, sub: Subscription, period: str, since: datetime) -> str | None:
        return self.delivered_before.get((sub.channel_id, period))


def say(ctx: Context, text: str, channel: str = "C1", tz: str | None = None) -> Reply:
    return dispatch(Request(text=text, user_id="U1", workspace_id="W1", channel_id=channel, transport="test", timezone=tz), ctx)


def subscribe(ctx: Context, clock: Clock, channels: list[str], spec: str = "") -> None:
    clock.now = SUBSCRIBED
    for channel in channels:
        say(ctx, f"digest on monday 09:00 UTC {spec}".strip(), channel=channel)


def run(ctx: Context, clock: Clock, now: datetime, recorder: Recorder, worker: str | None = None):
    clock.now = now
    return run_due(ctx, ctx.store, {"test": recorder}, now, worker)


def test_due_once_per_week(db_ctx: Context, clock: Clock) -> None:
    subscribe(db_ctx, clock, ["C1", "C2"])
    recorder = Recorder()
    assert run(db_ctx, clock, MONDAY_0905 - timedelta(minutes=10), recorder).outcomes == {}  # not yet 09:00
    report = run(db_ctx, clock, MONDAY_0905, recorder)
    assert report.outcomes == {"sent": 2}
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(hours=3), recorder).outcomes == {}
    assert sorted(c for c, _, _ in recorder.posts) == ["C1", "C2"]
    run(db_ctx, clock, MONDAY_0905 + timedelta(days=7), recorder)
    assert len(recorder.posts) == 4


def test_concurrent_runs_in_threads_send_once(db_ctx: Context, clock: Clock) -> None:
    channels = [f"C{n}" for n in range(25)]
    subscribe(db_ctx, clock, channels)
    clock.now = MONDAY_0905
    recorder = Recorder()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            run_due(db_ctx, db_ctx.store, {"test": recorder}, MONDAY_0905, f"worker-{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(c for c, _, _ in recorder.posts) == sorted(channels)


def test_concurrent_processes_send_once(db_url: str, model, tmp_path: Path) -> None:
    env = {**os.environ, "CMMI_DATABASE_URL": db_url, "XDG_DATA_HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "bot"]
    root = Path(__file__).parents[2]
    for n in range(12):
        subprocess.run(
            # The same injected clock as run-due below: subscribed on the Wednesday before the slot.
            [*cli, "say", "--channel", f"P{n}", "--now", SUBSCRIBED.isoformat(), "digest on monday 09:00 UTC"],
            env=env,
            cwd=root,
            check=True,
            capture_output=True,
            timeout=60,
        )
    procs = [
        subprocess.Popen(
            [*cli, "digest", "run-due", "--now", MONDAY_0905.isoformat()],
            env=env,
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    printed = [line for out, _ in outputs for line in out.splitlines() if line.startswith("[digest for ")]
    assert sorted(printed) == sorted(f"[digest for P{n} · 2026-11-30T09:00Z]" for n in range(12))


def test_crash_between_claim_and_send_is_recovered_once(db_ctx: Context, clock: Clock) -> None:
    subscribe(db_ctx, clock, ["C1"])
    sub = db_ctx.store.subscription("W1", "C1")
    clock.now = MONDAY_0905
    claim = db_ctx.store.claim(sub.id, "2026-11-30T09:00Z", "crashed-worker", False, STALE_CLAIM)
    assert claim is not None  # ...and then the process died
    recorder = Recorder()
    assert run(db_ctx, clock, MONDAY_0905 + STALE_CLAIM / 2, recorder).outcomes == {"taken by another": 1}
    assert recorder.posts == []
    report = run(db_ctx, clock, MONDAY_0905 + STALE_CLAIM + timedelta(minutes=1), recorder)
    assert report.outcomes == {"sent late": 1} and len(recorder.posts) == 1  # 16 minutes after its slot
    delivery = db_ctx.store.delivery(sub.id, "2026-11-30T09:00Z")
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(hours=1), recorder).outcomes == {}


def test_crash_after_posting_is_not_posted_twice(db_ctx: Context, clock: Clock) -> None:
    subscribe(db_ctx, clock, ["C1"])
    sub = db_ctx.store.subscription("W1", "C1")
    clock.now = MONDAY_0905
    db_ctx.store.claim(sub.id, "2026-11-30T09:00Z", "crashed-worker", False, STALE_CLAIM)
    recorder = Recorder()
    recorder.delivered_before[("C1", "2026-11-30T09:00Z")] = "ts-from-the-crashed-worker"
    report = run(db_ctx, clock, MONDAY_0905 + STALE_CLAIM * 2, recorder)
    assert report.outcomes == {"recovered": 1} and recorder.posts == []
    assert db_ctx.store.delivery(sub.id, "2026-11-30T09:00Z").message_ref == "ts-from-the-crashed-worker"


def test_transient_failure_is_retried_next_run(db_ctx: Context, clock: Clock) -> None:
    subscribe(db_ctx, clock, ["C1", "C2"])
    recorder = Recorder(flaky={"C1"})
    assert run(db_ctx, clock, MONDAY_0905, recorder).outcomes == {"sent": 1, "retry": 1}
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(minutes=1), recorder).outcomes == {"sent": 1}
    assert sorted(c for c, _, _ in recorder.posts) == ["C1", "C2"]


def test_gone_channel_is_disabled_and_others_still_sent(db_ctx: Context, clock: Clock) -> None:
    subscribe(db_ctx, clock, ["C1", "C2", "C3"])
    recorder = Recorder(gone={"C2"})
    assert run(db_ctx, clock, MONDAY_0905, recorder).outcomes == {"sent": 2, "disabled": 1}
    sub = db_ctx.store.subscription("W1", "C2")
    assert not sub.enabled and "channel_not_found" in sub.disabled_reason
    assert "paused" in say(db_ctx, "digest", channel="C2").text
    run(db_ctx, clock, MONDAY_0905 + timedelta(days=7), recorder)
    assert [c for c, _, _ in recorder.posts].count("C2") == 0


def test_late_digest_is_marked_and_a_week_late_is_skipped(db_ctx: Context, clock: Clock) -> None:
    subscribe(db_ctx, clock, ["C1"])
    recorder = Recorder()
    ten_days_down = MONDAY_0905 + timedelta(days=9)  # the 30 Nov slot is >7 days old; the 7 Dec slot is 2 days late
    report = run(db_ctx, clock, ten_days_down, recorder)
    assert report.outcomes == {"skipped": 1, "sent late": 1}
    (_, period, reply) = recorder.posts[0]
    assert period == "2026-12-07T09:00Z" and "(late)" in reply.text
    sub = db_ctx.store.subscription("W1", "C1")
    assert db_ctx.store.delivery(sub.id, "2026-11-30T09:00Z").status == "skipped"


def test_subscribing_after_the_slot_waits_for_next_week(db_ctx: Context, clock: Clock) -> None:
    clock.now = MONDAY_0905 + timedelta(hours=1)
    say(db_ctx, "digest on monday 09:00 UTC")
    recorder = Recorder()
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(hours=2), recorder).outcomes == {}
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(days=7), recorder).outcomes == {"sent": 1}


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_daylight_saving_moves_nothing(db_ctx: Context, clock: Clock, zone: str) -> None:
    clock.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    say(db_ctx, f"digest on monday 09:00 {zone}")
    recorder = Recorder()
    now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    while now < datetime(2026, 4, 7, tzinfo=UTC):  # spans both zones' spring change
        run(db_ctx, clock, now, recorder)
        now += timedelta(minutes=30)
    local = [datetime.strptime(p, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC).astimezone(ZoneInfo(zone)) for _, p, _ in recorder.posts]
    assert [t.strftime("%a %H:%M") for t in local] == ["Mon 09:00"] * 6
    assert len({t.date() for t in local}) == 6


@pytest.mark.parametrize(
    ("zone", "utc_hours"),
    [
        ("Europe/Berlin", [7, 7, 8, 8, 8]),  # CEST ends 25 Oct 2026
        ("America/New_York", [13, 13, 13, 14, 14]),  # EDT ends 1 Nov 2026
    ],
)
def test_autumn_change_keeps_local_time(zone: str, utc_hours: list[int]) -> None:
    weekly = Weekly(0, "09:00", zone)
    slots = [weekly.latest_slot(datetime(2026, 10, 12, 20, tzinfo=UTC) + timedelta(days=7 * n)) for n in range(5)]
    assert [s.hour for s in slots] == utc_hours
    assert {s.astimezone(ZoneInfo(zone)).strftime("%a %H:%M") for s in slots} == {"Mon 09:00"}
