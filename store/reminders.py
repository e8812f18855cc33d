"""Weekly evidence reminders, exactly once per owner and week: a unique (workspace, user, period) claim row, as for digests.

A process claims an owner's reminder for the week by inserting its row; a second inserter gets an IntegrityError
and moves on. A claim whose sender crashed is taken over after `stale_after` by an UPDATE guarded on the old claim,
so exactly one taker wins, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from store.database import Database
from store.schema import ReminderDelivery

MAX_ATTEMPTS = 5
CLAIMED, SENT, SKIPPED, FAILED = "claimed", "sent", "skipped", "failed"


@dataclass(frozen=True)
class ReminderClaim:
    delivery_id: int
    workspace_id: str
    user_id: str
    period: str
    attempt: int
    taken_over: bool


@dataclass(frozen=True)
class ReminderRecord:
    workspace_id: str
    user_id: str
    transport: str
    period: str
    status: str
    attempts: int
    detail: str | None


class Reminders:
    """Reminder claims of one database. Every method is one short transaction; `clock` gives aware UTC times."""

    def __init__(self, database: Database) -> None:
        self._database = database  # outages become StoreUnavailable, SQLite writes begin IMMEDIATE

    def finished(self, *, workspace_id: str, period: str) -> set[str]:
        """Owners whose reminder for the period is finished (sent, skipped or failed): one query per workspace and run."""
        q = select(ReminderDelivery.user_id).where(
            ReminderDelivery.workspace_id == workspace_id, ReminderDelivery.period == period, ReminderDelivery.status != CLAIMED
        )
        with self._database.connection() as c:
            return {r[0] for r in c.execute(q)}

    def claim(
        self, *, workspace_id: str, user_id: str, transport: str, period: str, worker: str, stale_after: timedelta
    ) -> ReminderClaim | None:
        """Claim the owner's reminder for the period, or take over a stale claim; None when another has it or it is done."""
        now = self._database.now()
        try:
            with self._database.connection(write=True) as c:
                delivery_id = c.execute(
                    insert(ReminderDelivery)
                    .values(
                        workspace_id=workspace_id,
                        user_id=user_id,
                        transport=transport,
                        period=period,
                        status=CLAIMED,
                        claimed_by=worker,
                        claimed_at=now,
                        attempts=1,
                    )
                    .returning(ReminderDelivery.id)
                ).scalar_one()
                return ReminderClaim(delivery_id, workspace_id, user_id, period, 1, taken_over=False)
        except IntegrityError:
            pass
        with self._database.connection(write=True) as c:
            row = c.execute(
                select(ReminderDelivery.id, ReminderDelivery.status, ReminderDelivery.claimed_at, ReminderDelivery.attempts).where(
                    ReminderDelivery.workspace_id == workspace_id, ReminderDelivery.user_id == user_id, ReminderDelivery.period == period
                )
            ).first()
            if row is None or row.status != CLAIMED or row.claimed_at is None or row.claimed_at > now - stale_after:
                return None
            if row.attempts >= MAX_ATTEMPTS:
                c.execute(
                    update(ReminderDelivery)
                    .where(ReminderDelivery.id == row.id)
                    .values(status=FAILED, detail="gave up after repeated failures")
                )
                return None
            taken = c.execute(
                update(ReminderDelivery)
                .where(ReminderDelivery.id == row.id, ReminderDelivery.status == CLAIMED, ReminderDelivery.claimed_at == row.claimed_at)
                .values(claimed_by=worker, claimed_at=now, attempts=row.attempts + 1)
            )
            if taken.rowcount != 1:
                return None
            return ReminderClaim(row.id, workspace_id, user_id, period, row.attempts + 1, taken_over=True)

    def _finish(self, claim: ReminderClaim, worker: str, **values: object) -> bool:
        with self._database.connection(write=True) as c:
            done = c.execute(
                update(ReminderDelivery)
                .where(ReminderDelivery.id == claim.delivery_id, ReminderDelivery.claimed_by == worker, ReminderDelivery.status == CLAIMED)
                .values(**values)
            )
            return done.rowcount == 1

    def mark_sent(self, *, claim: ReminderClaim, worker: str, detail: str | None = None) -> bool:
        return self._finish(claim, worker, status=SENT, sent_at=self._database.now(), detail=detail[:2000] if detail else None)

    def mark_skipped(self, *, claim: ReminderClaim, worker: str, detail: str) -> bool:
        """Not sent, on purpose (the owner has left the workspace): recorded, and not tried again this period."""
        return self._finish(claim, worker, status=SKIPPED, detail=detail[:2000])

    def release(self, *, claim: ReminderClaim, worker: str, detail: str) -> bool:
        """A transient failure: keep the claim but make it stale at once, so the next run retries."""
        return self._finish(claim, worker, claimed_at=datetime(2000, 1, 1, tzinfo=UTC), detail=detail[:2000])

    def record(self, *, workspace_id: str, user_id: str, period: str) -> ReminderRecord | None:
        q = select(
            ReminderDelivery.workspace_id,
            ReminderDelivery.user_id,
            ReminderDelivery.transport,
            ReminderDelivery.period,
            ReminderDelivery.status,
            ReminderDelivery.attempts,
            ReminderDelivery.detail,
        ).where(ReminderDelivery.workspace_id == workspace_id, ReminderDelivery.user_id == user_id, ReminderDelivery.period == period)
        with self._database.connection() as c:
            row = c.execute(q).first()
            return ReminderRecord(**row._mapping) if row else None
