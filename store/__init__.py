"""Persistence: SQLAlchemy 2.x over SQLite (default) or PostgreSQL, with Alembic migrations."""

from store.db import make_engine, sqlite_url, upgrade
from store.digests import Activity, Claim, Delivery, Subscription
from store.feedback import Vote
from store.inbox import Received
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
    "Claim",
    "Conflict",
    "Delivery",
    "EvidenceItem",
    "Forbidden",
    "Group",
    "NotFound",
    "RatingItem",
    "Received",
    "Store",
    "StoreUnavailable",
    "Subscription",
    "Vote",
    "make_engine",
    "sqlite_url",
    "upgrade",
]
