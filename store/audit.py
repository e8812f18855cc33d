"""The audit log read back for a report: the changes to the evidence and ratings of one scope, oldest first."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from store.schema import AuditEntry


@dataclass(frozen=True)
class AuditRecord:
    actor: str
    at: datetime
    action: str
    before: dict | None
    after: dict | None
    entity: str  # evidence | rating
    entity_id: str  # the evidence number, or "<work group id>:<practice key>" for a rating


class AuditTrail:
    """Reads of one database's audit log, scoped to one workspace per call."""

    def __init__(self, connection: Callable[..., AbstractContextManager[Connection]]) -> None:
        self._connection = connection

    def for_scope(self, *, workspace_id: str, evidence_ids: set[int], rating_keys: set[tuple[int, str]]) -> list[AuditRecord]:
        """Every audit entry about these evidence items and these (work group, practice) ratings, oldest first.
        Read in one pass over the workspace's evidence and rating entries: a scope's ID list can run to thousands."""
        evidence = {str(i) for i in evidence_ids}
        ratings = {f"{g}:{k}" for g, k in rating_keys}
        q = (
            select(AuditEntry.actor, AuditEntry.at, AuditEntry.action, AuditEntry.before, AuditEntry.after, AuditEntry.entity, AuditEntry.entity_id)
            .where(AuditEntry.workspace_id == workspace_id, AuditEntry.entity.in_(("evidence", "rating")))
            .order_by(AuditEntry.id)
        )  # fmt: skip
        with self._connection() as c:
            return [AuditRecord(*row) for row in c.execute(q) if row.entity_id in (evidence if row.entity == "evidence" else ratings)]
