"""A year of the digest scheduler: exactly one digest per subscription per local week, at or after its slot.

Ticking run_due every 5 minutes for a year is about 105,000 runs, too slow for the suite. Between two
slots nothing can become due, so the simulation runs the scheduler only at the ticks where something
can change, worked out here without Weekly: for every slot, the tick before it, the first tick at or
after it and the one after that. Around every clock change of the year it runs every 5-minute tick, for
12 hours either side. The year starts now and the subscriptions are drawn at random; a failure prints
the seed and start, and CMMI_YEAR_SEED and CMMI_YEAR_START replay it.

It runs on SQLite only, to stay near 10 seconds: the clock-change nights in test_scheduler.py tick
through the same store code every 5 minutes on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler import run_due
from handlers import Context, Reply
from index import ModelIndex
from model_data import Model
from store import Store, Subscription, make_engine, sqlite_url, upgrade
from tests.conftest import Clock

pytestmark = pytest.mark.calendar

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham", "UTC")
TICK = timedelta(minutes=5)
WEEKS = 53
AROUND_CHANGES = timedelta(hours=12)
# Always drawn: times the clocks skip or repeat on a change night (Lord Howe moves by 30 minutes, at
# 02:00; Chatham at 02:45 standard time), so every simulated year has skipped and repeated slots.
FIXED = (
    (6, "02:30", "Europe/Berlin"),
    (6, "01:30", "America/New_York"),
    (6, "02:30", "America/New_York"),
    (6, "02:15", "Australia/Lord_Howe"),
    (6, "01:45", "Australia/Lord_Howe"),
    (6, "03:00", "Pacific/Chatham"),
)
RANDOM = 8


@dataclass(frozen=True)
class Spec:
    weekday: int
    local_time: str
    zone: str

    def __str__(self) -> str:
        return f"weekday {self.weekday} {self.local_time} {self.zone}"


def draw(seed: int) -> list[Spec]:
    rng = random.Random(seed)
    drawn = [Spec(*fixed) for fixed in FIXED]
    for _ in range(RANDOM):
        hour = rng.choice([*range(24), 1, 1, 2, 2, 2, 3])  # the night hours clocks change in, more often
        drawn.append(Spec(rng.randrange(7), f"{hour:02d}:{rng.randrange(60):02d}", rng.choice(ZONES)))
    return drawn


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def due(spec: Spec, day: date) -> datetime:
    """When the digest for a local day is due, found without Weekly or fold: walking the UTC time line
    minute by minute to the first moment the local clock shows that day and time, or later."""
    zone = ZoneInfo(spec.zone)
    wall = datetime.combine(day, time.fromisoformat(spec.local_time))
    moment = wall.replace(tzinfo=UTC) - (wall.replace(tzinfo=UTC) - timedelta(days=1)).astimezone(zone).utcoffset() - timedelta(hours=3)
    assert local(moment, zone) < wall
    while local(moment, zone) < wall:
        moment += timedelta(minutes=1)
    return moment


def clock_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    hours = int((end - start) / timedelta(hours=1))
    offsets = [(start + timedelta(hours=h)).astimezone(zone).utcoffset() for h in range(hours + 1)]
    return [start + timedelta(hours=h + 1) for h in range(hours) if offsets[h] != offsets[h + 1]]


class Posts:
    """A deliverer recording each digest with the tick it went out at."""

    def __init__(self) -> None:
        self.now: datetime | None = None
        self.sent: dict[str, list[tuple[str, datetime, bool]]] = {}

    def deliver(self, sub: Subscription, reply: Reply, period: str) -> str | None:
        self.sent.setdefault(sub.channel_id, []).append((period, self.now, "(late)" in reply.text))
        return f"{sub.channel_id}:{period}"

    def already_delivered(self, sub: Subscription, period: str, since: datetime) -> str | None:
        return None


@pytest.fixture
def sqlite_ctx(model: Model, index: ModelIndex, clock: Clock, tmp_path) -> Iterator[Context]:
    engine = make_engine(sqlite_url(tmp_path / "year.db"))
    upgrade(engine)
    yield Context(model=model, index=index, store=Store(engine, clock))
    engine.dispose()


def test_a_year_of_ticks_sends_one_digest_per_local_week(sqlite_ctx: Context, clock: Clock) -> None:
    now = datetime.now(UTC)
    start = datetime.fromisoformat(os.environ["CMMI_YEAR_START"]) if "CMMI_YEAR_START" in os.environ else now
    start = start.replace(minute=start.minute - start.minute % 5, second=0, microsecond=0)
    seed = int(os.environ.get("CMMI_YEAR_SEED", start.date().toordinal()))
    replay = f"replay with CMMI_YEAR_SEED={seed} CMMI_YEAR_START={start.isoformat()}"
    end = start + timedelta(weeks=WEEKS)
    last_tick = int((end - start) / TICK)
    specs = draw(seed)

    clock.now = start
    for n, spec in enumerate(specs):
        sqlite_ctx.store.digests.subscribe(
            workspace_id="W1",
            channel_id=f"Y{n}",
            transport="test",
            weekday=spec.weekday,
            local_time=spec.local_time,
            timezone=spec.zone,
            group_id=None,
            level=2,
            quiet_full=False,
            address=None,
            actor="U1",
        )

    expected: dict[str, list[datetime]] = {}
    ticks: set[int] = set()
    for n, spec in enumerate(specs):
        first_day = local(start, ZoneInfo(spec.zone)).date()
        days = [first_day + timedelta(days=d) for d in range(WEEKS * 7 + 2) if (first_day + timedelta(days=d)).weekday() == spec.weekday]
        slots = [s for s in map(lambda d: due(spec, d), days) if start <= s and math.ceil((s - start) / TICK) <= last_tick]
        expected[f"Y{n}"] = slots
        for slot in slots:
            k = math.ceil((slot - start) / TICK)
            ticks |= {i for i in (k - 1, k, k + 1) if 0 <= i <= last_tick}
    changes = sorted({c for zone in {s.zone for s in specs} for c in clock_changes(ZoneInfo(zone), start, end)})
    assert len(changes) >= 8, (changes, replay)  # Berlin, New York, Lord Howe and Chatham change twice a year
    for change in changes:
        first = max(0, math.ceil((change - AROUND_CHANGES - start) / TICK))
        ticks |= set(range(first, min(last_tick, int((change + AROUND_CHANGES - start) / TICK)) + 1))

    posts = Posts()
    for k in sorted(ticks):
        posts.now = clock.now = start + k * TICK
        run_due(sqlite_ctx, sqlite_ctx.store, {"test": posts}, posts.now, "year")

    for n, spec in enumerate(specs):
        slots, sent = expected[f"Y{n}"], posts.sent.get(f"Y{n}", [])
        where = f"{spec}: {replay}"
        assert len(slots) >= WEEKS - 1, where
        assert [period for period, _, _ in sent] == [s.strftime("%Y-%m-%dT%H:%MZ") for s in slots], where
        for slot, (_, at, late) in zip(slots, sent, strict=True):
            assert slot <= at < slot + TICK and not late, (slot, at, where)  # at the first tick at or after its slot
        weeks = [local(slot, ZoneInfo(spec.zone)).isocalendar()[:2] for slot in slots]
        assert len(weeks) == len(set(weeks)), where  # one per local week
