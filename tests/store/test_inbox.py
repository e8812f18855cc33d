"""The inbox of deliveries: retries recognised by key, finished rows purged in batches after an hour, open ones kept."""

from __future__ import annotations

import time

from bot.server import start_scheduler
from bot.settings import load_settings
from handlers import Context
from store import Store
from store.inbox import KEEP_FINISHED
from tests.conftest import Clock


def receive(store: Store, key: str) -> bool:
    return store.inbox.receive(key=key, transport="slack", workspace_id="slack:T1", kind="event", payload={"a": 1}, owner="test")


def test_purge_deletes_rows_finished_over_an_hour_ago_in_batches_and_keeps_the_rest(store: Store, clock: Clock) -> None:
    for n in range(5):
        assert receive(store, f"old:{n}")
        store.inbox.done(key=f"old:{n}")
    assert receive(store, "old:open")  # never answered: recovery's business, never the purge's
    clock.advance(minutes=30)
    assert receive(store, "recent")
    store.inbox.done(key="recent")
    clock.advance(seconds=KEEP_FINISHED.total_seconds() - 30 * 60 + 1)

    assert store.inbox.purge(batch=2) == 5  # three transactions of at most two rows
    assert not any(store.inbox.seen(key=f"old:{n}") for n in range(5))
    assert store.inbox.seen(key="old:open") and store.inbox.seen(key="recent")
    assert store.inbox.open_count() == 1
    assert store.inbox.purge() == 0
    # Once purged, a key is new again; within the hour a retry is still recognised.
    assert receive(store, "old:0") and not receive(store, "recent")


def test_a_row_received_long_ago_but_finished_recently_is_kept(store: Store, clock: Clock) -> None:
    assert receive(store, "slow")
    clock.advance(hours=2)
    store.inbox.done(key="slow")
    assert store.inbox.purge() == 0 and store.inbox.seen(key="slow")
    clock.advance(seconds=KEEP_FINISHED.total_seconds() + 1)
    assert store.inbox.purge() == 1


def test_purge_stops_at_its_limit(store: Store, clock: Clock) -> None:
    for n in range(7):
        receive(store, f"k{n}")
        store.inbox.done(key=f"k{n}")
    clock.advance(hours=2)
    assert store.inbox.purge(batch=3, limit=5) == 6  # whole batches: it stops after the one that crossed the limit
    assert store.inbox.purge(batch=3) == 1


def test_the_maintenance_loop_purges(db_ctx: Context, store: Store, clock: Clock) -> None:
    receive(store, "finished")
    store.inbox.done(key="finished")
    clock.advance(hours=2)
    settings = load_settings({"CMMI_DIGEST_CHECK_SECONDS": "0.05"})
    thread = start_scheduler(settings, db_ctx, {})
    assert thread is not None
    try:
        deadline = time.monotonic() + 60
        while store.inbox.seen(key="finished") and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        thread.stop()
        thread.join()
    assert not store.inbox.seen(key="finished")
