"""The plain frozen dataclasses the store returns for work groups, evidence, ratings and audit entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

RATINGS = ("FI", "LI", "PI", "NI", "NY")
KINDS = ("artifact", "affirmation")

# A JSON column's object as stored (audit snapshots, transport addresses): its values are whatever JSON holds.
JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class EvidenceFacts:
    """What every view of an evidence item carries; the store selects a view's columns by its fields' names."""

    id: int
    group: str
    group_id: int
    practice_key: str
    process_area: str
    kind: str
    link: str | None
    note: str | None
    evidence_date: date


@dataclass(frozen=True)
class EvidenceItem(EvidenceFacts):
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
    before: JsonObject | None
    after: JsonObject | None
