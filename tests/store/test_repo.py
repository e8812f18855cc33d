"""The store on real SQLite and PostgreSQL: scoping, dedupe, permissions, history, time, failures."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from store import Conflict, Forbidden, NotFound, Store, StoreUnavailable, make_engine, upgrade
from store.db import alembic_config, current_revision
from tests.conftest import Clock

pytestmark = pytest.mark.calendar  # also run with the clock a year ahead (make test-future)

TODAY = date(2026, 11, 24)


def add(
    store: Store,
    ws: str = "W1",
    group=None,
    key: str = "WMC.SP1.6",
    link: str | None = "https://wiki.example.com/a",
    note: str | None = "n",
    user: str = "U1",
):
    group = group or (store.find_group(ws, "Service Desk") or store.add_group(ws, "Service Desk", user))
    return store.add_evidence(ws, group, key, key.split(".")[0], "artifact", link, note, TODAY, user)


def test_migrations_are_idempotent_and_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert current_revision(engine) == head
    try:
        command.check(alembic_config(engine))  # raises when the models and migrations drift apart
    except CommandError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(str(exc))
    engine.dispose()


def test_groups_are_unique_per_workspace_ignoring_case(store: Store) -> None:
    store.add_group("W1", "Service Desk", "U1")
    with pytest.raises(Conflict):
        store.add_group("W1", "service  desk", "U2")
    store.add_group("W2", "Service Desk", "U9")  # another workspace may use the same name
    assert [g.name for g in store.list_groups("W1")] == ["Service Desk"]
    assert store.find_group("W1", "SERVICE DESK") is not None
    assert store.find_group("W3", "Service Desk") is None


def test_rename_needs_creator_or_admin(store: Store) -> None:
    store.add_group("W1", "Ops", "U1")
    with pytest.raises(Forbidden):
        store.rename_group("W1", "Ops", "Operations", "U2", is_admin=False)
    assert store.rename_group("W1", "Ops", "Operations", "U2", is_admin=True).name == "Operations"
    store.add_group("W1", "Desk", "U1")
    with pytest.raises(Conflict):
        store.rename_group("W1", "Desk", "operations", "U1", is_admin=False)


def test_channel_binding(store: Store) -> None:
    a, b = store.add_group("W1", "A", "U1"), store.add_group("W1", "B", "U1")
    store.bind_channel("W1", "C1", a.id, "U1")
    assert store.channel_group("W1", "C1").name == "A"
    store.bind_channel("W1", "C1", b.id, "U1")
    assert store.channel_group("W1", "C1").name == "B"
    assert store.channel_group("W2", "C1") is None


def test_same_evidence_from_the_same_person_within_the_window_is_stored_once(store: Store, clock: Clock) -> None:
    first, created = add(store)
    assert created
    clock.advance(minutes=3)
    again, created_again = add(store)
    assert (again.id, created_again) == (first.id, False)
    assert add(store, user="U2")[1]  # someone else logging the same thing is new evidence
    assert add(store, note="other")[1]
    clock.advance(minutes=11)
    later, created_later = add(store)
    assert created_later and later.id != first.id
    assert store.count_evidence("W1") == 4


def test_concurrent_retries_store_once(store: Store) -> None:
    group = store.add_group("W1", "Service Desk", "U1")
    results, errors = [], []

    def retry() -> None:
        try:
            results.append(add(store, group=group))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len({item.id for item, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert store.count_evidence("W1") == 1


def test_workspaces_never_see_each_other(store: Store) -> None:
    item, _ = add(store, ws="W1")
    add(store, ws="W2")
    assert [e.id for e in store.list_evidence("W1")] == [item.id]
    with pytest.raises(NotFound):
        store.get_evidence("W2", item.id)
    with pytest.raises(NotFound):
        store.remove_evidence("W2", item.id, "U1", is_admin=True)
    assert set(store.evidence_counts("W2").values()) == {1}
    assert store.current_ratings("W2") == {}


def test_remove_is_for_author_or_admin_and_keeps_history(store: Store, clock: Clock) -> None:
    item, _ = add(store, user="U1")
    with pytest.raises(Forbidden):
        store.remove_evidence("W1", item.id, "U2", is_admin=False)
    clock.advance(minutes=1)
    removed = store.remove_evidence("W1", item.id, "U1", is_admin=False)
    assert removed.removed_by == "U1" and removed.removed_at == clock.now
    with pytest.raises(Conflict):
        store.remove_evidence("W1", item.id, "U1", is_admin=True)
    assert store.list_evidence("W1") == []
    assert [e.id for e in store.list_evidence("W1", include_removed=True)] == [item.id]
    _, audit = store.get_evidence("W1", item.id)
    assert [a.action for a in audit] == ["evidence.add", "evidence.remove"]
    assert audit[1].before["removed"] is False and audit[1].after["removed"] is True
    # the same evidence can be logged again once the first copy is removed
    assert add(store, user="U1")[1]


def test_ratings_keep_history_and_the_newest_counts(store: Store, clock: Clock) -> None:
    group = store.add_group("W1", "Desk", "U1")
    _, previous = store.rate("W1", group, "WMC.SP1.6", "WMC", "PI", None, "U1")
    assert previous is None
    clock.advance(days=1)
    new, previous = store.rate("W1", group, "WMC.SP1.6", "WMC", "LI", "better now", "U2")
    assert previous.value == "PI" and new.value == "LI"
    assert store.current_ratings("W1")[(group.id, "WMC.SP1.6")].value == "LI"
    assert [r.value for r in store.rating_history("W1", group.id, "WMC.SP1.6")] == ["PI", "LI"]


def test_timestamps_come_back_aware_utc(store: Store, clock: Clock) -> None:
    item, _ = add(store)
    stored, audit = store.get_evidence("W1", item.id)
    assert stored.created_at == clock.now and stored.created_at.tzinfo is not None
    assert audit[0].at.utcoffset().total_seconds() == 0
    assert stored.evidence_date == TODAY


def test_user_text_is_stored_verbatim(store: Store) -> None:
    note = "<!channel> <@U123> 'quotes' \"double\" ünïcödé ✓ ; DROP TABLE evidence; --"
    item, _ = add(store, note=note)
    assert store.get_evidence("W1", item.id)[0].note == note


def test_unreachable_postgres_is_store_unavailable() -> None:
    store = Store(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2"), Clock())
    with pytest.raises(StoreUnavailable):
        store.list_groups("W1")


def test_locked_sqlite_is_store_unavailable_and_nothing_half_written(tmp_path) -> None:
    import sqlite3

    url = f"sqlite+pysqlite:///{tmp_path / 'locked.db'}"
    upgrade(make_engine(url))
    store = Store(make_engine(url, busy_timeout_ms=200), Clock())
    group = store.add_group("W1", "Desk", "U1")
    blocker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable):
            store.add_evidence("W1", group, "WMC.SP1.6", "WMC", "artifact", "https://x.example.com", None, TODAY, "U1")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.count_evidence("W1") == 0
    # and it recovers by itself once the lock is gone
    assert store.add_evidence("W1", group, "WMC.SP1.6", "WMC", "artifact", "https://x.example.com", None, TODAY, "U1")[1]


def test_naive_datetimes_are_refused(store: Store) -> None:
    store.clock = lambda: datetime(2026, 1, 1)
    with pytest.raises(Exception, match="naive datetime"):
        store.add_group("W1", "X", "U1")
    store.clock = lambda: datetime(2026, 1, 1, tzinfo=UTC)
    assert store.add_group("W1", "X", "U1").created_at.year == 2026
