"""One database as the repositories see it: its engine, its clock, and the one way to open a transaction on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, bindparam, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from store.errors import StoreUnavailable
from store.schema import InboxEntry

Clock = Callable[[], datetime]

# The chat delivery whose writes should mark its inbox row applied; set by the edge around dispatch (store.inbox.scope).
_current_delivery: ContextVar[str | None] = ContextVar("cmmi_inbox_key", default=None)
# store.inbox's RECEIVED -> APPLIED, spelled here because the inbox module builds on this one.
_MARK_APPLIED = update(InboxEntry).where(InboxEntry.key == bindparam("k"), InboxEntry.status == "received")


@contextmanager
def scope(key: str | None) -> Iterator[None]:
    """While inside, every write transaction of the store also marks inbox row `key` applied (when it exists)."""
    token = _current_delivery.set(key)
    try:
        yield
    finally:
        _current_delivery.reset(token)


def mark_applied(connection: Connection) -> None:
    """Inside a write transaction: record that the current delivery's write happened."""
    key = _current_delivery.get()
    if key is not None:
        connection.execute(_MARK_APPLIED.values(status="applied"), {"k": key})


def utc_now() -> datetime:
    return datetime.now(UTC)


class Database:
    """The engine and clock every repository shares. `clock` gives aware UTC times; tests replace it."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def connection(self, *, write: bool = False) -> Iterator[Connection]:
        """One transaction on one connection; database outages become StoreUnavailable. A write transaction begins
        IMMEDIATE on SQLite (see store.db) and marks the current delivery applied before it commits."""
        try:
            with self.engine.connect() as connection:
                if write:
                    connection.execution_options(write=True)
                with connection.begin():
                    yield connection
                    if write:
                        mark_applied(connection)  # in the same transaction: a delivery's write and "it was applied" commit together
        except IntegrityError:
            raise
        except (OperationalError, InterfaceError) as exc:
            raise StoreUnavailable(str(exc.orig) if exc.orig else str(exc)) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable(str(exc)) from exc
            raise
