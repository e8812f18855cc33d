"""People's display names per workspace, as a transport last showed them, so replies can name people instead of IDs.

Teams sends the sender's name with every activity (and each mentioned person's with the mention) but offers no cheap
look-up by ID, so the names are remembered here: written when first seen or when they change, read when a reply
names someone. Each call is one short transaction, scoped to one workspace."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from store.database import Database
from store.schema import ID_LENGTH, Person

MAX_NAME = 255  # the column's length; longer names are cut, never refused
LOOKUP_BATCH = 500  # IDs per IN (...) query: a reply names a few people, a digest a few dozen


@dataclass(frozen=True)
class Named:
    workspace_id: str
    user_id: str
    name: str
    updated_at: datetime


def clean_name(name: str) -> str:
    """A display name as stored: whitespace runs as one space, control characters dropped, at most MAX_NAME characters."""
    cleaned = "".join(" " if ch.isspace() else ch for ch in name if ch.isprintable() or ch.isspace())
    return " ".join(cleaned.split())[:MAX_NAME]


class People:
    """Display names of one database. `clock` gives aware UTC times; `connection` is the Store's (outages become
    StoreUnavailable, SQLite writes begin IMMEDIATE)."""

    def __init__(self, database: Database) -> None:
        self._database = database  # outages become StoreUnavailable, SQLite writes begin IMMEDIATE

    def remember(self, *, workspace_id: str, user_id: str, name: str) -> bool:
        """Store a person's name when it is new or has changed; True when something was written. Empty names, and IDs
        longer than any the app accepts, are ignored."""
        name = clean_name(name)
        if not name or not user_id or len(user_id) > ID_LENGTH or not workspace_id or len(workspace_id) > ID_LENGTH:
            return False
        where = (Person.workspace_id == workspace_id, Person.user_id == user_id)
        with self._database.connection() as c:
            known = c.execute(select(Person.name).where(*where)).scalar_one_or_none()
        if known == name:
            return False
        try:
            with self._database.connection(write=True) as c:
                if known is None:
                    c.execute(insert(Person).values(workspace_id=workspace_id, user_id=user_id, name=name, updated_at=self._database.now()))
                else:
                    c.execute(update(Person).where(*where).values(name=name, updated_at=self._database.now()))
        except IntegrityError:
            # Another replica stored this person a moment ago: the newest name wins.
            with self._database.connection(write=True) as c:
                c.execute(update(Person).where(*where).values(name=name, updated_at=self._database.now()))
        return True

    def names(self, *, workspace_id: str, user_ids: Iterable[str]) -> dict[str, str]:
        """The known names of these people in this workspace, by user ID (people never seen are left out)."""
        wanted = sorted({u for u in user_ids if u and len(u) <= ID_LENGTH})
        found: dict[str, str] = {}
        with self._database.connection() as c:
            for i in range(0, len(wanted), LOOKUP_BATCH):
                rows = c.execute(
                    select(Person.user_id, Person.name).where(
                        Person.workspace_id == workspace_id, Person.user_id.in_(wanted[i : i + LOOKUP_BATCH])
                    )
                )
                found.update({user_id: name for user_id, name in rows})
        return found

    def get(self, *, workspace_id: str, user_id: str) -> Named | None:
        with self._database.connection() as c:
            row = c.execute(
                select(Person.workspace_id, Person.user_id, Person.name, Person.updated_at).where(
                    Person.workspace_id == workspace_id, Person.user_id == user_id
                )
            ).first()
        return Named(**row._mapping) if row else None
