"""Evidence freshness: when each item was last confirmed (its date, or a later "still valid"), what is due, and renewals.

An item's review starts from its base date: the day it was last confirmed still valid (reviewed_on), else its
evidence date. The review period and the cut-off day are the caller's (handlers know the workspace's setting and
the calendar arithmetic); here an item is due when its base date is before the cut-off given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select, update

from store.audit import write_audit
from store.database import Database
from store.errors import MAX_ROW_ID, Conflict, Forbidden, NotFound
from store.records import EvidenceFacts
from store.schema import Evidence, WorkGroup, evidence_columns


@dataclass(frozen=True)
class DueItem(EvidenceFacts):
    """A live evidence item with what its review depends on."""

    reviewed_on: date | None
    created_by: str

    @property
    def base(self) -> date:
        """The day the review period starts from."""
        return self.reviewed_on or self.evidence_date


@dataclass(frozen=True)
class Renewal:
    id: int
    practice_key: str
    group: str
    evidence_date: date
    reviewed_on: date
    reviewed_by: str
    previous: date | None  # the earlier "still valid" day, if any
    created_by: str
    changed: bool  # False when it had already been renewed that day: nothing was written


# An item's review starts from its base date; due_by_group in store.digests ranks by it too.
DUE_BASE = func.coalesce(Evidence.reviewed_on, Evidence.evidence_date)
DUE_COLUMNS = evidence_columns(DueItem)


class Freshness:
    """Review dates of one database's evidence. Every method is one short transaction, scoped to one workspace
    (except `workspaces`, which the weekly reminder job uses to find them)."""

    def __init__(self, database: Database) -> None:
        self._database = database  # outages become StoreUnavailable, SQLite writes begin IMMEDIATE

    @staticmethod
    def _live(workspace_id: str, group_id: int | None) -> list[ColumnElement[bool]]:
        where = [Evidence.workspace_id == workspace_id, Evidence.removed_at.is_(None)]
        if group_id is not None:
            where.append(Evidence.work_group_id == group_id)
        return where

    def due(
        self,
        *,
        workspace_id: str,
        before: date,
        group_id: int | None = None,
        practice_keys: set[str] | None = None,
        created_by: str | None = None,
        created_before: datetime | None = None,
        limit: int | None = None,
    ) -> list[DueItem]:
        """Live evidence whose base date is before `before`, oldest first (then by number)."""
        q = (
            select(*DUE_COLUMNS)
            .join(WorkGroup, WorkGroup.id == Evidence.work_group_id)
            .where(*self._live(workspace_id, group_id), DUE_BASE < before)
        )
        if practice_keys is not None:
            q = q.where(Evidence.practice_key.in_(sorted(practice_keys)))
        if created_by is not None:
            q = q.where(Evidence.created_by == created_by)
        if created_before is not None:
            q = q.where(Evidence.created_at < created_before)
        q = q.order_by(DUE_BASE, Evidence.id)
        if limit is not None:
            q = q.limit(limit)
        with self._database.connection() as c:
            return [DueItem(**row._mapping) for row in c.execute(q)]

    def due_counts(self, *, workspace_id: str, before: date, group_id: int | None = None) -> dict[tuple[int, str], int]:
        """How many live items per (work group, practice) have a base date before `before`: counted in the database."""
        q = (
            select(Evidence.work_group_id, Evidence.practice_key, func.count(Evidence.id))
            .where(*self._live(workspace_id, group_id), DUE_BASE < before)
            .group_by(Evidence.work_group_id, Evidence.practice_key)
        )
        with self._database.connection() as c:
            return {(g, k): int(n) for g, k, n in c.execute(q)}

    def reviewed(self, *, workspace_id: str, group_id: int | None = None) -> dict[int, date]:
        """Evidence number -> the day it was last confirmed still valid, for live items that ever were."""
        q = select(Evidence.id, Evidence.reviewed_on).where(*self._live(workspace_id, group_id), Evidence.reviewed_on.is_not(None))
        with self._database.connection() as c:
            return {i: d for i, d in c.execute(q) if d is not None}  # the query leaves out None already

    def workspaces(self) -> list[str]:
        """Every workspace with live evidence."""
        with self._database.connection() as c:
            q = select(Evidence.workspace_id).where(Evidence.removed_at.is_(None)).group_by(Evidence.workspace_id)
            return sorted(r[0] for r in c.execute(q))

    def owners_due(self, *, workspace_id: str, before: date, created_before: datetime | None = None) -> list[str]:
        """The people who logged live evidence with a base date before `before`."""
        q = select(Evidence.created_by).where(*self._live(workspace_id, None), DUE_BASE < before)
        if created_before is not None:
            q = q.where(Evidence.created_at < created_before)
        with self._database.connection() as c:
            return sorted(r[0] for r in c.execute(q.group_by(Evidence.created_by)))

    def renew(self, *, workspace_id: str, evidence_id: int, actor: str, is_admin: bool, on: date) -> Renewal:
        """Evidence still valid on `on`: its review period starts again that day. Only its author or a workspace
        admin may; removed evidence cannot be renewed. Audited (evidence.renew). Raises NotFound, Forbidden, Conflict."""
        if not 0 < evidence_id <= MAX_ROW_ID:
            raise NotFound(evidence_id)
        where = (Evidence.workspace_id == workspace_id, Evidence.id == evidence_id)
        with self._database.connection(write=True) as c:
            row = c.execute(
                select(
                    Evidence.practice_key,
                    WorkGroup.name,
                    Evidence.evidence_date,
                    Evidence.reviewed_on,
                    Evidence.reviewed_by,
                    Evidence.created_by,
                    Evidence.removed_at,
                )
                .join(WorkGroup, WorkGroup.id == Evidence.work_group_id)
                .where(*where)
            ).first()
            if row is None:
                raise NotFound(evidence_id)
            key, group, dated, previous, previous_by, owner, removed_at = row
            if removed_at is not None:
                raise Conflict(f"evidence #{evidence_id} was removed")
            if not (is_admin or owner == actor):
                raise Forbidden(owner)
            if previous == on:
                return Renewal(evidence_id, key, group, dated, on, previous_by or actor, previous, owner, changed=False)
            c.execute(update(Evidence).where(*where).values(reviewed_on=on, reviewed_by=actor))
            before = {"reviewed_on": previous.isoformat() if previous else None, "date": dated.isoformat()}
            after = {"reviewed_on": on.isoformat(), "reviewed_by": actor}
            at = self._database.now()
            write_audit(
                c, workspace_id=workspace_id, actor=actor, at=at, action="evidence.renew", entity_id=evidence_id, before=before, after=after
            )
            return Renewal(evidence_id, key, group, dated, on, actor, previous, owner, changed=True)
