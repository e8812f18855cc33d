"""Persistence: SQLAlchemy 2.x over SQLite (default) or PostgreSQL, with Alembic migrations."""

from store.audit import AuditRecord
from store.db import make_engine, sqlite_url, upgrade
from store.digests import Activity, Claim, Delivery, Subscription
from store.feedback import Vote
from store.freshness import DueItem, Renewal
from store.inbox import Received
from store.reminders import ReminderClaim, ReminderRecord
from store.repo import (
    KINDS,
    RATINGS,
    AuditItem,
    Conflict,
    EvidenceItem,
    Forbidden,
    Group,
    NotFound,
    RatingItem,
    Store,
    StoreUnavailable,
)

__all__ = [
    "KINDS",
    "RATINGS",
    "Activity",
    "AuditItem",
    "AuditRecord",
    "Claim",
    "Conflict",
    "Delivery",
    "DueItem",
    "EvidenceItem",
    "Forbidden",
    "Group",
    "NotFound",
    "RatingItem",
    "Received",
    "ReminderClaim",
    "ReminderRecord",
    "Renewal",
    "Store",
    "StoreUnavailable",
    "Subscription",
    "Vote",
    "make_engine",
    "sqlite_url",
    "upgrade",
]
