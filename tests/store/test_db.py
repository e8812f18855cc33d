"""SQLite's write-ahead log under pressure: a full database recovers once room is made, and the WAL gives its space back."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError

from bot import console
from handlers import UNAVAILABLE, Context, Request
from store import Store, make_engine, sqlite_url, upgrade
from store.db import SQLITE_JOURNAL_SIZE_LIMIT
from tests.conftest import Clock

NOTE = "confidential-note-7Q2X"
NO_LIMIT = 1_073_741_823  # SQLite's default max_page_count
_N = itertools.count()


@dataclass
class Limited:
    """A real SQLite file whose connections get a page limit (PRAGMA max_page_count): a full disk without filling one."""

    path: Path
    engine: Engine
    ctx: Context
    max_pages: int | None = None

    @property
    def wal_bytes(self) -> int:
        wal = self.path.with_name(self.path.name + "-wal")
        return wal.stat().st_size if wal.exists() else 0

    def add(self) -> tuple[bool, str]:
        """Log one piece of evidence with a long note through the console edge: (ok, what the user sees)."""
        n = next(_N)
        request = Request(
            text=f"evidence add WMC.SP1.6 https://wiki.example.com/review/{n} {NOTE} {'minutes ' * 150}",
            user_id="U1",
            workspace_id="W1",
            channel_id="C1",
        )
        ok, reply, shown = console.handle(request, self.ctx)
        return ok, str(reply.data["evidence_id"]) if ok and reply else shown

    def fill(self) -> set[str]:
        """Add evidence until the database is full; the IDs of what was acknowledged."""
        acknowledged: set[str] = set()
        for _ in range(500):
            ok, shown = self.add()
            if not ok:
                assert shown == UNAVAILABLE  # "nothing was recorded, try again", never the apology
                return acknowledged
            acknowledged.add(shown)
        raise AssertionError("the page limit never filled the database")

    def assert_consistent(self, acknowledged: set[str]) -> None:
        """Every acknowledged add is stored once with its audit row; nothing else is."""
        assert {str(i.id) for i in self.ctx.store.evidence.list(workspace_id="W1")} == acknowledged
        with self.engine.connect() as conn:
            audited = {row[0] for row in conn.execute(text("SELECT entity_id FROM audit_log WHERE action = 'evidence.add'"))}
        assert audited == acknowledged


@pytest.fixture
def limited(tmp_path: Path, model, index) -> Iterator[Limited]:
    path = tmp_path / "full.db"
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    store = Store(engine, Clock())
    store.groups.add(workspace_id="W1", name="Desk", actor="U1")
    store.groups.bind_channel(workspace_id="W1", channel_id="C1", group_id=store.groups.find(workspace_id="W1", name="Desk").id, actor="U1")
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    box = Limited(path, engine, Context(model=model, index=index, store=store), max_pages=pages + 6)

    # The limit is a per-connection setting; set at every checkout, it acts like a disk that fills and is freed for
    # every connection at once (set at connect only, pooled connections would keep the old limit after room is made).
    @event.listens_for(engine, "checkout")
    def _limit(dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={box.max_pages or NO_LIMIT}")

    yield box
    engine.dispose()


def test_a_full_database_grows_again_once_room_is_made(limited: Limited, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    acknowledged = limited.fill()
    assert acknowledged  # some went in before it was full
    assert limited.add() == (False, UNAVAILABLE)  # still full: refused again, nothing half-written
    limited.assert_consistent(acknowledged)
    limited.max_pages = None  # room is made
    ok, evidence_id = limited.add()
    assert ok, evidence_id
    limited.assert_consistent(acknowledged | {evidence_id})
    # The failures were logged (a warning with the database's error), but never with what the user typed.
    assert "database or disk is full" in caplog.text
    assert NOTE not in caplog.text and "minutes minutes" not in caplog.text


def test_after_a_full_database_the_wal_gives_its_space_back(limited: Limited) -> None:
    limited.fill()
    assert limited.wal_bytes > 0
    limited.ctx.store.evidence.list(workspace_id="W1")  # the next use of the database, a read
    assert limited.wal_bytes == 0


def test_a_burst_of_writes_does_not_leave_a_large_wal_behind(tmp_path: Path) -> None:
    path = tmp_path / "burst.db"
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    wal = path.with_name(path.name + "-wal")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE scratch (payload BLOB)")
        for _ in range(24):  # three times the limit, in one transaction
            conn.exec_driver_sql("INSERT INTO scratch VALUES (zeroblob(1048576))")
    assert wal.stat().st_size > 3 * SQLITE_JOURNAL_SIZE_LIMIT
    store = Store(engine, Clock())
    store.groups.add(workspace_id="W1", name="Desk", actor="U1")  # the next ordinary writes reuse the checkpointed WAL
    store.groups.add(workspace_id="W1", name="Ops", actor="U1")
    assert wal.stat().st_size <= SQLITE_JOURNAL_SIZE_LIMIT
    assert [g.name for g in store.groups.list(workspace_id="W1")] == ["Desk", "Ops"]
    engine.dispose()


def test_database_errors_never_carry_sql_parameters(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
            conn.execute(text("SELECT :note FROM no_such_table"), {"note": NOTE})
    finally:
        engine.dispose()
    assert "no_such_table" in str(caught.value)  # the statement stays, to say what failed
    assert NOTE not in str(caught.value)


def test_migrating_leaves_no_wal_behind(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    engine = make_engine(sqlite_url(path))
    try:
        upgrade(engine)
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size == 0  # the pooled connection is open; its WAL was moved into the database
    finally:
        engine.dispose()
