"""ORM tables (SQLAlchemy 2.x typed): work groups, channel bindings, evidence, ratings, audit log."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint, false
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import KeyedColumnElement, Label
from sqlalchemy.types import TypeDecorator

from store.records import EvidenceFacts, JsonObject

# Same constraint names on SQLite and PostgreSQL, so migrations and `alembic check` agree on both.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Workspace, channel and user IDs: Slack IDs are about 11 characters, Teams user IDs about 90 and personal-chat
# conversation IDs about 131. The app refuses longer ones before they reach the database (handlers.support.parse.check_request).
ID_LENGTH = 255
GROUP_NAME_LENGTH = 80
# Groups are unique by their case-folded name, and folding can triple a character (U+0390 becomes three), so the key
# column holds the longest folded name.
GROUP_KEY_LENGTH = 3 * GROUP_NAME_LENGTH


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC on both databases and always returned timezone-aware.
    SQLite keeps no offset and returns naive values; PostgreSQL returns aware ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict: JSON(), JsonObject: JSON()}


class WorkGroup(Base):
    __tablename__ = "work_group"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    name: Mapped[str] = mapped_column(String(GROUP_NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH))  # case-folded name: "Service Desk" == "service desk"
    created_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime]


class ChannelBinding(Base):
    __tablename__ = "channel_binding"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    channel_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id", ondelete="CASCADE"))
    bound_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    bound_at: Mapped[datetime]


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedupe_key"),
        Index("ix_evidence_scope", "workspace_id", "work_group_id", "practice_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id", ondelete="RESTRICT"))
    practice_key: Mapped[str] = mapped_column(String(24))  # WMC.SP1.6, or WMC.GP2.8 for a generic practice
    process_area: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))  # artifact | affirmation
    link: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    evidence_date: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime]
    removed_by: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    removed_at: Mapped[datetime | None]
    dedupe_key: Mapped[str] = mapped_column(String(80))  # content hash @ time bucket: a retried request stores once
    reviewed_on: Mapped[date | None] = mapped_column(Date)  # "still valid" on this day: the review period starts again
    reviewed_by: Mapped[str | None] = mapped_column(String(255))


# The columns of the store's evidence views (EvidenceItem, DueItem) by field name: the group's name and ID come from
# elsewhere, every other field is the Evidence column of that name.
_EVIDENCE_FIELD_COLUMNS: dict[str, KeyedColumnElement[Any]] = {
    "group": WorkGroup.__table__.c.name,
    "group_id": Evidence.__table__.c.work_group_id,
}


def evidence_columns(view: type[EvidenceFacts]) -> tuple[Label[Any], ...]:
    """The columns to select for an evidence view (joined to its work group), labelled as its fields, so a result
    row builds the dataclass by name."""
    table = Evidence.__table__.c
    return tuple(
        (_EVIDENCE_FIELD_COLUMNS[f.name] if f.name in _EVIDENCE_FIELD_COLUMNS else table[f.name]).label(f.name) for f in fields(view)
    )


class Rating(Base):
    """Every characterization ever given; the newest per (group, practice) is the current one."""

    __tablename__ = "rating"
    __table_args__ = (Index("ix_rating_scope", "workspace_id", "work_group_id", "practice_key", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id", ondelete="RESTRICT"))
    practice_key: Mapped[str] = mapped_column(String(24))
    process_area: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(2))  # FI | LI | PI | NI | NY
    note: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    rated_at: Mapped[datetime]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "workspace_id", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    actor: Mapped[str] = mapped_column(String(ID_LENGTH))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))  # evidence.add, evidence.remove, rating.set, group.add ...
    entity: Mapped[str] = mapped_column(String(24))
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    before: Mapped[JsonObject | None]
    after: Mapped[JsonObject | None]


class DigestSubscription(Base):
    """A channel's weekly digest: when (weekday, local time, IANA zone) and what (group, level)."""

    __tablename__ = "digest_subscription"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    channel_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    transport: Mapped[str] = mapped_column(String(16))  # slack | teams | console
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    local_time: Mapped[str] = mapped_column(String(5))  # HH:MM
    timezone: Mapped[str] = mapped_column(String(64))
    work_group_id: Mapped[int | None] = mapped_column(ForeignKey("work_group.id", ondelete="SET NULL"))
    level: Mapped[int] = mapped_column(Integer)
    quiet_full: Mapped[bool] = mapped_column(default=False)  # a quiet week still gets the full report
    # The readiness heatmap goes with the digest. A server default, so rows written without it (by code that predates
    # it, or a replica not yet upgraded) read as False.
    chart: Mapped[bool] = mapped_column(server_default=false())
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    address: Mapped[JsonObject | None]  # what a transport needs to post proactively (e.g. a Teams conversation reference)
    created_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DigestDelivery(Base):
    """One row per subscription and scheduled week: the database, not a lock, makes it exactly once."""

    __tablename__ = "digest_delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("digest_subscription.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(40))  # the scheduled slot, ISO 8601 in UTC
    status: Mapped[str] = mapped_column(String(16))  # claimed | sent | skipped | failed
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime | None]
    message_ref: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[str | None] = mapped_column(Text)


class InboxEntry(Base):
    """A chat delivery recorded before it was acknowledged (store/inbox.py): unique by the platform's delivery key."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("key"), Index("ix_inbox_open", "status", "received_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255))  # e.g. slack:event:Ev123, slack:command:<trigger_id>
    transport: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # command | event | action | view
    payload: Mapped[JsonObject | None]  # the neutral request and where to answer; emptied once answered
    status: Mapped[str] = mapped_column(String(16))  # received | applied | done | failed
    owner: Mapped[str] = mapped_column(String(120))  # the process that took it (host:pid:nonce)
    received_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]  # when a recovering process claimed it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None]


class Feedback(Base):
    """👍 or 👎 on an answer: the question, what was answered (top results) and the workspace, for cmmi-bot eval."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_workspace", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    question: Mapped[str] = mapped_column(Text)
    vote: Mapped[str] = mapped_column(String(8))  # good | bad
    results: Mapped[JsonObject | None]  # {"ids": [...]}: the answer's top results when the vote was given
    created_at: Mapped[datetime]


class Person(Base):
    """A person's display name as a transport last showed it (Teams: the activity's from.name), to show names not IDs."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime]


class WorkspaceSetting(Base):
    """A workspace's own setting (e.g. review-months), changed by its admins and audited."""

    __tablename__ = "workspace_setting"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(255))
    updated_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime]


class ReminderDelivery(Base):
    """One row per owner and week: the weekly "evidence to review" DM goes out once, like digests (claim rows)."""

    __tablename__ = "reminder_delivery"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    transport: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # claimed | sent | skipped | failed
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(Text)


class ThreadContext(Base):
    """The element a thread is about (the last one the bot answered there): follow-ups without a mention resolve to it."""

    __tablename__ = "thread_context"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id", "thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(24))
    updated_at: Mapped[datetime]
