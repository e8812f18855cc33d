"""Digests for many channels: the figures are read once per workspace and week, whatever the number of channels, one
workspace at a time, and every channel gets the digest its own scope would get alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from bot.scheduler import run_due
from handlers import Context, Reply
from handlers import digest as digest_module
from handlers.digest import OLDEST, DigestFacts, DigestScope, build_digest
from handlers.support.readiness import Snapshot
from store import Store, Subscription
from tests.conftest import Clock
from tests.helpers import log_evidence

pytestmark = pytest.mark.calendar

MONDAY_0905 = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
SUBSCRIBED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.posts: dict[tuple[str, str], Reply] = {}

    def deliver(self, sub: Subscription, reply: Reply, period: str) -> str | None:
        self.posts[(sub.workspace_id, sub.channel_id)] = reply
        return "ok"

    def already_delivered(self, sub: Subscription, period: str, since: datetime) -> str | None:
        return None


def seed(store: Store, clock: Clock, workspaces: int, channels: int) -> None:
    """Workspaces of two groups with evidence across the week; channels subscribed in turn to a group or the whole
    workspace, ML2 or ML3, interleaved across workspaces so that subscription order alternates between them."""
    clock.now = SUBSCRIBED - timedelta(days=3)
    groups = {}
    for w in range(workspaces):
        ws = f"W{w}"
        groups[ws] = [store.groups.add(workspace_id=ws, name=f"Group {g}", actor="U1") for g in range(2)]
        for n in range(12):
            clock.now = SUBSCRIBED - timedelta(days=3) + timedelta(hours=n * 9)
            group = groups[ws][n % 2]
            log_evidence(
                store,
                ws,
                group,
                f"WMC.SP1.{1 + n % 7}",
                actor=f"U{n % 3}",
                link=f"https://e.example.com/{w}/{n}",
                on=date(2024 + n % 3, 1 + n % 12, 1),
            )
            if n % 3 == 0:
                store.ratings.rate(
                    workspace_id=ws, group=group, practice_key=f"WMC.SP1.{1 + n % 7}", process_area="WMC", value="PI", note=None, actor="U2"
                )
    clock.now = SUBSCRIBED
    for c in range(channels):
        for w in range(workspaces):
            ws = f"W{w}"
            group = (None, *groups[ws])[c % 3]
            store.digests.subscribe(
                workspace_id=ws,
                channel_id=f"C{c}",
                transport="test",
                weekday=0,
                local_time="09:00",
                timezone="UTC",
                group_id=group.id if group else None,
                level=2 + c % 2,
                quiet_full=c % 4 == 0,
                address=None,
                actor="U1",
            )


def run(db_ctx: Context, store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> tuple[Recorder, list[str]]:
    """Send the due digests; returns what was posted and the SQL run while digests were built (not claims or reminders)."""
    statements: list[str] = []
    building = []
    real_build = digest_module.DigestBatch.build

    def build(self, *args, **kwargs) -> Reply:
        building.append(True)
        try:
            return real_build(self, *args, **kwargs)
        finally:
            building.pop()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if building:
            statements.append(statement)

    monkeypatch.setattr(digest_module.DigestBatch, "build", build)
    event.listen(store.engine, "before_cursor_execute", record)
    try:
        clock.now = MONDAY_0905
        recorder = Recorder()
        report = run_due(db_ctx, store, {"test": recorder}, MONDAY_0905, "worker")
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert report.outcomes["sent"] == len(recorder.posts)
    return recorder, statements


def evidence_reads(statements: list[str]) -> int:
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM evidence" in s)


def test_figures_are_read_once_per_workspace_not_per_channel(db_ctx: Context, store: Store, clock: Clock, monkeypatch) -> None:
    loads = []
    real = digest_module.DigestFacts.load
    monkeypatch.setattr(digest_module.DigestFacts, "load", classmethod(lambda cls, *a: loads.append(a[2]) or real(*a)))
    seed(store, clock, workspaces=3, channels=12)
    recorder, statements = run(db_ctx, store, clock, monkeypatch)
    assert len(recorder.posts) == 36
    assert sorted(loads) == ["W0", "W1", "W2"]  # once each, although their channels' subscriptions alternate
    reads = evidence_reads(statements)
    assert reads == 3 * evidence_reads_per_workspace(db_ctx, store)


def evidence_reads_per_workspace(db_ctx: Context, store: Store) -> int:
    """How many queries over evidence one digest makes when it reads its workspace's figures itself."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        build_digest(db_ctx, store, DigestScope("W0", None, 3, True), MONDAY_0905 - timedelta(days=7), MONDAY_0905)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    return evidence_reads(statements)


def test_more_channels_add_no_reads(db_ctx: Context, store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(store, clock, workspaces=2, channels=30)
    _, statements = run(db_ctx, store, clock, monkeypatch)
    assert evidence_reads(statements) == 2 * evidence_reads_per_workspace(db_ctx, store)


def test_every_channel_gets_what_its_scope_alone_would_get(db_ctx: Context, store: Store, clock: Clock, monkeypatch) -> None:
    seed(store, clock, workspaces=2, channels=8)
    recorder, _ = run(db_ctx, store, clock, monkeypatch)
    week = (MONDAY_0905 - timedelta(minutes=5) - timedelta(days=7), MONDAY_0905 - timedelta(minutes=5))
    subs = {(s.workspace_id, s.channel_id): s for s in store.digests.active_subscriptions()}
    for key, reply in recorder.posts.items():
        sub = subs[key]
        alone = build_digest(db_ctx, store, DigestScope(sub.workspace_id, sub.work_group_id, sub.level, sub.quiet_full, sub.chart), *week)
        assert (reply.text, reply.sections, reply.data) == (alone.text, alone.sections, alone.data), key
    texts = {reply.text for reply in recorder.posts.values()}
    assert len(texts) > 4  # the scopes really differ: groups, levels, quiet or full


def test_the_facts_agree_with_the_per_scope_queries(db_ctx: Context, store: Store, clock: Clock) -> None:
    seed(store, clock, workspaces=2, channels=3)
    start, end = MONDAY_0905 - timedelta(days=7), MONDAY_0905
    facts = DigestFacts.load(db_ctx, store, "W1", start, end)
    before = facts.review.needs_review_before
    groups = store.groups.list(workspace_id="W1")
    for group in (None, *groups):
        group_id = group.id if group else None
        assert facts.snapshot(db_ctx, group) == Snapshot.load(db_ctx, store, "W1", group)
        due = store.freshness.due(workspace_id="W1", before=before, group_id=group_id)
        assert facts.due_evidence({group_id} if group else {g.id for g in groups}) == (len(due), due[:OLDEST]), group
        assert facts.week.activity(group_id) == store.digests.activity(workspace_id="W1", group_id=group_id, start=start, end=end)
    assert facts.due_evidence({g.id for g in groups})[0] > OLDEST  # the seed has evidence past its review date
