"""Digest subscriptions and exactly-once deliveries: a unique (subscription, period) claim row.

A process claims a week's digest by inserting its row; a second inserter gets an IntegrityError and
moves on. A claim whose sender crashed is taken over after `stale_after` by an UPDATE guarded on the
old claim, so exactly one taker wins. All of it is enforced by the database, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Connection, RowMapping, Select, and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from store.audit import write_audit
from store.database import Database
from store.freshness import DUE_BASE, DUE_COLUMNS, DueItem
from store.records import JsonObject
from store.schema import DigestDelivery, DigestSubscription, Evidence, Rating, WorkGroup

MAX_ATTEMPTS = 5
_Columns = TypeVarTuple("_Columns")
BOT_ACTOR = "cmmi-bot"  # the actor the audit log names for what the bot does by itself


@dataclass(frozen=True)
class Subscription:
    id: int
    workspace_id: str
    channel_id: str
    transport: str
    weekday: int
    local_time: str
    timezone: str
    work_group_id: int | None
    level: int
    quiet_full: bool
    enabled: bool
    disabled_reason: str | None
    address: JsonObject | None
    created_by: str
    created_at: datetime  # when the current schedule took effect: a change of day, time or zone moves it
    chart: bool = False  # the readiness heatmap goes with the digest


_SUB_COLUMNS = (
    DigestSubscription.id,
    DigestSubscription.workspace_id,
    DigestSubscription.channel_id,
    DigestSubscription.transport,
    DigestSubscription.weekday,
    DigestSubscription.local_time,
    DigestSubscription.timezone,
    DigestSubscription.work_group_id,
    DigestSubscription.level,
    DigestSubscription.quiet_full,
    DigestSubscription.enabled,
    DigestSubscription.disabled_reason,
    DigestSubscription.address,
    DigestSubscription.created_by,
    DigestSubscription.created_at,
    DigestSubscription.chart,
)

# Statements every scheduler run executes, built once: building them cost more than running them.
_ACTIVE = select(*_SUB_COLUMNS).where(DigestSubscription.enabled.is_(True)).order_by(DigestSubscription.id)
# Periods are ISO 8601 UTC minutes, so text order is time order: one range per subscription on the
# (subscription, period) unique index, where a list of a thousand periods made SQLite scan.
_PERIODS_SEEN = select(DigestDelivery.subscription_id, DigestDelivery.period).where(
    DigestDelivery.subscription_id.in_(bindparam("ids", expanding=True)),
    DigestDelivery.period >= bindparam("since"),
    DigestDelivery.status != "claimed",
)


# Written once or twice per channel and week: built once, bound per call.
_CLAIM = insert(DigestDelivery).values(status="claimed", attempts=1).returning(DigestDelivery.id)
_FINISH = update(DigestDelivery).where(
    DigestDelivery.id == bindparam("delivery"), DigestDelivery.claimed_by == bindparam("worker"), DigestDelivery.status == "claimed"
)


_MARK_SENT = _FINISH.values(
    status="sent",
    sent_at=bindparam("sent_at", type_=DigestDelivery.sent_at.type),
    message_ref=bindparam("ref", type_=DigestDelivery.message_ref.type),
)


def _audited(sub: Subscription) -> JsonObject:
    """What the audit log keeps of a subscription: its settings and state, not the transport's address."""
    return {
        "channel": sub.channel_id,
        "transport": sub.transport,
        "weekday": sub.weekday,
        "time": sub.local_time,
        "timezone": sub.timezone,
        "group_id": sub.work_group_id,
        "level": sub.level,
        "full": sub.quiet_full,
        "enabled": sub.enabled,
        "reason": sub.disabled_reason,
        "chart": sub.chart,
    }


def _audit(
    c: Connection, at: datetime, sub: Subscription, actor: str, action: str, before: JsonObject | None, after: JsonObject | None
) -> None:
    write_audit(c, workspace_id=sub.workspace_id, actor=actor, at=at, action=action, entity_id=sub.id, before=before, after=after)


def _subscription(row: RowMapping) -> Subscription:
    return Subscription(**row)


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    subscription_id: int
    period: str
    attempt: int
    taken_over: bool


@dataclass(frozen=True)
class Delivery:
    subscription_id: int
    period: str
    status: str
    attempts: int
    late: bool
    message_ref: str | None
    detail: str | None


@dataclass(frozen=True)
class Activity:
    added: int
    removed: int
    ratings: int
    contributors: tuple[str, ...]

    @property
    def quiet(self) -> bool:
        return not (self.added or self.removed or self.ratings)


@dataclass(frozen=True)
class WorkspaceWeek:
    """A workspace's evidence and ratings for one week [start, end), from one pass of aggregate queries: every digest of
    the workspace for that week (a work group or the whole workspace, any level) is computed from it."""

    counts: dict[tuple[int, str], int]  # live evidence now, per (group, practice)
    covered_at_start: frozenset[tuple[int, str]]  # (group, practice) pairs that had live evidence at `start`
    added: dict[int, int]  # per group: evidence created in the week
    removed: dict[int, int]  # per group: evidence removed in the week
    rated: dict[int, int]  # per group: ratings given in the week
    contributors: dict[int, frozenset[str]]  # per group: who added evidence or rated in the week

    def activity(self, group_id: int | None) -> Activity:
        """What `activity(ws, group_id, start, end)` would say."""
        groups = set(self.added) | set(self.removed) | set(self.rated) | set(self.contributors) if group_id is None else {group_id}
        people = frozenset().union(*(self.contributors.get(g, frozenset()) for g in groups))
        return Activity(
            sum(self.added.get(g, 0) for g in groups),
            sum(self.removed.get(g, 0) for g in groups),
            sum(self.rated.get(g, 0) for g in groups),
            tuple(sorted(people)),
        )

    def covered_as_of_start(self, group_id: int | None) -> set[tuple[int, str]]:
        """What `covered_as_of(ws, group_id, start)` would say."""
        return {pair for pair in self.covered_at_start if group_id is None or pair[0] == group_id}


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


class Digests:
    """Digest persistence of one database: subscriptions, exactly-once delivery claims, and what a digest reports."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def subscribe(
        self,
        *,
        workspace_id: str,
        channel_id: str,
        transport: str,
        weekday: int,
        local_time: str,
        timezone: str,
        group_id: int | None,
        level: int,
        quiet_full: bool,
        address: JsonObject | None,
        actor: str,
        chart: bool = False,
    ) -> Subscription:
        """Subscribe the channel, or change (and re-enable) its subscription; audited when anything changed."""
        now = self._database.now()
        values: dict[str, object] = {
            "transport": transport,
            "weekday": weekday,
            "local_time": local_time,
            "timezone": timezone,
            "work_group_id": group_id,
            "level": level,
            "quiet_full": quiet_full,
            "enabled": True,
            "disabled_reason": None,
            "address": address,
            "created_by": actor,
            "updated_at": now,
            "chart": chart,
        }
        key = and_(DigestSubscription.workspace_id == workspace_id, DigestSubscription.channel_id == channel_id)
        with self._database.connection(write=True) as c:
            row = c.execute(select(*_SUB_COLUMNS).where(key)).first()
            before = _subscription(row._mapping) if row else None
            if before is None:
                c.execute(insert(DigestSubscription).values(workspace_id=workspace_id, channel_id=channel_id, created_at=now, **values))
            else:
                if (before.weekday, before.local_time, before.timezone) != (weekday, local_time, timezone):
                    # created_at is when the schedule took effect: a new time whose slot this week has already
                    # passed waits for next week, as for a new subscription, instead of sending at once.
                    values["created_at"] = now
                c.execute(update(DigestSubscription).where(key).values(**values))
            after = _subscription(c.execute(select(*_SUB_COLUMNS).where(key)).one()._mapping)
            if before is None or _audited(before) != _audited(after):
                _audit(c, now, after, actor, "digest.subscribe", _audited(before) if before else None, _audited(after))
            return after

    def unsubscribe(self, *, workspace_id: str, channel_id: str, actor: str) -> bool:
        key = and_(DigestSubscription.workspace_id == workspace_id, DigestSubscription.channel_id == channel_id)
        with self._database.connection(write=True) as c:
            row = c.execute(select(*_SUB_COLUMNS).where(key)).first()
            if row is None:
                return False
            before = _subscription(row._mapping)
            c.execute(delete(DigestSubscription).where(key))
            _audit(c, self._database.now(), before, actor, "digest.unsubscribe", _audited(before), None)
            return True

    def subscription(self, *, workspace_id: str, channel_id: str) -> Subscription | None:
        with self._database.connection() as c:
            row = c.execute(
                select(*_SUB_COLUMNS).where(DigestSubscription.workspace_id == workspace_id, DigestSubscription.channel_id == channel_id)
            ).first()
            return _subscription(row._mapping) if row else None

    def active_subscriptions(self) -> list[Subscription]:
        """Every enabled subscription, in every workspace: the scheduler serves them all."""
        with self._database.connection() as c:
            return [_subscription(r._mapping) for r in c.execute(_ACTIVE)]

    def disable_subscription(self, *, subscription_id: int, reason: str, actor: str = BOT_ACTOR) -> bool:
        """Pause a subscription with a reason its channel can read; False if it was already paused or is gone.
        Guarded on enabled, so when several runs pause it at once exactly one records it."""
        now = self._database.now()
        with self._database.connection(write=True) as c:
            row = c.execute(select(*_SUB_COLUMNS).where(DigestSubscription.id == subscription_id)).first()
            paused = c.execute(
                update(DigestSubscription)
                .where(DigestSubscription.id == subscription_id, DigestSubscription.enabled.is_(True))
                .values(enabled=False, disabled_reason=reason, updated_at=now)
            )
            if row is None or paused.rowcount != 1:
                return False
            before = _subscription(row._mapping)
            after = replace(before, enabled=False, disabled_reason=reason)
            _audit(c, now, before, actor, "digest.pause", _audited(before), _audited(after))
            return True

    # ---- exactly-once delivery ----------------------------------------------------------------
    def claim(self, *, subscription_id: int, period: str, worker: str, late: bool, stale_after: timedelta) -> Claim | None:
        """Claim this week's digest for worker, or take over a stale claim; None when another has it or it is done."""
        now = self._database.now()
        try:
            with self._database.connection(write=True) as c:
                values = {"subscription_id": subscription_id, "period": period, "claimed_by": worker, "claimed_at": now, "late": late}
                delivery_id: int = c.execute(_CLAIM, values).scalar_one()
                return Claim(delivery_id, subscription_id, period, 1, taken_over=False)
        except IntegrityError:
            pass
        with self._database.connection(write=True) as c:
            row = c.execute(
                select(DigestDelivery.id, DigestDelivery.status, DigestDelivery.claimed_at, DigestDelivery.attempts).where(
                    DigestDelivery.subscription_id == subscription_id, DigestDelivery.period == period
                )
            ).first()
            if row is None or row.status != "claimed" or row.claimed_at is None or row.claimed_at > now - stale_after:
                return None
            if row.attempts >= MAX_ATTEMPTS:
                c.execute(
                    update(DigestDelivery)
                    .where(DigestDelivery.id == row.id)
                    .values(status="failed", detail="gave up after repeated failures")
                )
                return None
            taken = c.execute(
                update(DigestDelivery)
                .where(DigestDelivery.id == row.id, DigestDelivery.status == "claimed", DigestDelivery.claimed_at == row.claimed_at)
                .values(claimed_by=worker, claimed_at=now, attempts=row.attempts + 1)
            )
            if taken.rowcount != 1:
                return None
            return Claim(row.id, subscription_id, period, row.attempts + 1, taken_over=True)

    def _finish(self, claim: Claim, worker: str, **values: object) -> bool:
        with self._database.connection(write=True) as c:
            done = c.execute(_FINISH.values(**values), {"delivery": claim.delivery_id, "worker": worker})
            return done.rowcount == 1

    def mark_sent(self, *, claim: Claim, worker: str, message_ref: str | None) -> bool:
        with self._database.connection(write=True) as c:
            values = {"delivery": claim.delivery_id, "worker": worker, "sent_at": self._database.now(), "ref": message_ref}
            return c.execute(_MARK_SENT, values).rowcount == 1

    def mark_failed(self, *, claim: Claim, worker: str, detail: str) -> bool:
        return self._finish(claim, worker, status="failed", detail=detail[:2000])

    def release(self, *, claim: Claim, worker: str, detail: str) -> bool:
        """A transient failure: keep the claim but make it stale at once, so the next run retries."""
        stale = datetime(2000, 1, 1, tzinfo=self._database.now().tzinfo)
        return self._finish(claim, worker, claimed_at=stale, detail=detail[:2000])

    def record_skipped(self, *, subscription_id: int, period: str, detail: str) -> bool:
        try:
            with self._database.connection(write=True) as c:
                c.execute(
                    insert(DigestDelivery).values(
                        subscription_id=subscription_id, period=period, status="skipped", attempts=0, detail=detail
                    )
                )
                return True
        except IntegrityError:
            return False

    def delivery(self, *, subscription_id: int, period: str) -> Delivery | None:
        q = select(
            DigestDelivery.subscription_id,
            DigestDelivery.period,
            DigestDelivery.status,
            DigestDelivery.attempts,
            DigestDelivery.late,
            DigestDelivery.message_ref,
            DigestDelivery.detail,
        ).where(DigestDelivery.subscription_id == subscription_id, DigestDelivery.period == period)
        with self._database.connection() as c:
            row = c.execute(q).first()
            return Delivery(**row._mapping) if row else None

    def periods_seen(self, *, subscription_ids: list[int], periods: list[str]) -> set[tuple[int, str]]:
        """Which (subscription, period) pairs are finished (sent, skipped or failed): one query for a
        whole run. A pair still claimed is not finished: claim() decides whether it is stale."""
        if not subscription_ids or not periods:
            return set()
        wanted, since = set(periods), min(periods)
        found: set[tuple[int, str]] = set()
        with self._database.connection() as c:
            for start in range(0, len(subscription_ids), 500):
                chunk = subscription_ids[start : start + 500]
                found |= {(s, p) for s, p in c.execute(_PERIODS_SEEN, {"ids": chunk, "since": since}) if p in wanted}
        return found

    # ---- what a digest reports ----------------------------------------------------------------
    def activity(self, *, workspace_id: str, group_id: int | None, start: datetime, end: datetime) -> Activity:
        """Evidence added and removed, ratings given, and who did it, in [start, end)."""

        def scoped(q: Select[*_Columns], column: InstrumentedAttribute[int]) -> Select[*_Columns]:
            return q.where(column == group_id) if group_id is not None else q

        ws = workspace_id
        added = scoped(
            select(func.count(Evidence.id)).where(Evidence.workspace_id == ws, Evidence.created_at >= start, Evidence.created_at < end),
            Evidence.work_group_id,
        )
        removed = scoped(
            select(func.count(Evidence.id)).where(Evidence.workspace_id == ws, Evidence.removed_at >= start, Evidence.removed_at < end),
            Evidence.work_group_id,
        )
        rated = scoped(
            select(func.count(Rating.id)).where(Rating.workspace_id == ws, Rating.rated_at >= start, Rating.rated_at < end),
            Rating.work_group_id,
        )
        people = scoped(
            select(Evidence.created_by).where(Evidence.workspace_id == ws, Evidence.created_at >= start, Evidence.created_at < end),
            Evidence.work_group_id,
        ).union(
            scoped(
                select(Rating.rated_by).where(Rating.workspace_id == ws, Rating.rated_at >= start, Rating.rated_at < end),
                Rating.work_group_id,
            )
        )
        with self._database.connection() as c:
            return Activity(
                added=int(c.execute(added).scalar_one()),
                removed=int(c.execute(removed).scalar_one()),
                ratings=int(c.execute(rated).scalar_one()),
                contributors=tuple(sorted(r[0] for r in c.execute(people))),
            )

    def covered_as_of(self, *, workspace_id: str, group_id: int | None, when: datetime) -> set[tuple[int, str]]:
        """(group, practice) pairs that had live evidence at a moment: counted in the database."""
        q = (
            select(Evidence.work_group_id, Evidence.practice_key)
            .where(
                Evidence.workspace_id == workspace_id,
                Evidence.created_at <= when,
                or_(Evidence.removed_at.is_(None), Evidence.removed_at > when),
            )
            .group_by(Evidence.work_group_id, Evidence.practice_key)
        )
        if group_id is not None:
            q = q.where(Evidence.work_group_id == group_id)
        with self._database.connection() as c:
            return {(g, k) for g, k in c.execute(q)}

    def workspace_week(self, *, workspace_id: str, start: datetime, end: datetime) -> WorkspaceWeek:
        """The workspace's digest figures for [start, end): evidence per (group, practice) now and at `start`, and the
        week's additions, removals, ratings and contributors per group, in three queries however many groups and digests."""
        ws = workspace_id
        live_at_start = and_(Evidence.created_at <= start, or_(Evidence.removed_at.is_(None), Evidence.removed_at > start))
        evidence = (
            select(
                Evidence.work_group_id,
                Evidence.practice_key,
                _count_if(Evidence.removed_at.is_(None)),
                _count_if(live_at_start),
                _count_if(and_(Evidence.created_at >= start, Evidence.created_at < end)),
                _count_if(and_(Evidence.removed_at >= start, Evidence.removed_at < end)),
            )
            .where(Evidence.workspace_id == ws)
            .group_by(Evidence.work_group_id, Evidence.practice_key)
        )
        ratings = (
            select(Rating.work_group_id, func.count(Rating.id))
            .where(Rating.workspace_id == ws, Rating.rated_at >= start, Rating.rated_at < end)
            .group_by(Rating.work_group_id)
        )
        people = (
            select(Evidence.work_group_id, Evidence.created_by)
            .where(Evidence.workspace_id == ws, Evidence.created_at >= start, Evidence.created_at < end)
            .union(
                select(Rating.work_group_id, Rating.rated_by).where(
                    Rating.workspace_id == ws, Rating.rated_at >= start, Rating.rated_at < end
                )
            )
        )
        counts: dict[tuple[int, str], int] = {}
        covered: set[tuple[int, str]] = set()
        added: dict[int, int] = {}
        removed: dict[int, int] = {}
        contributors: dict[int, set[str]] = {}
        with self._database.connection() as c:
            for group, key, live, at_start, new, gone in c.execute(evidence):
                if live:
                    counts[(group, key)] = int(live)
                if at_start:
                    covered.add((group, key))
                if new:
                    added[group] = added.get(group, 0) + int(new)
                if gone:
                    removed[group] = removed.get(group, 0) + int(gone)
            rated = {group: int(n) for group, n in c.execute(ratings)}
            for group, person in c.execute(people):
                contributors.setdefault(group, set()).add(person)
        return WorkspaceWeek(counts, frozenset(covered), added, removed, rated, {g: frozenset(p) for g, p in contributors.items()})

    def stale_evidence(
        self, *, workspace_id: str, group_id: int | None, older_than: date, sample: int = 5
    ) -> tuple[int, list[tuple[int, str, str]]]:
        """How much live evidence is dated before older_than, and a few examples (id, practice, group)."""
        base = (
            select(Evidence.id, Evidence.practice_key, WorkGroup.name)
            .join(WorkGroup, WorkGroup.id == Evidence.work_group_id)
            .where(Evidence.workspace_id == workspace_id, Evidence.removed_at.is_(None), Evidence.evidence_date < older_than)
        )
        if group_id is not None:
            base = base.where(Evidence.work_group_id == group_id)
        with self._database.connection() as c:
            total = int(c.execute(select(func.count()).select_from(base.subquery())).scalar_one())
            examples = [(r.id, r.practice_key, r.name) for r in c.execute(base.order_by(Evidence.evidence_date, Evidence.id).limit(sample))]
        return total, examples

    def due_by_group(self, *, workspace_id: str, before: date, sample: int = 5) -> dict[int, tuple[int, list[DueItem]]]:
        """Per work group: how much live evidence has a base date before `before` (past its review date), and the `sample`
        oldest of it (by base date, then number), in two queries for the whole workspace. What freshness.due gives per
        group, without a query per group or the whole list."""
        where = (Evidence.workspace_id == workspace_id, Evidence.removed_at.is_(None), DUE_BASE < before)
        counts = select(Evidence.work_group_id, func.count(Evidence.id)).where(*where).group_by(Evidence.work_group_id)
        rank = func.row_number().over(partition_by=Evidence.work_group_id, order_by=(DUE_BASE, Evidence.id)).label("n")
        ranked = select(*DUE_COLUMNS, rank).join(WorkGroup, WorkGroup.id == Evidence.work_group_id).where(*where).subquery()
        fields = list(DueItem.__dataclass_fields__)
        oldest = select(*(ranked.c[name] for name in fields)).where(ranked.c.n <= sample)
        with self._database.connection() as c:
            found: dict[int, tuple[int, list[DueItem]]] = {group: (int(n), []) for group, n in c.execute(counts)}
            for row in c.execute(oldest):
                item = DueItem(**row._mapping)
                found[item.group_id][1].append(item)
        for _, items in found.values():
            items.sort(key=lambda i: (i.base, i.id))
        return found
