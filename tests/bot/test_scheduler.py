"""Weekly digests: due exactly once per week, whatever runs them, crashes or clocks do."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.scheduler import STALE_CLAIM, ChannelGone, SchedulerThread, run_due
from handlers import Context, Reply, Request, dispatch
from handlers.support.schedule import Weekly
from store import Subscription
from store.schema import AuditEntry, DigestSubscription
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
    sub = db_ctx.store.digests.subscription(workspace_id="W1", channel_id="C1")
    clock.now = MONDAY_0905
    claim = db_ctx.store.digests.claim(
        subscription_id=sub.id, period="2026-11-30T09:00Z", worker="crashed-worker", late=False, stale_after=STALE_CLAIM
    )
    assert claim is not None  # ...and then the process died
    recorder = Recorder()
    assert run(db_ctx, clock, MONDAY_0905 + STALE_CLAIM / 2, recorder).outcomes == {"taken by another": 1}
    assert recorder.posts == []
    report = run(db_ctx, clock, MONDAY_0905 + STALE_CLAIM + timedelta(minutes=1), recorder)
    assert report.outcomes == {"sent late": 1} and len(recorder.posts) == 1  # 16 minutes after its slot
    delivery = db_ctx.store.digests.delivery(subscription_id=sub.id, period="2026-11-30T09:00Z")
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(hours=1), recorder).outcomes == {}


def test_crash_after_posting_is_not_posted_twice(db_ctx: Context, clock: Clock) -> None:
    subscribe(db_ctx, clock, ["C1"])
    sub = db_ctx.store.digests.subscription(workspace_id="W1", channel_id="C1")
    clock.now = MONDAY_0905
    db_ctx.store.digests.claim(
        subscription_id=sub.id, period="2026-11-30T09:00Z", worker="crashed-worker", late=False, stale_after=STALE_CLAIM
    )
    recorder = Recorder()
    recorder.delivered_before[("C1", "2026-11-30T09:00Z")] = "ts-from-the-crashed-worker"
    report = run(db_ctx, clock, MONDAY_0905 + STALE_CLAIM * 2, recorder)
    assert report.outcomes == {"recovered": 1} and recorder.posts == []
    assert db_ctx.store.digests.delivery(subscription_id=sub.id, period="2026-11-30T09:00Z").message_ref == "ts-from-the-crashed-worker"


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
    sub = db_ctx.store.digests.subscription(workspace_id="W1", channel_id="C2")
    assert not sub.enabled and "channel_not_found" in sub.disabled_reason
    assert "paused" in say(db_ctx, "digest", channel="C2").text
    run(db_ctx, clock, MONDAY_0905 + timedelta(days=7), recorder)
    assert [c for c, _, _ in recorder.posts].count("C2") == 0
    pauses = [(actor, after["channel"], after["reason"]) for actor, action, _, after in digest_audit(db_ctx) if action == "digest.pause"]
    assert pauses == [("cmmi-bot", "C2", sub.disabled_reason)]


def test_late_digest_is_marked_and_a_week_late_is_skipped(db_ctx: Context, clock: Clock) -> None:
    subscribe(db_ctx, clock, ["C1"])
    recorder = Recorder()
    ten_days_down = MONDAY_0905 + timedelta(days=9)  # the 30 Nov slot is >7 days old; the 7 Dec slot is 2 days late
    report = run(db_ctx, clock, ten_days_down, recorder)
    assert report.outcomes == {"skipped": 1, "sent late": 1}
    (_, period, reply) = recorder.posts[0]
    assert period == "2026-12-07T09:00Z" and "(late)" in reply.text
    sub = db_ctx.store.digests.subscription(workspace_id="W1", channel_id="C1")
    assert db_ctx.store.digests.delivery(subscription_id=sub.id, period="2026-11-30T09:00Z").status == "skipped"


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


# ---- clock changes: a repeated or skipped local time is one slot, sent once --------------------------

# Each night: the digests subscribed and the UTC moment each must go out, worked out by hand from the rules.
NIGHTS = {
    "berlin-autumn": [  # 25 Oct 2026: 03:00 CEST becomes 02:00 CET, so 02:00-02:59 happens twice
        ("sunday 02:30 Europe/Berlin", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # 02:30 CEST, the first 02:30
        ("sunday 02:00 Europe/Berlin", datetime(2026, 10, 25, 0, 0, tzinfo=UTC)),
        ("sunday 03:00 Europe/Berlin", datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),  # once, after the repeat
    ],
    "new-york-autumn": [  # 1 Nov 2026: 02:00 EDT becomes 01:00 EST, so 01:00-01:59 happens twice
        ("sunday 01:30 America/New_York", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # 01:30 EDT, the first 01:30
        ("sunday 01:59 America/New_York", datetime(2026, 11, 1, 5, 59, tzinfo=UTC)),
    ],
    "berlin-spring": [  # 29 Mar 2026: 02:00 CET becomes 03:00 CEST, so 02:00-02:59 never happens
        ("sunday 02:30 Europe/Berlin", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # the moment the clocks jump
        ("sunday 03:00 Europe/Berlin", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # the first time that exists
    ],
    "new-york-spring": [  # 8 Mar 2026: 02:00 EST becomes 03:00 EDT
        ("sunday 02:30 America/New_York", datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        ("sunday 02:00 America/New_York", datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        ("sunday 01:59 America/New_York", datetime(2026, 3, 8, 6, 59, tzinfo=UTC)),
    ],
}


@pytest.mark.parametrize("night", NIGHTS)
def test_clock_change_nights_send_each_digest_once(db_ctx: Context, clock: Clock, night: str) -> None:
    cases = NIGHTS[night]
    change = min(due for _, due in cases)
    clock.now = change - timedelta(days=4)
    for n, (spec, _) in enumerate(cases):
        say(db_ctx, f"digest on {spec}", channel=f"N{n}")
    recorder = Recorder()
    sent_at: dict[str, datetime] = {}
    now = change - timedelta(hours=12)
    while now < change + timedelta(hours=12):  # every 5 minutes through the night, as `serve` would run
        before = len(recorder.posts)
        run(db_ctx, clock, now, recorder)
        sent_at.update((channel, now) for channel, _, _ in recorder.posts[before:])
        now += timedelta(minutes=5)
    for n, (spec, due) in enumerate(cases):
        periods = [p for c, p, _ in recorder.posts if c == f"N{n}"]
        assert periods == [due.strftime("%Y-%m-%dT%H:%MZ")], spec
        assert sent_at[f"N{n}"] - timedelta(minutes=5) < due <= sent_at[f"N{n}"], spec  # the first tick at or after it


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"])
def test_a_weeks_slot_is_the_same_whenever_it_is_asked_for(zone: str) -> None:
    """Minute by minute through every clock change of a year, for every quarter hour of the night: the
    latest slot only ever moves forward, to the next week's, and the next slot is always after now."""
    tz = ZoneInfo(zone)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    changes = [
        start + timedelta(hours=h)
        for h in range(366 * 24)
        if (start + timedelta(hours=h)).astimezone(tz).utcoffset() != (start + timedelta(hours=h + 1)).astimezone(tz).utcoffset()
    ]
    assert len(changes) == 2, changes
    for change in changes:
        for quarter in [*range(0, 5 * 60, 15), 9 * 60, 23 * 60 + 45]:  # every change here is between 01:00 and 04:00
            local_time = f"{quarter // 60:02d}:{quarter % 60:02d}"
            weekly = Weekly(change.astimezone(tz).weekday(), local_time, zone)
            previous = None
            for minute in range(-4 * 60, 4 * 60):
                now = change + timedelta(minutes=minute)
                slot, upcoming = weekly.latest_slot(now), weekly.next_slot(now)
                assert slot <= now < upcoming, (local_time, now)
                if previous is not None and slot != previous:
                    assert slot == weekly.next_slot(previous) and slot.astimezone(tz).weekday() == weekly.weekday, (local_time, now)
                previous = slot


# ---- one bad subscription never stops the others ---------------------------------------------------


def _write_directly(ctx: Context, channel: str, **values: object) -> None:
    """Change a subscription row as another replica (or version) could have saved it."""
    with ctx.store.engine.begin() as c:
        c.execute(
            update(DigestSubscription)
            .where(DigestSubscription.workspace_id == "W1", DigestSubscription.channel_id == channel)
            .values(**values)
        )


def digest_audit(ctx: Context) -> list[tuple[str, str, dict | None, dict | None]]:
    with ctx.store.engine.connect() as c:
        rows = c.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.entity == "digest_subscription")
            .order_by(AuditEntry.id)
        )
        return [tuple(r) for r in rows]


@pytest.mark.parametrize(
    ("column", "value", "reason", "shown"),
    [
        ("timezone", "Mars/Base", "the time zone Mars/Base is not known to this server", "Mondays at 09:00 Mars/Base"),
        ("timezone", "../../etc/passwd", "the time zone ../../etc/passwd is not known to this server", "Mondays at 09:00 ../../etc/passwd"),
        ("local_time", "9h30", "its saved time 9h30 is not a time of day (HH:MM)", "Mondays at 9h30 UTC"),
        ("weekday", 9, "its saved day is not a day of the week", "Weekly at 09:00 UTC"),
    ],
)
def test_a_subscription_that_cannot_be_scheduled_is_paused_alone(
    db_ctx: Context, clock: Clock, caplog: pytest.LogCaptureFixture, column: str, value: object, reason: str, shown: str
) -> None:
    subscribe(db_ctx, clock, ["C1", "C2", "C3"])
    _write_directly(db_ctx, "C2", **{column: value})
    recorder = Recorder()
    with caplog.at_level(logging.INFO, logger="cmmi_bot.scheduler"):
        report = run(db_ctx, clock, MONDAY_0905, recorder)
        assert report.outcomes == {"sent": 2, "paused": 1}
        assert sorted(c for c, _, _ in recorder.posts) == ["C1", "C3"]
        assert run(db_ctx, clock, MONDAY_0905 + timedelta(days=7), recorder).outcomes == {"sent": 2}  # still served, no error
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(value) not in warnings[0].getMessage()  # once, without what the channel saved
    paused = db_ctx.store.digests.subscription(workspace_id="W1", channel_id="C2")
    assert not paused.enabled and paused.disabled_reason == reason
    shown_text = say(db_ctx, "digest", channel="C2").text
    assert f"It is paused: {reason}." in shown_text and "digest on" in shown_text
    assert f"digest: {shown} for the whole workspace" in shown_text
    (actor, action, before, after), *rest = digest_audit(db_ctx)[3:]  # after the three `digest on`
    assert (actor, action, before["enabled"], after["enabled"], after["reason"]) == ("cmmi-bot", "digest.pause", True, False, reason)
    assert rest == []
    say(db_ctx, "digest on monday 09:00 UTC", channel="C2")  # the channel fixes it
    assert db_ctx.store.digests.subscription(workspace_id="W1", channel_id="C2").enabled
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(days=14), recorder).outcomes == {"sent": 3}
    assert sorted(c for c, _, _ in recorder.posts[4:]) == ["C1", "C2", "C3"]


def test_runs_racing_over_a_bad_subscription_pause_it_once(db_ctx: Context, clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    channels = [f"C{n}" for n in range(6)]
    subscribe(db_ctx, clock, channels)
    _write_directly(db_ctx, "C3", timezone="Mars/Base")
    clock.now = MONDAY_0905
    recorder = Recorder()
    reports, errors = [], []

    def worker(n: int) -> None:
        try:
            reports.append(run_due(db_ctx, db_ctx.store, {"test": recorder}, MONDAY_0905, f"worker-{n}"))
        except BaseException as exc:
            errors.append(exc)

    with caplog.at_level(logging.WARNING, logger="cmmi_bot.scheduler"):
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert errors == []
    assert sorted(c for c, _, _ in recorder.posts) == [c for c in channels if c != "C3"]
    assert sum(r.outcomes["paused"] for r in reports) == 1
    assert [action for _, action, _, _ in digest_audit(db_ctx)].count("digest.pause") == 1
    assert len([r for r in caplog.records if "paused" in r.getMessage()]) == 1


def test_an_unknown_time_zone_does_not_stop_the_serve_loop(db_ctx: Context, clock: Clock) -> None:
    subscribe(db_ctx, clock, ["C1", "C2"])
    _write_directly(db_ctx, "C1", timezone="Mars/Base")
    clock.now = MONDAY_0905
    recorder = Recorder()
    reports, attempts, three = [], [], threading.Event()

    def job() -> None:
        try:
            reports.append(run_due(db_ctx, db_ctx.store, {"test": recorder}, MONDAY_0905))
        finally:
            attempts.append(1)
            if len(attempts) == 3:
                three.set()

    # No timed waits: under libfaketime (make test-future) a timed wait can sleep for the whole offset.
    loop = SchedulerThread(job, interval=0)
    loop.start()
    three.wait()
    loop.stop()
    loop.join()
    assert [r.outcomes for r in reports[:3]] == [{"sent": 1, "paused": 1}, {}, {}]
    assert [c for c, _, _ in recorder.posts] == ["C2"]


def test_a_failure_after_posting_for_one_channel_does_not_stop_the_others(db_ctx: Context, clock: Clock) -> None:
    """A deliverer hands back a reference the database cannot store (PostgreSQL refuses more than 120
    characters): that channel's run fails after posting, and every other channel is still served."""

    class LongReference(Recorder):
        def deliver(self, sub: Subscription, reply: Reply, period: str) -> str | None:
            ref = super().deliver(sub, reply, period)
            return "x" * 500 if sub.channel_id == "C1" else ref

    subscribe(db_ctx, clock, ["C1", "C2", "C3"])
    recorder = LongReference()
    report = run(db_ctx, clock, MONDAY_0905, recorder)
    assert sorted(c for c, _, _ in recorder.posts) == ["C1", "C2", "C3"]
    if db_ctx.store.engine.dialect.name == "postgresql":
        assert report.outcomes == {"sent": 2, "error": 1}
        # the claim stays: after it goes stale, the taker asks the deliverer whether the post went out
        sub = db_ctx.store.digests.subscription(workspace_id="W1", channel_id="C1")
        assert db_ctx.store.digests.delivery(subscription_id=sub.id, period="2026-11-30T09:00Z").status == "claimed"
    else:
        assert report.outcomes == {"sent": 3}  # SQLite does not enforce the column's length


def test_changing_the_schedule_waits_for_the_new_slot(db_ctx: Context, clock: Clock) -> None:
    subscribe(db_ctx, clock, ["C1"])
    recorder = Recorder()
    assert run(db_ctx, clock, MONDAY_0905, recorder).outcomes == {"sent": 1}
    clock.now = MONDAY_0905 + timedelta(hours=2)
    say(db_ctx, "digest on monday 10:00 UTC")  # this week's 10:00 is already past when it is chosen
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(hours=3), recorder).outcomes == {}
    say(db_ctx, "digest on monday 10:00 UTC --level ML2")  # not a new time: nothing to wait for
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(days=7, hours=1), recorder).outcomes == {"sent": 1}
    assert [p for _, p, _ in recorder.posts] == ["2026-11-30T09:00Z", "2026-12-07T10:00Z"]
