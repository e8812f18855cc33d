"""Benchmarks of the store under the core: evidence adds, the delivery inbox, status, workbook and heatmap at scale."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.common import Bench, Stats, paired, store_context, time_ns
from handlers import Context, Request, dispatch
from model_data import load_model
from store import Store
from store.schema import Evidence


def delivery_record() -> list[Bench]:
    """Recording a chat delivery before its ack (bot/edge.py Deliveries) in the SQLite inbox, beside the in-process memory
    record it would take as a first-level filter: for new deliveries (every one) and for retries (rare)."""
    from bot.edge import Deliveries

    with tempfile.TemporaryDirectory() as folder:
        ctx, store = store_context(Path(folder))
        database = Deliveries(ctx)
        memory = Deliveries(Context(model=ctx.model, index=ctx.index))
        request = Request("what does WMC.SP1.6 require", user_id="U1", workspace_id="slack:T1", channel_id="C1", transport="slack")
        counter = iter(range(10**9))

        def receive(deliveries: Deliveries, key: str) -> bool | None:
            return deliveries.receive(key, request, kind="event", reply_to={"channel": "C1", "thread": None})

        new, new_floor = paired(lambda: receive(database, f"k{next(counter)}"), lambda: receive(memory, f"k{next(counter)}"), runs=3000)
        receive(database, "retried")
        receive(memory, "retried")
        retry, retry_floor = paired(lambda: receive(database, "retried"), lambda: receive(memory, "retried"), runs=3000)
        store.engine.dispose()
    saved = Stats.of(retry).median - Stats.of(retry_floor).median
    notes = (
        "a first-level memory filter could only skip the database for retries that reach the same replica; every new "
        f"delivery is written to the inbox anyway. At most {saved:.3f} ms saved per retry (retries are a few per thousand "
        "events), so cmmi-bot keeps memory only where there is no database",
    )
    return [
        Bench("inbox.receive_new", Stats.of(new), "memory record", Stats.of(new_floor), notes=notes),
        Bench("inbox.receive_retry", Stats.of(retry), "memory record", Stats.of(retry_floor)),
    ]


def evidence_add_rate() -> list[Bench]:
    """Evidence adds through the whole console core (parse, resolve, dedupe, insert, audit), one
    transaction each on SQLite, beside a raw SQLAlchemy Core insert loop into the same table."""
    adds = 3000
    with tempfile.TemporaryDirectory() as folder:
        ctx, store = store_context(Path(folder))
        dispatch(Request('group add "Service Desk"', workspace_id="B", channel_id="C"), ctx)
        dispatch(Request("group use Service Desk", workspace_id="B", channel_id="C"), ctx)
        group = store.groups.find(workspace_id="B", name="Service Desk")
        practices = [p.id for p in ctx.model.practices]

        def core(i: int) -> None:
            dispatch(
                Request(
                    f"evidence add {practices[i % len(practices)]} https://wiki.example.com/page/{i} review notes {i}",
                    workspace_id="B",
                    channel_id="C",
                ),
                ctx,
            )

        def raw(i: int) -> None:
            with store.engine.begin() as conn:
                conn.execute(
                    insert(Evidence).values(
                        workspace_id="B",
                        work_group_id=group.id,
                        practice_key="WMC.SP1.6",
                        process_area="WMC",
                        kind="artifact",
                        link=f"https://wiki.example.com/raw/{i}",
                        note="raw",
                        evidence_date=date.today(),
                        created_by="U",
                        created_at=datetime.now(UTC),
                        dedupe_key=f"raw{i}",
                    )
                )

        values, floors = [], []
        for i in range(adds):
            first, second = (core, raw) if i % 2 else (raw, core)
            a, b = time_ns(first, i), time_ns(second, i)
            values.append(a if first is core else b)
            floors.append(b if first is core else a)
        stored = store.evidence.count(workspace_id="B")
        store.engine.dispose()
    if stored != 2 * adds:
        raise RuntimeError(f"expected {2 * adds} rows, found {stored}")
    rate = 1e9 * len(values) / sum(values)
    raw_rate = 1e9 * len(floors) / sum(floors)
    notes = (f"throughput: {rate:,.0f} adds/s through the core vs {raw_rate:,.0f} raw inserts/s (target >= 1,500 adds/s)",)
    return [Bench("evidence.add", Stats.of(values), "sqlalchemy core insert", Stats.of(floors), target=1000 / 1500, notes=notes)]


def _bulk_evidence(store: Store, ws: str, groups: list, count: int, created: datetime, spread: bool = False) -> None:
    """Insert synthetic evidence spread over the groups and practices, 10,000 rows a statement.
    With spread, dates, authors and creation times vary, as a year of real logging would."""
    keys = [(p.id, p.pa) for p in load_model().practices]
    with store.engine.begin() as conn:
        for start in range(0, count, 10_000):
            rows = []
            for i in range(start, min(count, start + 10_000)):
                key, pa = keys[(i * 7) % len(keys)]
                rows.append(
                    dict(
                        workspace_id=ws,
                        work_group_id=groups[i % len(groups)].id,
                        practice_key=key,
                        process_area=pa,
                        kind="artifact",
                        link=f"https://wiki.example.com/{i}",
                        note=None,
                        dedupe_key=f"k{i}",
                        evidence_date=date(2024 + i % 3, 1 + i % 12, 1) if spread else date.today(),
                        created_by=f"U{i % 40}" if spread else "U",
                        created_at=created + timedelta(minutes=i % 40_000) if spread else created,
                    )
                )
            conn.execute(insert(Evidence), rows)


def status_at_scale() -> list[Bench]:
    """`status` for a workspace with 50 work groups and 20,000 evidence rows, beside the bare
    GROUP BY count that it rests on."""
    with tempfile.TemporaryDirectory() as folder:
        ctx, store = store_context(Path(folder))
        groups = [store.groups.add(workspace_id="S", name=f"Group {n:02d}", actor="U") for n in range(50)]
        keys = [(p.id, p.pa) for p in ctx.model.practices]
        _bulk_evidence(store, "S", groups, 20_000, datetime.now(UTC))
        for g in groups[:25]:
            for pid, _ in keys[:60]:
                store.ratings.rate(
                    workspace_id="S", group=g, practice_key=pid, process_area=pid.split(".")[0], value="LI", note=None, actor="U"
                )
        request = Request("status", workspace_id="S", channel_id="C")
        reply = dispatch(request, ctx)
        if "ML2: evidence" not in " ".join(i for sec in reply.sections for i in sec.items):
            raise RuntimeError("status did not report the maturity levels")

        def floor() -> None:
            with store.engine.connect() as conn:
                conn.exec_driver_sql(
                    "SELECT work_group_id, practice_key, count(id) FROM evidence WHERE workspace_id = 'S' AND removed_at IS NULL "
                    "GROUP BY work_group_id, practice_key"
                ).fetchall()

        values, floors = paired(lambda: dispatch(request, ctx), floor, runs=15)
        ml3, _ = paired(lambda: dispatch(Request("status ML3", workspace_id="S"), ctx), floor, runs=15)
        store.engine.dispose()
    return [
        Bench("status.50_groups_20k_evidence", Stats.of(values), "group-by count query", Stats.of(floors), target=200.0),
        Bench("status_ml3.50_groups_20k_evidence", Stats.of(ml3), "group-by count query", Stats.of(floors), target=200.0),
    ]


def outputs_at_scale() -> list[Bench]:
    """The XLSX evidence workbook and the PNG heatmap (ML5) for 50 work groups and 20,000 evidence rows, beside
    openpyxl writing the same cells without styles, and zlib packing the heatmap's own pixels (PNG's core)."""
    import io
    import zlib

    from openpyxl import Workbook

    from handlers.support.heatmap import render_heatmap
    from handlers.support.readiness import Readiness, Snapshot, Target
    from handlers.support.workbook import build_workbook

    with tempfile.TemporaryDirectory() as folder:
        ctx, store = store_context(Path(folder))
        groups = [store.groups.add(workspace_id="X", name=f"Group {n:02d}", actor="U") for n in range(50)]
        _bulk_evidence(store, "X", groups, 20_000, datetime.now(UTC), spread=True)
        for g in groups[:25]:
            for p in ctx.model.practices[:60]:
                store.ratings.rate(workspace_id="X", group=g, practice_key=p.id, process_area=p.pa, value="LI", note=None, actor="U")
        snapshot, items, target, today = (
            Snapshot.load(ctx, store, "X", None),
            store.evidence.list(workspace_id="X"),
            Target(level=5),
            date.today(),
        )
        store.engine.dispose()
    readiness = Readiness.of(ctx.model, snapshot, target)

    def bare_workbook() -> None:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Evidence")
        for e in items:
            sheet.append([e.id, e.process_area, e.practice_key, e.practice_key, e.group, e.kind, e.link, e.note, e.evidence_date,
                          e.created_by, e.created_at.replace(tzinfo=None), e.evidence_date, "current"])  # fmt: skip
        matrix = book.create_sheet("Matrix")
        for p in readiness.practices:
            matrix.append([p.pa, p.goal_key, p.key, p.title, "LI", *(["LI · 1 item"] * len(readiness.groups))])
        book.save(io.BytesIO())

    values, floors = paired(lambda: build_workbook(ctx.model, snapshot, target, items, review_months=12, today=today), bare_workbook, 3)
    png = render_heatmap(readiness, today=today)
    size = int.from_bytes(png[33:37], "big")  # the one IDAT chunk follows the 8-byte signature and the 25-byte IHDR
    pixels = zlib.decompress(png[41 : 41 + size])
    chart, packing = paired(lambda: render_heatmap(readiness, today=today), lambda: zlib.compress(pixels, 6), 7)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return [
        Bench("workbook.50_groups_20k_evidence", Stats.of(values), "openpyxl write-only, same cells unstyled", Stats.of(floors)),
        Bench(
            "heatmap.ml5_50_groups",
            Stats.of(chart),
            "zlib of the same pixels",
            Stats.of(packing),
            notes=(f"{width}x{height} px, {len(png):,} bytes",),
        ),
    ]
