"""The audit log: each change written in the changing transaction, and read back for a report (oldest first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from store.database import Database
from store.records import JsonObject
from store.schema import AuditEntry

_INSERT_AUDIT = insert(AuditEntry)


# What an audited action changes follows from its name: "group.add" changes a work group, "digest.pause" a subscription.
ENTITY_OF_ACTION = {
    "group": "work_group",
    "channel": "channel",
    "evidence": "evidence",
    "rating": "rating",
    "setting": "workspace_setting",
    "digest": "digest_subscription",
}


def write_audit(
    connection: Connection,
    *,
    workspace_id: str,
    actor: str,
    at: datetime,
    action: str,
    entity_id: object,
    before: JsonObject | None = None,
    after: JsonObject | None = None,
) -> None:
    """One audit row, on the caller's connection: the change and its audit row commit or roll back together."""
    entity = ENTITY_OF_ACTION[action.split(".", 1)[0]]
    values = {"workspace_id": workspace_id, "actor": actor, "at": at, "action": action, "entity": entity, "entity_id": str(entity_id)}
    connection.execute(_INSERT_AUDIT, {**values, "before": before, "after": after})


@dataclass(frozen=True)
class AuditRecord:
    actor: str
    at: datetime
    action: str
    before: JsonObject | None
    after: JsonObject | None
    entity: str  # evidence | rating
    entity_id: str  # the evidence number, or "<work group id>:<practice key>" for a rating


_RECORD_COLUMNS = (
    AuditEntry.actor,
    AuditEntry.at,
    AuditEntry.action,
    AuditEntry.before,
    AuditEntry.after,
    AuditEntry.entity,
    AuditEntry.entity_id,
)


class Audit:
    """Reads of one database's audit log, scoped to one workspace per call."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def for_scope(self, *, workspace_id: str, evidence_ids: set[int], rating_keys: set[tuple[int, str]]) -> list[AuditRecord]:
        """Every audit entry about these evidence items and these (work group, practice) ratings, oldest first.
        Read in one pass over the workspace's evidence and rating entries: a scope's ID list can run to thousands."""
        evidence = {str(i) for i in evidence_ids}
        ratings = {f"{g}:{k}" for g, k in rating_keys}
        q = (
            select(*_RECORD_COLUMNS)
            .where(AuditEntry.workspace_id == workspace_id, AuditEntry.entity.in_(("evidence", "rating")))
            .order_by(AuditEntry.id)
        )
        with self._database.connection() as c:
            return [
                AuditRecord(**row._mapping) for row in c.execute(q) if row.entity_id in (evidence if row.entity == "evidence" else ratings)
            ]
