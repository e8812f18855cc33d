"""Votes on answers (👍/👎): the question, what it was answered with, and the workspace, kept to become evaluation data.

One vote per person and question: voting again changes the vote (a person who pressed 👍 by mistake and then 👎 has
said 👎). Export reads across workspaces only when asked to by the host's command line, never from a chat request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from store.database import Database
from store.schema import Feedback

VOTES = ("good", "bad")


@dataclass(frozen=True)
class Vote:
    id: int
    workspace_id: str
    user_id: str
    question: str
    vote: str  # good | bad
    result_ids: tuple[str, ...]  # the answer's top results when the vote was given, best first
    created_at: datetime


_COLUMNS = (
    Feedback.id,
    Feedback.workspace_id,
    Feedback.user_id,
    Feedback.question,
    Feedback.vote,
    Feedback.results,
    Feedback.created_at,
)


def _vote(row: Any) -> Vote:
    fields = dict(row._mapping)
    fields["result_ids"] = tuple((fields.pop("results") or {}).get("ids") or ())
    return Vote(**fields)


class FeedbackStore:
    """The feedback of one database. Every method is one short transaction; `clock` gives aware UTC times."""

    def __init__(self, database: Database) -> None:
        self._database = database  # outages become StoreUnavailable, SQLite writes begin IMMEDIATE

    def record(self, *, workspace_id: str, user_id: str, question: str, vote: str, result_ids: list[str]) -> Vote:
        """Store a person's vote on a question's answer, replacing their earlier vote on the same question."""
        if vote not in VOTES:
            raise ValueError(vote)
        values = dict(vote=vote, results={"ids": list(result_ids)}, created_at=self._database.now())
        mine = (Feedback.workspace_id == workspace_id, Feedback.user_id == user_id, Feedback.question == question)
        with self._database.connection(write=True) as c:
            found = c.execute(select(Feedback.id).where(*mine).order_by(Feedback.id).limit(1)).scalar()
            if found is None:
                found = c.execute(
                    insert(Feedback).values(workspace_id=workspace_id, user_id=user_id, question=question, **values).returning(Feedback.id)
                ).scalar_one()
            else:
                c.execute(update(Feedback).where(Feedback.id == found).values(**values))
            return _vote(c.execute(select(*_COLUMNS).where(Feedback.id == found)).one())

    def votes(self, *, workspace_id: str | None = None, since: datetime | None = None) -> list[Vote]:
        """Votes oldest first: one workspace's, or (for the host's export) every workspace's; from `since` on."""
        q = select(*_COLUMNS).order_by(Feedback.created_at, Feedback.id)
        if workspace_id is not None:
            q = q.where(Feedback.workspace_id == workspace_id)
        if since is not None:
            q = q.where(Feedback.created_at >= since)
        with self._database.connection() as c:
            return [_vote(row) for row in c.execute(q)]
