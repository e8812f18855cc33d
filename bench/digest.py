"""Benchmark of the weekly digests at scale: preparing and claiming 10,000 channels' digests over a million evidence rows."""

from __future__ import annotations

import gc
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.common import Bench, Stats, store_context, time_ns
from model_data import load_model
from store import Store
from store.schema import Evidence


class _Discard:
    """A deliverer that posts nowhere: the benchmark measures preparing and claiming digests."""

    def deliver(self, sub, reply, period):
        return None

    def already_delivered(self, sub, period, since):
        return None


DIGEST_WORKSPACES, DIGEST_CHANNELS, DIGEST_EVIDENCE, DIGEST_GROUPS = 20, 10_000, 1_000_000, 10
DIGEST_TARGET_MS = 2.0  # the target: at most 2 ms per channel


def _seed_digests(store: Store, created: datetime) -> int:
    """20 workspaces of 10 work groups, 1,000,000 evidence rows, a rating for a third of the practices per group, and 10,000
    subscribed channels (a group or the whole workspace, ML2 or ML3), all with bulk inserts. Returns the channels."""
    from store.schema import DigestSubscription, Rating, WorkGroup

    keys = [(p.id, p.pa) for p in load_model().practices]
    subscribed = created + timedelta(days=23)  # after the week before the first slot: nothing to skip
    per_workspace = DIGEST_EVIDENCE // DIGEST_WORKSPACES
    channels = DIGEST_CHANNELS // DIGEST_WORKSPACES
    with store.engine.begin() as conn:
        conn.execute(
            insert(WorkGroup),
            [{"workspace_id": f"W{w:02d}", "name": f"Group {g}", "name_key": f"group {g}", "created_by": "U", "created_at": created}
             for w in range(DIGEST_WORKSPACES) for g in range(DIGEST_GROUPS)],
        )  # fmt: skip
        group_ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM work_group ORDER BY id")]
    for w in range(DIGEST_WORKSPACES):
        ws, groups = f"W{w:02d}", group_ids[w * DIGEST_GROUPS : (w + 1) * DIGEST_GROUPS]
        with store.engine.begin() as conn:
            for start in range(0, per_workspace, 25_000):
                conn.execute(
                    insert(Evidence),
                    [
                        {"workspace_id": ws, "work_group_id": groups[i % DIGEST_GROUPS], "practice_key": keys[(i * 7) % len(keys)][0],
                         "process_area": keys[(i * 7) % len(keys)][1], "kind": "artifact", "link": f"https://wiki.example.com/{i}",
                         "note": None, "dedupe_key": f"k{i}", "evidence_date": date(2024 + i % 3, 1 + i % 12, 1),
                         "created_by": f"U{i % 40}", "created_at": created + timedelta(minutes=i % 40_000),
                         "removed_at": created + timedelta(days=20) if i % 50 == 0 else None,
                         "removed_by": "U1" if i % 50 == 0 else None}
                        for i in range(start, min(per_workspace, start + 25_000))
                    ],
                )  # fmt: skip
            conn.execute(
                insert(Rating),
                [{"workspace_id": ws, "work_group_id": g, "practice_key": key, "process_area": pa, "value": ("FI", "LI", "PI")[n % 3],
                  "note": None, "rated_by": f"U{n % 40}", "rated_at": created + timedelta(days=n % 28)}
                 for g in groups for n, (key, pa) in enumerate(keys[::3])],
            )  # fmt: skip
            conn.execute(
                insert(DigestSubscription),
                [{"workspace_id": ws, "channel_id": f"C{n:04d}", "transport": "bench", "weekday": 0, "local_time": "09:00",
                  "timezone": "UTC", "work_group_id": None if n % (DIGEST_GROUPS + 1) == DIGEST_GROUPS else groups[n % (DIGEST_GROUPS + 1)],
                  "level": 2 + n % 2, "quiet_full": n % 3 == 0, "enabled": True, "created_by": "U", "created_at": subscribed,
                  "updated_at": subscribed}
                 for n in range(channels)],
            )  # fmt: skip
    return channels * DIGEST_WORKSPACES


def digest_at_scale() -> list[Bench]:
    """Preparing and claiming the due digests of 10,000 channels in 20 workspaces over 1,000,000 evidence rows on SQLite
    (the deliverer posts nowhere), beside the same 10,000 claims written and marked sent as bare SQL. A second week is
    run under tracemalloc for the Python heap's peak: bounded by one workspace at a time, not by the channels."""
    import tracemalloc

    from bot.scheduler import run_due

    with tempfile.TemporaryDirectory() as folder:
        ctx, store = store_context(Path(folder))
        created = datetime(2026, 11, 1, tzinfo=UTC)
        seed_start = time.perf_counter()
        channels = _seed_digests(store, created)
        seeded = time.perf_counter() - seed_start
        now = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)  # a Monday, five minutes after the slot
        store.clock = lambda: now
        gc.collect()
        start = time.perf_counter_ns()
        report = run_due(ctx, store, {"bench": _Discard()}, now, "bench-worker")
        elapsed = time.perf_counter_ns() - start
        if report.outcomes.get("sent") != channels:
            raise RuntimeError(f"expected {channels} digests, got {report}")
        later = now + timedelta(days=7)
        store.clock = lambda: later
        tracemalloc.start()
        again = run_due(ctx, store, {"bench": _Discard()}, later, "bench-worker")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if again.outcomes.get("sent") != channels:
            raise RuntimeError(f"expected {channels} digests in the second week, got {again}")

        def bare_claims() -> None:
            with store.engine.connect() as conn:
                for n in range(channels):
                    with conn.begin():
                        conn.exec_driver_sql(
                            "INSERT INTO digest_delivery (subscription_id, period, status, attempts, late) VALUES (?, ?, 'claimed', 1, 0)",
                            (n + 1, "floor"),
                        )
                    with conn.begin():
                        conn.exec_driver_sql(
                            "UPDATE digest_delivery SET status = 'sent' WHERE subscription_id = ? AND period = 'floor'", (n + 1,)
                        )

        floor_ns = time_ns(bare_claims)
        store.engine.dispose()
    per_channel = elapsed / 1e6 / channels
    notes = (
        f"{channels:,} digests in {elapsed / 1e9:.1f} s ({per_channel:.2f} ms a channel; target {DIGEST_TARGET_MS} ms); "
        f"{DIGEST_EVIDENCE:,} evidence rows seeded in {seeded:.0f} s",
        f"Python heap peak while preparing a second week (tracemalloc): {peak / 1e6:.1f} MB",
        "value and floor are per channel",
    )
    return [
        Bench(
            "digest.10k_channels_1m_evidence",
            Stats.of([elapsed // channels]),
            "claim + mark sent, bare SQL",
            Stats.of([floor_ns // channels]),
            target=DIGEST_TARGET_MS,
            notes=notes,
        )
    ]
