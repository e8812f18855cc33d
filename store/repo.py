"""The store's API: work groups, evidence, ratings and the audit log, scoped to one workspace per call.

Every function takes the workspace ID and never reads or changes another workspace's rows.
Results are plain frozen dataclasses; ORM rows never leave this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Select, bindparam, exists, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from store.audit import AuditTrail
from store.digests import DigestMixin
from store.feedback import FeedbackStore
from store.freshness import Freshness
from store.inbox import Inbox, mark_applied
from store.people import People
from store.reminders import Reminders
from store.schema import AuditEntry, ChannelBinding, Evidence, Rating, WorkGroup
from store.settings import WorkspaceSettings
from store.threads import Threads

DEDUPE_WINDOW = timedelta(minutes=10)
# Row IDs are INTEGER: 32 bits on PostgreSQL, 64 on SQLite. Looking up a larger one is "not found" on both, never a
# database error on one of them.
MAX_ROW_ID = 2**31 - 1
RATINGS = ("FI", "LI", "PI", "NI", "NY")
KINDS = ("artifact", "affirmation")


class StoreUnavailable(Exception):
    """The database could not be reached or stayed locked; nothing was written."""


class NotFound(LookupError):
    pass


class Conflict(Exception):
    pass


class Forbidden(PermissionError):
    pass


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class EvidenceItem:
    id: int
    group: str
    group_id: int
    practice_key: str
    process_area: str
    kind: str
    link: str | None
    note: str | None
    evidence_date: date
    created_by: str
    created_at: datetime
    removed_by: str | None = None
    removed_at: datetime | None = None


@dataclass(frozen=True)
class RatingItem:
    group_id: int
    practice_key: str
    value: str
    note: str | None
    rated_by: str
    rated_at: datetime


@dataclass(frozen=True)
class AuditItem:
    actor: str
    at: datetime
    action: str
    before: dict | None
    after: dict | None


def _group(row: WorkGroup) -> Group:
    return Group(row.id, row.name, row.created_by, row.created_at)


# Columns in EvidenceItem's field order, so a result row builds the dataclass directly.
_EVIDENCE_COLUMNS = (
    Evidence.id, WorkGroup.name, Evidence.work_group_id, Evidence.practice_key, Evidence.process_area, Evidence.kind, Evidence.link,
    Evidence.note, Evidence.evidence_date, Evidence.created_by, Evidence.created_at, Evidence.removed_by, Evidence.removed_at,
)  # fmt: skip


def _rating(row: Rating) -> RatingItem:
    return RatingItem(row.work_group_id, row.practice_key, row.value, row.note, row.rated_by, row.rated_at)


def _evidence_snapshot(item: EvidenceItem) -> dict[str, Any]:
    return {
        "practice": item.practice_key, "group": item.group, "kind": item.kind, "link": item.link, "note": item.note,
        "date": item.evidence_date.isoformat(), "removed": item.removed_at is not None,
    }  # fmt: skip


_GROUP_COLUMNS = (WorkGroup.id, WorkGroup.name, WorkGroup.created_by, WorkGroup.created_at)


# Statements on the hot path are built once; each call only binds values (building a statement per
# call cost more than the SQL itself).
_EVIDENCE_FROM = select(*_EVIDENCE_COLUMNS).join(WorkGroup, WorkGroup.id == Evidence.work_group_id)
_RECENT_DUPLICATE = _EVIDENCE_FROM.where(
    Evidence.workspace_id == bindparam("ws"),
    Evidence.dedupe_key.in_(bindparam("keys", expanding=True)),
    Evidence.removed_at.is_(None),
    Evidence.created_at >= bindparam("since", type_=Evidence.created_at.type),
)
_INSERT_EVIDENCE = insert(Evidence).returning(Evidence.id)
_NEW_EVIDENCE = (
    "workspace_id", "work_group_id", "practice_key", "process_area", "kind", "link", "note", "evidence_date", "created_by",
    "created_at", "dedupe_key",
)  # fmt: skip
# The duplicate check and the insert in one statement: the row goes in unless the same evidence is there already, and
# RETURNING says which happened. One round trip fewer than a SELECT first, which matters at thousands of adds a second.
_INSERT_UNLESS_DUPLICATE = (
    insert(Evidence)
    .from_select(
        _NEW_EVIDENCE,
        select(*(bindparam(name, type_=Evidence.__table__.c[name].type) for name in _NEW_EVIDENCE)).where(
            ~exists().where(
                Evidence.workspace_id == bindparam("ws"),
                Evidence.dedupe_key.in_(bindparam("keys", expanding=True)),
                Evidence.removed_at.is_(None),
                Evidence.created_at >= bindparam("since", type_=Evidence.created_at.type),
            )
        ),
    )
    .returning(Evidence.id)
)
_INSERT_AUDIT = insert(AuditEntry)
_CHANNEL_GROUP = (
    select(*_GROUP_COLUMNS)
    .join(ChannelBinding, ChannelBinding.work_group_id == WorkGroup.id)
    .where(
        ChannelBinding.workspace_id == bindparam("ws"),
        ChannelBinding.channel_id == bindparam("channel"),
        WorkGroup.workspace_id == bindparam("ws"),
    )
)


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class Store(DigestMixin):
    """All persistence for one database. `clock` gives aware UTC times (tests fix it)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.clock = clock
        self.inbox = Inbox(engine, lambda: self.clock(), self._connection)
        self.feedback = FeedbackStore(lambda: self.clock(), self._connection)
        self.people = People(lambda: self.clock(), self._connection)
        self.threads = Threads(lambda: self.clock(), self._connection)
        self.freshness = Freshness(lambda: self.clock(), self._connection)
        self.settings = WorkspaceSettings(lambda: self.clock(), self._connection)
        self.reminders = Reminders(lambda: self.clock(), self._connection)
        self.audit_trail = AuditTrail(self._connection)

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[Connection]:
        """One transaction on one connection; database outages become StoreUnavailable."""
        try:
            with self.engine.connect() as connection:
                if write:
                    connection.execution_options(write=True)
                with connection.begin():
                    yield connection
                    if write:
                        mark_applied(connection)  # in the same transaction: a delivery's write and "it was applied" commit together
        except IntegrityError:
            raise
        except (OperationalError, InterfaceError) as exc:
            raise StoreUnavailable(str(exc.orig) if exc.orig else str(exc)) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable(str(exc)) from exc
            raise

    @contextmanager
    def _session(self, write: bool = False) -> Iterator[Session]:
        with self._connection(write) as connection, Session(bind=connection, expire_on_commit=False) as session:
            yield session
            session.flush()

    def _audit(
        self, s: Session, ws: str, actor: str, action: str, entity: str, entity_id: object, before: dict | None, after: dict | None
    ) -> None:
        s.add(
            AuditEntry(
                workspace_id=ws,
                actor=actor,
                at=self.clock(),
                action=action,
                entity=entity,
                entity_id=str(entity_id),
                before=before,
                after=after,
            )
        )

    # ---- work groups ----------------------------------------------------------------------------
    def add_group(self, ws: str, name: str, actor: str) -> Group:
        name = " ".join(name.split())
        try:
            with self._session(write=True) as s:
                if s.scalar(select(WorkGroup).where(WorkGroup.workspace_id == ws, WorkGroup.name_key == name_key(name))):
                    raise Conflict(name)
                row = WorkGroup(workspace_id=ws, name=name, name_key=name_key(name), created_by=actor, created_at=self.clock())
                s.add(row)
                s.flush()
                self._audit(s, ws, actor, "group.add", "work_group", row.id, None, {"name": name})
                return _group(row)
        except IntegrityError as exc:  # a concurrent add of the same name
            raise Conflict(name) from exc

    def list_groups(self, ws: str) -> list[Group]:
        with self._session() as s:
            return [_group(r) for r in s.scalars(select(WorkGroup).where(WorkGroup.workspace_id == ws).order_by(WorkGroup.name_key))]

    def find_group(self, ws: str, name: str) -> Group | None:
        q = select(*_GROUP_COLUMNS).where(WorkGroup.workspace_id == ws, WorkGroup.name_key == name_key(name))
        with self._connection() as c:
            row = c.execute(q).first()
            return Group(*row) if row else None

    def rename_group(self, ws: str, old: str, new: str, actor: str, is_admin: bool) -> Group:
        new = " ".join(new.split())
        try:
            with self._session(write=True) as s:
                row = s.scalar(select(WorkGroup).where(WorkGroup.workspace_id == ws, WorkGroup.name_key == name_key(old)))
                if row is None:
                    raise NotFound(old)
                if not (is_admin or row.created_by == actor):
                    raise Forbidden(row.created_by)  # who may: its creator (or an admin)
                clash = s.scalar(
                    select(WorkGroup).where(WorkGroup.workspace_id == ws, WorkGroup.name_key == name_key(new), WorkGroup.id != row.id)
                )
                if clash:
                    raise Conflict(new)
                before = {"name": row.name}
                row.name, row.name_key = new, name_key(new)
                self._audit(s, ws, actor, "group.rename", "work_group", row.id, before, {"name": new})
                return _group(row)
        except IntegrityError as exc:
            raise Conflict(new) from exc

    def bind_channel(self, ws: str, channel: str, group_id: int, actor: str) -> None:
        with self._session(write=True) as s:
            row = s.scalar(select(ChannelBinding).where(ChannelBinding.workspace_id == ws, ChannelBinding.channel_id == channel))
            before = {"work_group_id": row.work_group_id} if row else None
            if row is None:
                s.add(ChannelBinding(workspace_id=ws, channel_id=channel, work_group_id=group_id, bound_by=actor, bound_at=self.clock()))
            else:
                row.work_group_id, row.bound_by, row.bound_at = group_id, actor, self.clock()
            self._audit(s, ws, actor, "channel.bind", "channel", channel, before, {"work_group_id": group_id})

    def channel_group(self, ws: str, channel: str) -> Group | None:
        with self._connection() as c:
            row = c.execute(_CHANNEL_GROUP, {"ws": ws, "channel": channel}).first()
            return Group(*row) if row else None

    # ---- evidence -------------------------------------------------------------------------------
    def add_evidence(
        self, ws: str, group: Group, practice_key: str, process_area: str, kind: str, link: str | None, note: str | None,
        evidence_date: date, actor: str,
    ) -> tuple[EvidenceItem, bool]:  # fmt: skip
        """Store one piece of evidence; returns (item, created). The same evidence from the same person
        within DEDUPE_WINDOW (a retried chat request) returns the stored item with created=False."""
        if kind not in KINDS:
            raise ValueError(kind)
        now = self.clock()
        digest = hashlib.sha256("\x1f".join((ws, str(group.id), practice_key, link or "", note or "", kind, actor)).encode()).hexdigest()[
            :40
        ]
        bucket = int(now.timestamp() // DEDUPE_WINDOW.total_seconds())
        keys = [f"{digest}@{bucket}", f"{digest}@{bucket - 1}"]

        def existing(c: Connection) -> EvidenceItem | None:
            found = c.execute(_RECENT_DUPLICATE, {"ws": ws, "keys": keys, "since": now - DEDUPE_WINDOW}).first()
            return EvidenceItem(*found) if found else None

        values = dict(
            workspace_id=ws, work_group_id=group.id, practice_key=practice_key, process_area=process_area, kind=kind, link=link,
            note=note, evidence_date=evidence_date, created_by=actor, created_at=now, dedupe_key=keys[0],
        )  # fmt: skip
        try:
            with self._connection(write=True) as c:
                inserted = c.execute(_INSERT_UNLESS_DUPLICATE, {**values, "ws": ws, "keys": keys, "since": now - DEDUPE_WINDOW}).first()
                if inserted is None:
                    found = existing(c)
                    if found is not None:
                        return found, False
                    # PostgreSQL: the duplicate was removed between the two statements; store this one after all.
                    inserted = c.execute(_INSERT_EVIDENCE, values).first()
                evidence_id = inserted[0]
                item = EvidenceItem(
                    evidence_id, group.name, group.id, practice_key, process_area, kind, link, note, evidence_date, actor, now
                )
                audit = dict(
                    action="evidence.add", entity="evidence", entity_id=str(evidence_id), before=None, after=_evidence_snapshot(item)
                )
                c.execute(_INSERT_AUDIT, {"workspace_id": ws, "actor": actor, "at": now, **audit})
                return item, True
        except IntegrityError:
            # the same request raced us into the same bucket: the other insert won, return it
            with self._connection() as c:
                found = existing(c)
                if found is None:
                    raise
                return found, False

    def _evidence_query(self, ws: str) -> Select:
        return _EVIDENCE_FROM.where(Evidence.workspace_id == ws)

    def list_evidence(
        self, ws: str, group_id: int | None = None, practice_keys: set[str] | None = None, process_areas: set[str] | None = None,
        limit: int | None = None, include_removed: bool = False, created_by: str | None = None, offset: int = 0,
    ) -> list[EvidenceItem]:  # fmt: skip
        """Evidence newest first; `offset` and `limit` give one page of it."""
        q = self._evidence_query(ws)
        if created_by is not None:
            q = q.where(Evidence.created_by == created_by)
        if group_id is not None:
            q = q.where(Evidence.work_group_id == group_id)
        if practice_keys is not None:
            q = q.where(Evidence.practice_key.in_(sorted(practice_keys)))
        if process_areas is not None:
            q = q.where(Evidence.process_area.in_(sorted(process_areas)))
        if not include_removed:
            q = q.where(Evidence.removed_at.is_(None))
        q = q.order_by(Evidence.id.desc())
        if limit is not None:
            q = q.limit(limit)
        if offset:
            q = q.offset(offset)
        with self._connection() as c:
            return [EvidenceItem(*row) for row in c.execute(q)]

    def count_evidence(
        self, ws: str, group_id: int | None = None, practice_keys: set[str] | None = None, process_areas: set[str] | None = None
    ) -> int:
        q = select(func.count(Evidence.id)).where(Evidence.workspace_id == ws, Evidence.removed_at.is_(None))
        if group_id is not None:
            q = q.where(Evidence.work_group_id == group_id)
        if practice_keys is not None:
            q = q.where(Evidence.practice_key.in_(sorted(practice_keys)))
        if process_areas is not None:
            q = q.where(Evidence.process_area.in_(sorted(process_areas)))
        with self._session() as s:
            return int(s.scalar(q) or 0)

    def get_evidence(self, ws: str, evidence_id: int) -> tuple[EvidenceItem, list[AuditItem]]:
        audit_q = (
            select(AuditEntry.actor, AuditEntry.at, AuditEntry.action, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.workspace_id == ws, AuditEntry.entity == "evidence", AuditEntry.entity_id == str(evidence_id))
            .order_by(AuditEntry.id)
        )
        if not 0 < evidence_id <= MAX_ROW_ID:
            raise NotFound(evidence_id)
        with self._connection() as c:
            found = c.execute(self._evidence_query(ws).where(Evidence.id == evidence_id)).first()
            if found is None:
                raise NotFound(evidence_id)
            return EvidenceItem(*found), [AuditItem(*row) for row in c.execute(audit_q)]

    def remove_evidence(self, ws: str, evidence_id: int, actor: str, is_admin: bool) -> EvidenceItem:
        """Mark evidence removed (kept for the audit trail). Only its author or a workspace admin may."""
        if not 0 < evidence_id <= MAX_ROW_ID:
            raise NotFound(evidence_id)
        with self._connection(write=True) as c:
            found = c.execute(self._evidence_query(ws).where(Evidence.id == evidence_id)).first()
            if found is None:
                raise NotFound(evidence_id)
            item = EvidenceItem(*found)
            if item.removed_at is not None:
                raise Conflict(f"evidence #{evidence_id} was already removed")
            if not (is_admin or item.created_by == actor):
                raise Forbidden(item.created_by)
            now = self.clock()
            # a new dedupe key frees the old one, so the same evidence can be logged again
            c.execute(
                update(Evidence)
                .where(Evidence.workspace_id == ws, Evidence.id == evidence_id)
                .values(removed_by=actor, removed_at=now, dedupe_key=f"removed:{evidence_id}")
            )
            removed = replace(item, removed_by=actor, removed_at=now)
            c.execute(
                insert(AuditEntry).values(
                    workspace_id=ws,
                    actor=actor,
                    at=now,
                    action="evidence.remove",
                    entity="evidence",
                    entity_id=str(evidence_id),
                    before=_evidence_snapshot(item),
                    after=_evidence_snapshot(removed),
                )
            )
            return removed

    def evidence_counts(self, ws: str, group_id: int | None = None) -> dict[tuple[int, str], int]:
        """Live evidence per (group, practice key), counted in the database."""
        q = (
            select(Evidence.work_group_id, Evidence.practice_key, func.count(Evidence.id))
            .where(Evidence.workspace_id == ws, Evidence.removed_at.is_(None))
            .group_by(Evidence.work_group_id, Evidence.practice_key)
        )
        if group_id is not None:
            q = q.where(Evidence.work_group_id == group_id)
        with self._session() as s:
            return {(g, k): int(n) for g, k, n in s.execute(q)}

    # ---- ratings --------------------------------------------------------------------------------
    def rate(
        self, ws: str, group: Group, practice_key: str, process_area: str, value: str, note: str | None, actor: str
    ) -> tuple[RatingItem, RatingItem | None]:
        """Record a characterization (history is kept); returns (new, previous)."""
        if value not in RATINGS:
            raise ValueError(value)
        with self._session(write=True) as s:
            previous = s.scalar(
                select(Rating)
                .where(Rating.workspace_id == ws, Rating.work_group_id == group.id, Rating.practice_key == practice_key)
                .order_by(Rating.id.desc())
                .limit(1)
            )
            row = Rating(
                workspace_id=ws, work_group_id=group.id, practice_key=practice_key, process_area=process_area, value=value, note=note,
                rated_by=actor, rated_at=self.clock(),
            )  # fmt: skip
            s.add(row)
            s.flush()
            before = {"value": previous.value, "note": previous.note} if previous else None
            self._audit(
                s,
                ws,
                actor,
                "rating.set",
                "rating",
                f"{group.id}:{practice_key}",
                before,
                {"group": group.name, "value": value, "note": note},
            )
            return _rating(row), _rating(previous) if previous else None

    def current_ratings(self, ws: str, group_id: int | None = None) -> dict[tuple[int, str], RatingItem]:
        latest = select(func.max(Rating.id)).where(Rating.workspace_id == ws).group_by(Rating.work_group_id, Rating.practice_key)
        if group_id is not None:
            latest = latest.where(Rating.work_group_id == group_id)
        with self._session() as s:
            rows = s.scalars(select(Rating).where(Rating.workspace_id == ws, Rating.id.in_(latest)))
            return {(r.work_group_id, r.practice_key): _rating(r) for r in rows}

    def rating_history(self, ws: str, group_id: int, practice_key: str) -> list[RatingItem]:
        with self._session() as s:
            rows = s.scalars(
                select(Rating)
                .where(Rating.workspace_id == ws, Rating.work_group_id == group_id, Rating.practice_key == practice_key)
                .order_by(Rating.id)
            )
            return [_rating(r) for r in rows]
