"""Thread context: the model element each chat thread is about (the last one the bot answered there), for follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from store.database import Database
from store.schema import ThreadContext


@dataclass(frozen=True)
class ThreadTopic:
    workspace_id: str
    channel_id: str
    thread_id: str
    element_id: str
    updated_at: datetime


_COLUMNS = (
    ThreadContext.workspace_id,
    ThreadContext.channel_id,
    ThreadContext.thread_id,
    ThreadContext.element_id,
    ThreadContext.updated_at,
)


class Threads:
    """What each thread is about, one row per (workspace, channel, thread). Every method is one short transaction."""

    def __init__(self, database: Database) -> None:
        self._database = database  # outages become StoreUnavailable, SQLite writes begin IMMEDIATE

    def remember(self, *, workspace_id: str, channel_id: str, thread_id: str, element_id: str) -> None:
        """Record that the bot last answered about element_id in this thread (replacing what it was about before)."""
        where = (ThreadContext.workspace_id == workspace_id, ThreadContext.channel_id == channel_id, ThreadContext.thread_id == thread_id)
        now = self._database.now()
        with self._database.connection(write=True) as c:
            if c.execute(update(ThreadContext).where(*where).values(element_id=element_id, updated_at=now)).rowcount:
                return
        try:
            with self._database.connection(write=True) as c:
                c.execute(
                    insert(ThreadContext).values(
                        workspace_id=workspace_id, channel_id=channel_id, thread_id=thread_id, element_id=element_id, updated_at=now
                    )
                )
        except IntegrityError:  # another answer in the same thread recorded it first: the later one wins
            with self._database.connection(write=True) as c:
                c.execute(update(ThreadContext).where(*where).values(element_id=element_id, updated_at=now))

    def topic(self, *, workspace_id: str, channel_id: str, thread_id: str) -> ThreadTopic | None:
        """What the thread is about, or None when the bot has not answered about an element in it."""
        with self._database.connection() as c:
            row = c.execute(
                select(*_COLUMNS).where(
                    ThreadContext.workspace_id == workspace_id, ThreadContext.channel_id == channel_id, ThreadContext.thread_id == thread_id
                )
            ).first()
        return ThreadTopic(**row._mapping) if row else None
