"""Persistence: SQLAlchemy 2.x over SQLite (default) or PostgreSQL, with Alembic migrations."""

from store.db import make_engine, sqlite_url, upgrade
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
    "AuditItem",
    "Conflict",
    "EvidenceItem",
    "Forbidden",
    "Group",
    "NotFound",
    "RatingItem",
    "Store",
    "StoreUnavailable",
    "make_engine",
    "sqlite_url",
    "upgrade",
]
