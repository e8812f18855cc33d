"""Persistence: SQLAlchemy 2.x over SQLite (default) or PostgreSQL, with Alembic migrations."""

from store.audit import AuditRecord
from store.database import Database
from store.db import make_engine, sqlite_url, upgrade
from store.digests import Activity, Claim, Delivery, Subscription
from store.errors import MAX_ROW_ID, Conflict, Forbidden, NotFound, StoreUnavailable
from store.feedback import Vote
from store.freshness import DueItem, Renewal
from store.groups import name_key
from store.inbox import Received
from store.records import KINDS, RATINGS, AuditItem, EvidenceItem, Group, RatingItem
from store.reminders import ReminderClaim, ReminderRecord
from store.repo import Store

__all__ = [
    "KINDS",
    "MAX_ROW_ID",
    "RATINGS",
    "Activity",
    "AuditItem",
    "AuditRecord",
    "Claim",
    "Conflict",
    "Database",
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
    "name_key",
    "sqlite_url",
    "upgrade",
]
