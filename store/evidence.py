"""Evidence of practices per work group: add (with retry de-duplication), list, count, read with its history, remove."""

from __future__ import annotations

import builtins
import hashlib
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Connection, RowMapping, bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from store.audit import write_audit
from store.database import Database
from store.errors import MAX_ROW_ID, Conflict, Forbidden, NotFound
from store.records import KINDS, AuditItem, EvidenceItem, Group, JsonObject
from store.schema import AuditEntry, Evidence, WorkGroup, evidence_columns

DEDUPE_WINDOW = timedelta(minutes=10)

_EVIDENCE_COLUMNS = evidence_columns(EvidenceItem)

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
    "workspace_id",
    "work_group_id",
    "practice_key",
    "process_area",
    "kind",
    "link",
    "note",
    "evidence_date",
    "created_by",
    "created_at",
    "dedupe_key",
)
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


def _item(row: RowMapping) -> EvidenceItem:
    return EvidenceItem(**row)


def _snapshot(item: EvidenceItem) -> JsonObject:
    """What the audit log keeps of an evidence item."""
    return {
        "practice": item.practice_key,
        "group": item.group,
        "kind": item.kind,
        "link": item.link,
        "note": item.note,
        "date": item.evidence_date.isoformat(),
        "removed": item.removed_at is not None,
    }


def _dedupe_keys(workspace_id: str, group_id: int, fields: tuple[str, ...], bucket: int) -> list[str]:
    digest = hashlib.sha256("\x1f".join((workspace_id, str(group_id), *fields)).encode()).hexdigest()[:40]
    return [f"{digest}@{bucket}", f"{digest}@{bucket - 1}"]


def _matching(
    workspace_id: str, group_id: int | None, practice_keys: set[str] | None, process_areas: set[str] | None
) -> list[ColumnElement[bool]]:
    """The conditions that pick a workspace's evidence, narrowed to a group, practices and process areas when given."""
    where = [Evidence.workspace_id == workspace_id]
    if group_id is not None:
        where.append(Evidence.work_group_id == group_id)
    if practice_keys is not None:
        where.append(Evidence.practice_key.in_(sorted(practice_keys)))
    if process_areas is not None:
        where.append(Evidence.process_area.in_(sorted(process_areas)))
    return where


class EvidenceRepository:
    """The evidence of one database, scoped to one workspace per call."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def add(
        self,
        *,
        workspace_id: str,
        group: Group,
        practice_key: str,
        process_area: str,
        kind: str,
        link: str | None,
        note: str | None,
        evidence_date: date,
        actor: str,
    ) -> tuple[EvidenceItem, bool]:
        """Store one piece of evidence; returns (item, created). The same evidence from the same person
        within DEDUPE_WINDOW (a retried chat request) returns the stored item with created=False."""
        if kind not in KINDS:
            raise ValueError(kind)
        now = self._database.now()
        bucket = int(now.timestamp() // DEDUPE_WINDOW.total_seconds())
        keys = _dedupe_keys(workspace_id, group.id, (practice_key, link or "", note or "", kind, actor), bucket)
        duplicate = {"ws": workspace_id, "keys": keys, "since": now - DEDUPE_WINDOW}

        def existing(c: Connection) -> EvidenceItem | None:
            found = c.execute(_RECENT_DUPLICATE, duplicate).first()
            return _item(found._mapping) if found else None

        values = {
            "workspace_id": workspace_id,
            "work_group_id": group.id,
            "practice_key": practice_key,
            "process_area": process_area,
            "kind": kind,
            "link": link,
            "note": note,
            "evidence_date": evidence_date,
            "created_by": actor,
            "created_at": now,
            "dedupe_key": keys[0],
        }
        try:
            with self._database.connection(write=True) as c:
                inserted = c.execute(_INSERT_UNLESS_DUPLICATE, {**values, **duplicate}).first()
                if inserted is None:
                    found = existing(c)
                    if found is not None:
                        return found, False
                    # PostgreSQL: the duplicate was removed between the two statements; store this one after all.
                    inserted = c.execute(_INSERT_EVIDENCE, values).first()
                assert inserted is not None  # an INSERT ... RETURNING without a WHERE always returns its row
                evidence_id: int = inserted[0]
                item = EvidenceItem(
                    id=evidence_id,
                    group=group.name,
                    group_id=group.id,
                    practice_key=practice_key,
                    process_area=process_area,
                    kind=kind,
                    link=link,
                    note=note,
                    evidence_date=evidence_date,
                    created_by=actor,
                    created_at=now,
                )
                write_audit(
                    c, workspace_id=workspace_id, actor=actor, at=now, action="evidence.add", entity_id=evidence_id, after=_snapshot(item)
                )
                return item, True
        except IntegrityError:
            # the same request raced us into the same bucket: the other insert won, return it
            with self._database.connection() as c:
                found = existing(c)
                if found is None:
                    raise
                return found, False

    def list(
        self,
        *,
        workspace_id: str,
        group_id: int | None = None,
        practice_keys: set[str] | None = None,
        process_areas: set[str] | None = None,
        limit: int | None = None,
        include_removed: bool = False,
        created_by: str | None = None,
        offset: int = 0,
    ) -> list[EvidenceItem]:
        """Evidence newest first; `offset` and `limit` give one page of it."""
        q = _EVIDENCE_FROM.where(*_matching(workspace_id, group_id, practice_keys, process_areas))
        if created_by is not None:
            q = q.where(Evidence.created_by == created_by)
        if not include_removed:
            q = q.where(Evidence.removed_at.is_(None))
        q = q.order_by(Evidence.id.desc())
        if limit is not None:
            q = q.limit(limit)
        if offset:
            q = q.offset(offset)
        with self._database.connection() as c:
            return [_item(row._mapping) for row in c.execute(q)]

    def count(
        self,
        *,
        workspace_id: str,
        group_id: int | None = None,
        practice_keys: set[str] | None = None,
        process_areas: set[str] | None = None,
    ) -> int:
        """How much live evidence matches."""
        q = select(func.count(Evidence.id)).where(
            *_matching(workspace_id, group_id, practice_keys, process_areas), Evidence.removed_at.is_(None)
        )
        with self._database.connection() as c:
            return int(c.execute(q).scalar() or 0)

    def get(self, *, workspace_id: str, evidence_id: int) -> tuple[EvidenceItem, builtins.list[AuditItem]]:
        """One evidence item (live or removed) and its audit history, oldest first. Raises NotFound."""
        audit_q = (
            select(AuditEntry.actor, AuditEntry.at, AuditEntry.action, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.workspace_id == workspace_id, AuditEntry.entity == "evidence", AuditEntry.entity_id == str(evidence_id))
            .order_by(AuditEntry.id)
        )
        if not 0 < evidence_id <= MAX_ROW_ID:
            raise NotFound(evidence_id)
        with self._database.connection() as c:
            found = c.execute(_EVIDENCE_FROM.where(Evidence.workspace_id == workspace_id).where(Evidence.id == evidence_id)).first()
            if found is None:
                raise NotFound(evidence_id)
            return _item(found._mapping), [AuditItem(**row._mapping) for row in c.execute(audit_q)]

    def remove(self, *, workspace_id: str, evidence_id: int, actor: str, is_admin: bool) -> EvidenceItem:
        """Mark evidence removed (kept for the audit trail). Only its author or a workspace admin may."""
        if not 0 < evidence_id <= MAX_ROW_ID:
            raise NotFound(evidence_id)
        with self._database.connection(write=True) as c:
            found = c.execute(_EVIDENCE_FROM.where(Evidence.workspace_id == workspace_id).where(Evidence.id == evidence_id)).first()
            if found is None:
                raise NotFound(evidence_id)
            item = _item(found._mapping)
            if item.removed_at is not None:
                raise Conflict(f"evidence #{evidence_id} was already removed")
            if not (is_admin or item.created_by == actor):
                raise Forbidden(item.created_by)
            now = self._database.now()
            # a new dedupe key frees the old one, so the same evidence can be logged again
            c.execute(
                update(Evidence)
                .where(Evidence.workspace_id == workspace_id, Evidence.id == evidence_id)
                .values(removed_by=actor, removed_at=now, dedupe_key=f"removed:{evidence_id}")
            )
            removed = replace(item, removed_by=actor, removed_at=now)
            write_audit(
                c,
                workspace_id=workspace_id,
                actor=actor,
                at=now,
                action="evidence.remove",
                entity_id=evidence_id,
                before=_snapshot(item),
                after=_snapshot(removed),
            )
            return removed

    def counts(self, *, workspace_id: str, group_id: int | None = None) -> dict[tuple[int, str], int]:
        """Live evidence per (group, practice key), counted in the database."""
        q = (
            select(Evidence.work_group_id, Evidence.practice_key, func.count(Evidence.id))
            .where(Evidence.workspace_id == workspace_id, Evidence.removed_at.is_(None))
            .group_by(Evidence.work_group_id, Evidence.practice_key)
        )
        if group_id is not None:
            q = q.where(Evidence.work_group_id == group_id)
        with self._database.connection() as c:
            return {(g, k): int(n) for g, k, n in c.execute(q)}
