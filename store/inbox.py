"""Requests recorded as received before a chat platform is told so: nothing acknowledged is lost, nothing retried runs twice.

A transport records a request here (its unique delivery key, and what it needs to finish the request) before it
acknowledges it. The row's key is unique, so a platform's retry of the same delivery, on this replica or another,
finds it and is not handled again. A write the request makes marks the row "applied" in the write's own transaction
(see `scope`), so after a crash the row says whether the work was done. Whatever is still open after
`stale_after` (the process died, or was killed) is claimed by one process and finished: carried out if it was
not, and answered either way. Finished rows keep only their key, until they are purged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from store.database import Database
from store.database import scope as scope  # the edge marks a delivery's writes with inbox.scope(key)
from store.schema import InboxEntry

RECEIVED, APPLIED, DONE, FAILED = "received", "applied", "done", "failed"
MAX_ATTEMPTS = 3  # a request whose finishing failed this often is given up (recorded as failed)
KEEP_FINISHED = timedelta(hours=1)  # platforms retry within minutes; an hour is ample to recognise a retry


@dataclass(frozen=True)
class Received:
    key: str
    transport: str
    workspace_id: str
    kind: str  # command | event | action | view: how the transport answers it
    payload: dict[str, Any]  # what the transport needs to finish it: the neutral request and where to answer
    status: str
    received_at: datetime
    attempts: int

    @property
    def applied(self) -> bool:
        """True when the request's write was committed before the process stopped."""
        return self.status == APPLIED


_COLUMNS = (
    InboxEntry.key,
    InboxEntry.transport,
    InboxEntry.workspace_id,
    InboxEntry.kind,
    InboxEntry.payload,
    InboxEntry.status,
    InboxEntry.received_at,
    InboxEntry.attempts,
)

_RECEIVED_FIELDS = tuple(Received.__dataclass_fields__)


def _received(row: RowMapping) -> Received:
    return Received(**{name: row[name] for name in _RECEIVED_FIELDS})


class Inbox:
    """The inbox of one database. Every method is one short transaction; `clock` gives aware UTC times."""

    def __init__(self, database: Database) -> None:
        self._database = database  # outages become StoreUnavailable, SQLite writes begin IMMEDIATE

    def receive(self, *, key: str, transport: str, workspace_id: str, kind: str, payload: dict[str, Any], owner: str) -> bool:
        """Record a delivery before acknowledging it. False when the key was already received (a retry): do nothing more."""
        values = dict(
            key=key,
            transport=transport,
            workspace_id=workspace_id,
            kind=kind,
            payload=payload,
            status=RECEIVED,
            owner=owner,
            received_at=self._database.now(),
            claimed_at=None,
            attempts=0,
        )
        try:
            with self._database.connection(write=True) as c:
                c.execute(insert(InboxEntry).values(**values))
            return True
        except IntegrityError:
            return False

    def seen(self, *, key: str) -> bool:
        with self._database.connection() as c:
            return c.execute(select(InboxEntry.id).where(InboxEntry.key == key)).first() is not None

    def done(self, *, key: str, status: str = DONE) -> None:
        """The delivery is answered: forget what it said, keep its key (to recognise a late retry) until purged."""
        with self._database.connection(write=True) as c:
            c.execute(update(InboxEntry).where(InboxEntry.key == key).values(status=status, payload=None, done_at=self._database.now()))

    def open_count(self) -> int:
        with self._database.connection() as c:
            return int(c.execute(select(func.count(InboxEntry.id)).where(InboxEntry.status.in_((RECEIVED, APPLIED)))).scalar_one())

    def get(self, *, key: str) -> Received | None:
        with self._database.connection() as c:
            row = c.execute(select(*_COLUMNS).where(InboxEntry.key == key)).first()
            return _received(row._mapping) if row else None

    def claim_stale(self, *, owner: str, stale_after: timedelta, transport: str, limit: int = 50) -> list[Received]:
        """Open deliveries older than stale_after (their process died): claim each for `owner`, at most `limit`.
        A guarded UPDATE makes exactly one process win each, however many replicas look at once."""
        now = self._database.now()
        cutoff = now - stale_after
        with self._database.connection() as c:
            rows = c.execute(
                select(*_COLUMNS, InboxEntry.claimed_at)
                .where(InboxEntry.transport == transport, InboxEntry.status.in_((RECEIVED, APPLIED)), InboxEntry.received_at < cutoff)
                .order_by(InboxEntry.id)
                .limit(limit)
            ).all()
        claimed: list[Received] = []
        for row in rows:
            item, claimed_at = _received(row._mapping), row.claimed_at
            if claimed_at is not None and claimed_at >= cutoff:
                continue  # another process is finishing it right now
            with self._database.connection(write=True) as c:
                if item.attempts >= MAX_ATTEMPTS:
                    c.execute(
                        update(InboxEntry)
                        .where(InboxEntry.key == item.key, InboxEntry.attempts == item.attempts)
                        .values(status=FAILED, payload=None, done_at=now)
                    )
                    continue
                guard = InboxEntry.claimed_at.is_(None) if claimed_at is None else InboxEntry.claimed_at == claimed_at
                won = c.execute(
                    update(InboxEntry)
                    .where(InboxEntry.key == item.key, InboxEntry.status == item.status, guard)
                    .values(owner=owner, claimed_at=now, attempts=item.attempts + 1)
                )
                if won.rowcount == 1:
                    claimed.append(item)
        return claimed

    def purge(self, *, batch: int = 1000, limit: int = 100_000) -> int:
        """Delete rows finished more than KEEP_FINISHED ago, `batch` rows per transaction (a short lock each, however many
        there are), at most `limit` in one call; returns how many went. Open rows are never touched."""
        cutoff = self._database.now() - KEEP_FINISHED
        finished = InboxEntry.status.in_((DONE, FAILED))
        # received_at narrows through ix_inbox_open; done_at, unindexed, is then checked on those few rows only.
        old = select(InboxEntry.id).where(finished, InboxEntry.received_at < cutoff, InboxEntry.done_at < cutoff).limit(batch)
        total = 0
        while total < limit:
            with self._database.connection(write=True) as c:
                ids = [r[0] for r in c.execute(old)]
                if ids:
                    c.execute(delete(InboxEntry).where(InboxEntry.id.in_(ids)))
            total += len(ids)
            if len(ids) < batch:
                break
        return total
