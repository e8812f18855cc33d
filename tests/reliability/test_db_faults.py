"""The database goes away mid-run: users hear 'nothing was recorded', nothing is half-written, and the
bot recovers by itself once the database is back."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text

from handlers import UNAVAILABLE, Context, Request, UserError, dispatch
from store import Store, make_engine, sqlite_url, upgrade
from tests.conftest import Clock


def add(ctx: Context, n: int, worker: int) -> tuple[bool, str]:
    request = Request(
        text=f"evidence add WMC.SP1.6 https://wiki.example.com/{worker}/{n} run {n}",
        user_id=f"U{worker}",
        workspace_id="W1",
        channel_id="C1",
    )
    try:
        return True, str(dispatch(request, ctx).data["evidence_id"])
    except UserError as exc:
        return False, str(exc)


def assert_consistent(store: Store, acknowledged: set[str]) -> None:
    """Every acknowledged add is stored once with its audit row; nothing unacknowledged is stored."""
    items = store.evidence.list(workspace_id="W1")
    assert {str(i.id) for i in items} == acknowledged
    with store.engine.connect() as conn:
        audited = {row[0] for row in conn.execute(text("SELECT entity_id FROM audit_log WHERE action = 'evidence.add'"))}
    assert audited == acknowledged


def test_postgres_connections_killed_mid_run(postgres_url: str, model, index) -> None:
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE digest_delivery, digest_subscription, audit_log, rating, evidence, channel_binding, work_group RESTART IDENTITY CASCADE"
            )
        )
    store = Store(engine, Clock())
    store.groups.add(workspace_id="W1", name="Desk", actor="U1")
    store.groups.bind_channel(workspace_id="W1", channel_id="C1", group_id=store.groups.find(workspace_id="W1", name="Desk").id, actor="U1")
    ctx = Context(model=model, index=index, store=store)
    admin = make_engine(postgres_url).execution_options(isolation_level="AUTOCOMMIT")
    database = postgres_url.rsplit("/", 1)[1]
    results: list[tuple[bool, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int) -> None:
        n = 0
        while not stop.is_set() and n < 400:
            outcome = add(ctx, n, worker)
            with lock:
                results.append(outcome)
            n += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for kills in range(40):  # kill every connection of ours until a write in flight has been hit
        time.sleep(0.1)
        with lock:
            hit = any(not ok for ok, _ in results)
        if hit and kills >= 5:
            break
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"),
                {"db": database},
            )
    stop.set()
    for t in threads:
        t.join(timeout=60)
    failures = [message for ok, message in results if not ok]
    assert failures, "the fault never hit a write in flight; the test proved nothing"
    assert all(message == UNAVAILABLE for message in failures), set(failures)
    acknowledged = {ident for ok, ident in results if ok}
    assert acknowledged, "no add succeeded at all"
    # it recovers by itself: the next adds all succeed
    after = [add(ctx, n, 99) for n in range(20)]
    assert all(ok for ok, _ in after)
    acknowledged |= {ident for _, ident in after}
    assert_consistent(store, acknowledged)
    admin.dispose()
    engine.dispose()


def test_sqlite_locked_by_another_process(tmp_path: Path, model, index) -> None:
    path = tmp_path / "locked.db"
    upgrade(make_engine(sqlite_url(path)))
    store = Store(make_engine(sqlite_url(path), busy_timeout_ms=300), Clock())
    store.groups.add(workspace_id="W1", name="Desk", actor="U1")
    store.groups.bind_channel(workspace_id="W1", channel_id="C1", group_id=store.groups.find(workspace_id="W1", name="Desk").id, actor="U1")
    ctx = Context(model=model, index=index, store=store)
    assert add(ctx, 0, 1)[0]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(2.5); c.execute('ROLLBACK')",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        during = [add(ctx, n, 2) for n in range(1, 4)]
    finally:
        holder.wait(timeout=30)
        holder.stdout.close()
    assert [ok for ok, _ in during] == [False, False, False]
    assert {message for _, message in during} == {UNAVAILABLE}
    after = add(ctx, 10, 3)
    assert after[0], after
    assert_consistent(store, {"1", after[1]})
