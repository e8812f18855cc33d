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
from tests.helpers import log_evidence

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
    group = group or (
        store.groups.find(workspace_id=ws, name="Service Desk") or store.groups.add(workspace_id=ws, name="Service Desk", actor=user)
    )
    return log_evidence(store, ws, group, key, actor=user, link=link, note=note, on=TODAY)


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
    store.groups.add(workspace_id="W1", name="Service Desk", actor="U1")
    with pytest.raises(Conflict):
        store.groups.add(workspace_id="W1", name="service  desk", actor="U2")
    store.groups.add(workspace_id="W2", name="Service Desk", actor="U9")  # another workspace may use the same name
    assert [g.name for g in store.groups.list(workspace_id="W1")] == ["Service Desk"]
    assert store.groups.find(workspace_id="W1", name="SERVICE DESK") is not None
    assert store.groups.find(workspace_id="W3", name="Service Desk") is None


def test_rename_needs_creator_or_admin(store: Store) -> None:
    store.groups.add(workspace_id="W1", name="Ops", actor="U1")
    with pytest.raises(Forbidden):
        store.groups.rename(workspace_id="W1", name="Ops", new_name="Operations", actor="U2", is_admin=False)
    assert store.groups.rename(workspace_id="W1", name="Ops", new_name="Operations", actor="U2", is_admin=True).name == "Operations"
    store.groups.add(workspace_id="W1", name="Desk", actor="U1")
    with pytest.raises(Conflict):
        store.groups.rename(workspace_id="W1", name="Desk", new_name="operations", actor="U1", is_admin=False)


def test_channel_binding(store: Store) -> None:
    a, b = store.groups.add(workspace_id="W1", name="A", actor="U1"), store.groups.add(workspace_id="W1", name="B", actor="U1")
    store.groups.bind_channel(workspace_id="W1", channel_id="C1", group_id=a.id, actor="U1")
    assert store.groups.for_channel(workspace_id="W1", channel_id="C1").name == "A"
    store.groups.bind_channel(workspace_id="W1", channel_id="C1", group_id=b.id, actor="U1")
    assert store.groups.for_channel(workspace_id="W1", channel_id="C1").name == "B"
    assert store.groups.for_channel(workspace_id="W2", channel_id="C1") is None


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
    assert store.evidence.count(workspace_id="W1") == 4


def test_concurrent_retries_store_once(store: Store) -> None:
    group = store.groups.add(workspace_id="W1", name="Service Desk", actor="U1")
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
    assert store.evidence.count(workspace_id="W1") == 1


def test_workspaces_never_see_each_other(store: Store) -> None:
    item, _ = add(store, ws="W1")
    add(store, ws="W2")
    assert [e.id for e in store.evidence.list(workspace_id="W1")] == [item.id]
    with pytest.raises(NotFound):
        store.evidence.get(workspace_id="W2", evidence_id=item.id)
    with pytest.raises(NotFound):
        store.evidence.remove(workspace_id="W2", evidence_id=item.id, actor="U1", is_admin=True)
    assert set(store.evidence.counts(workspace_id="W2").values()) == {1}
    assert store.ratings.current(workspace_id="W2") == {}


def test_remove_is_for_author_or_admin_and_keeps_history(store: Store, clock: Clock) -> None:
    item, _ = add(store, user="U1")
    with pytest.raises(Forbidden):
        store.evidence.remove(workspace_id="W1", evidence_id=item.id, actor="U2", is_admin=False)
    clock.advance(minutes=1)
    removed = store.evidence.remove(workspace_id="W1", evidence_id=item.id, actor="U1", is_admin=False)
    assert removed.removed_by == "U1" and removed.removed_at == clock.now
    with pytest.raises(Conflict):
        store.evidence.remove(workspace_id="W1", evidence_id=item.id, actor="U1", is_admin=True)
    assert store.evidence.list(workspace_id="W1") == []
    assert [e.id for e in store.evidence.list(workspace_id="W1", include_removed=True)] == [item.id]
    _, audit = store.evidence.get(workspace_id="W1", evidence_id=item.id)
    assert [a.action for a in audit] == ["evidence.add", "evidence.remove"]
    assert audit[1].before["removed"] is False and audit[1].after["removed"] is True
    # the same evidence can be logged again once the first copy is removed
    assert add(store, user="U1")[1]


def test_ratings_keep_history_and_the_newest_counts(store: Store, clock: Clock) -> None:
    group = store.groups.add(workspace_id="W1", name="Desk", actor="U1")
    _, previous = store.ratings.rate(
        workspace_id="W1", group=group, practice_key="WMC.SP1.6", process_area="WMC", value="PI", note=None, actor="U1"
    )
    assert previous is None
    clock.advance(days=1)
    new, previous = store.ratings.rate(
        workspace_id="W1", group=group, practice_key="WMC.SP1.6", process_area="WMC", value="LI", note="better now", actor="U2"
    )
    assert previous.value == "PI" and new.value == "LI"
    assert store.ratings.current(workspace_id="W1")[(group.id, "WMC.SP1.6")].value == "LI"
    assert [r.value for r in store.ratings.history(workspace_id="W1", group_id=group.id, practice_key="WMC.SP1.6")] == ["PI", "LI"]


def test_timestamps_come_back_aware_utc(store: Store, clock: Clock) -> None:
    item, _ = add(store)
    stored, audit = store.evidence.get(workspace_id="W1", evidence_id=item.id)
    assert stored.created_at == clock.now and stored.created_at.tzinfo is not None
    assert audit[0].at.utcoffset().total_seconds() == 0
    assert stored.evidence_date == TODAY


def test_user_text_is_stored_verbatim(store: Store) -> None:
    note = "<!channel> <@U123> 'quotes' \"double\" ünïcödé ✓ ; DROP TABLE evidence; --"
    item, _ = add(store, note=note)
    assert store.evidence.get(workspace_id="W1", evidence_id=item.id)[0].note == note


def test_unreachable_postgres_is_store_unavailable() -> None:
    store = Store(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2"), Clock())
    with pytest.raises(StoreUnavailable):
        store.groups.list(workspace_id="W1")


def test_locked_sqlite_is_store_unavailable_and_nothing_half_written(tmp_path) -> None:
    import sqlite3

    url = f"sqlite+pysqlite:///{tmp_path / 'locked.db'}"
    upgrade(make_engine(url))
    store = Store(make_engine(url, busy_timeout_ms=200), Clock())
    group = store.groups.add(workspace_id="W1", name="Desk", actor="U1")
    blocker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable):
            log_evidence(store, "W1", group, actor="U1", link="https://x.example.com", on=TODAY)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.evidence.count(workspace_id="W1") == 0
    # and it recovers by itself once the lock is gone
    assert log_evidence(store, "W1", group, actor="U1", link="https://x.example.com", on=TODAY)[1]


def test_naive_datetimes_are_refused(store: Store) -> None:
    store.clock = lambda: datetime(2026, 1, 1)
    with pytest.raises(Exception, match="naive datetime"):
        store.groups.add(workspace_id="W1", name="X", actor="U1")
    store.clock = lambda: datetime(2026, 1, 1, tzinfo=UTC)
    assert store.groups.add(workspace_id="W1", name="X", actor="U1").created_at.year == 2026
