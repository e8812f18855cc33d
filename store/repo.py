"""The one object callers receive: every repository of one database, composed over a shared Database.

Each repository's methods take keyword arguments, scope every call to one workspace (the scheduler's cross-workspace
reads aside) and return plain frozen dataclasses.
"""

from __future__ import annotations

from sqlalchemy import Engine

from store.audit import Audit
from store.database import Clock, Database, utc_now
from store.digests import Digests
from store.evidence import EvidenceRepository
from store.feedback import FeedbackStore
from store.freshness import Freshness
from store.groups import Groups
from store.inbox import Inbox
from store.people import People
from store.ratings import Ratings
from store.reminders import Reminders
from store.settings import WorkspaceSettings
from store.threads import Threads


class Store:
    """All persistence for one database. `clock` gives aware UTC times (tests fix it, or replace it later)."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.database = Database(engine, clock)
        self.groups = Groups(self.database)
        self.evidence = EvidenceRepository(self.database)
        self.ratings = Ratings(self.database)
        self.digests = Digests(self.database)
        self.audit = Audit(self.database)
        self.inbox = Inbox(self.database)
        self.feedback = FeedbackStore(self.database)
        self.people = People(self.database)
        self.threads = Threads(self.database)
        self.freshness = Freshness(self.database)
        self.settings = WorkspaceSettings(self.database)
        self.reminders = Reminders(self.database)

    @property
    def engine(self) -> Engine:
        return self.database.engine

    @property
    def clock(self) -> Clock:
        return self.database.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        # Every repository reads the time through the one Database, so a clock set here reaches all of them.
        self.database.clock = clock
