"""Benchmark harness for `make bench`: times each figure beside a floor measured in the same run.

This machine's speed drifts, so no absolute limit is ever asserted. Every benchmark measures its
figure and a floor (the same work without our layer, or the bare runtime) interleaved call by call,
so drift lands on both; the ratio value/floor is the number to compare between runs. Targets from
the issues are reported as met or not, for information only.

To add a benchmark, write a function returning a list of Bench and append it to BENCHMARKS.
Results are printed as a table and written to bench/results.json.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import metadata
from pathlib import Path

from sqlalchemy import insert

from handlers import Context, Request, dispatch
from index import build_index
from index.engine import ModelIndex, _document, _schema
from model_data import load_model
from store import Store, make_engine, sqlite_url, upgrade
from store.schema import Evidence

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
BIN = Path(sys.executable).parent  # the venv's bin: run as .venv/bin/python bench/run.py

ID_QUESTIONS = (
    "WMC.SP1.6",
    "wmc sp 1.6",
    "SP1.2 of CM",
    "gp2.8",
    "PMC SP1.7",
    "what does WMC.SP1.6 require",
    "IRP.SP2.3",
    "irp sp2.1",
    "sp 3.1 of sd",
    "GP 2.10",
    "gg3",
    "CAR.SG1",
    "SDD SP1.3",
    "what is STSM SP 1.2",
    "PP SP2.4",
    "cm sp1-3",
    "SCON.SP2.2",
    "REQM.SP1.1 and REQM.SP1.5",
    "explain rskm sp 3.2",
    "SAM SG2",
)

NL_QUESTIONS = (
    "how should we log and track incoming support tickets",
    "what do we need to agree an SLA with a customer",
    "who decides the priority of an outage during a major incident",
    "how do we run a postmortem after a production outage",
    "what records should on-call engineers keep during their shift",
    "how often should we test restoring our backups",
    "who approves change requests before a release goes live",
    "how do we plan capacity for the next quarter",
    "how should we manage a vendor that keeps missing its delivery dates",
    "where do we keep training records for new staff",
    "how do we measure whether we meet our response time targets",
    "what should be in a service catalog",
    "how do we handle a customer complaint about slow resolution",
    "what is needed to keep our runbooks up to date",
    "how do we decide between two monitoring tools",
    "how do we find the root cause of recurring incidents",
    "who should be told when we change the on-call rota",
    "how do we control versions of configuration files",
    "what evidence do auditors want for our quality checks",
    "how do we estimate effort for a migration project",
    "how do we track risks like a single point of failure",
    "what should we do when a supplier contract is about to expire",
    "how do we prepare for a disaster recovery exercise",
    "how do we roll out a new service to production safely",
    "what metrics should we report to management every month",
    "how do we keep stakeholders informed about a planned maintenance window",
    "how should we retire an old service nobody uses",
    "how do we improve our processes based on lessons learned",
    "what does the team need before taking over a new service from another team",
    "how do we check that a fix actually solved the incident",
)

ASK_TEXT = "what does WMC.SP1.6 require"


# ---- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Summary of one series of timings, in milliseconds."""

    median: float
    p95: float
    p99: float
    n: int

    @classmethod
    def of(cls, samples_ns: Sequence[int]) -> Stats:
        ms = [s / 1e6 for s in samples_ns]
        if len(ms) == 1:
            return cls(ms[0], ms[0], ms[0], 1)
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        return cls(statistics.median(ms), cuts[94], cuts[98], len(ms))


@dataclass(frozen=True)
class Bench:
    """One benchmark figure and the floor measured beside it in the same run."""

    name: str
    value: Stats
    floor_name: str
    floor: Stats
    target: float | None = None  # median must be below this, in unit; informational
    unit: str = "ms"
    notes: tuple[str, ...] = ()

    @property
    def ratio(self) -> float:
        return self.value.median / self.floor.median if self.floor.median else float("inf")

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.value.median < self.target

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "unit": self.unit,
            "median": round(self.value.median, 4),
            "p95": round(self.value.p95, 4),
            "p99": round(self.value.p99, 4),
            "n": self.value.n,
            "floor": {"name": self.floor_name, "median": round(self.floor.median, 4), "n": self.floor.n},
            "ratio": round(self.ratio, 3),
            "target": self.target,
            "met": self.met,
            "notes": list(self.notes),
        }


# ---- measuring -------------------------------------------------------------------------------


def _time_ns(fn: Callable[..., object], *args: object) -> int:
    start = time.perf_counter_ns()
    fn(*args)
    return time.perf_counter_ns() - start


def paired(value: Callable[[], object], floor: Callable[[], object], runs: int, warmup: int = 1) -> tuple[list[int], list[int]]:
    """Time value and floor alternately, swapping which goes first each round, so drift hits both."""
    for _ in range(warmup):
        value()
        floor()
    gc.collect()
    values, floors = [], []
    for i in range(runs):
        if i % 2:
            floors.append(_time_ns(floor))
            values.append(_time_ns(value))
        else:
            values.append(_time_ns(value))
            floors.append(_time_ns(floor))
    return values, floors


def paired_over(
    value: Callable[[str], object], floor: Callable[[str], object], inputs: Sequence[str], calls: int, warmup_rounds: int = 3
) -> tuple[list[int], list[int]]:
    """Like paired, cycling through inputs: call i uses inputs[i % len(inputs)] for both."""
    for _ in range(warmup_rounds):
        for text in inputs:
            value(text)
            floor(text)
    gc.collect()
    values, floors = [], []
    for i in range(calls):
        text = inputs[i % len(inputs)]
        if i % 2:
            floors.append(_time_ns(floor, text))
            values.append(_time_ns(value, text))
        else:
            values.append(_time_ns(value, text))
            floors.append(_time_ns(floor, text))
    return values, floors


@cache
def shared_index() -> ModelIndex:
    return build_index(load_model())


def _intents(ix: ModelIndex, questions: Sequence[str]) -> str:
    counts = Counter(ix.search(q).intent for q in questions)
    return "intents: " + ", ".join(f"{k} {v}" for k, v in counts.most_common())


def _slowest(values: Sequence[int], inputs: Sequence[str], count: int = 3) -> str:
    """The inputs with the highest median time; paired_over gave call i the input i % len(inputs)."""
    per_input = {text: statistics.median(values[i :: len(inputs)]) / 1e6 for i, text in enumerate(inputs)}
    top = sorted(per_input.items(), key=lambda item: -item[1])[:count]
    return "slowest: " + "; ".join(f"{ms:.2f} ms {text!r}" for text, ms in top)


# ---- benchmarks ------------------------------------------------------------------------------


NOT_IN_MODEL_QUESTIONS = ("what does VER SP 2.2 require", "WMC.SP9.9", "explain the RD process area", "SSAD SP1.3", "GP2.11")
NL_TARGET_RATIO = 1.5  # the target: a natural-language answer's median within 1.5x the raw Whoosh query's


def ask_id_lookup() -> list[Bench]:
    ix = shared_index()
    notes = [_intents(ix, ID_QUESTIONS)]
    not_lookup = [q for q in ID_QUESTIONS if ix.search(q).intent != "lookup"]
    if not_lookup:
        notes.append(f"not answered as lookups: {not_lookup}")
    values, floors = paired_over(ix.search, ix.raw_search, ID_QUESTIONS, calls=len(ID_QUESTIONS) * 150)
    notes.append(_slowest(values, ID_QUESTIONS))
    missing, missing_floors = paired_over(ix.search, ix.raw_search, NOT_IN_MODEL_QUESTIONS, calls=len(NOT_IN_MODEL_QUESTIONS) * 150)
    return [
        Bench("ask.id_lookup", Stats.of(values), "raw_search", Stats.of(floors), target=1.0, notes=tuple(notes)),
        Bench(
            "ask.not_in_model",
            Stats.of(missing),
            "raw_search",
            Stats.of(missing_floors),
            target=1.0,
            notes=(_intents(ix, NOT_IN_MODEL_QUESTIONS),),
        ),
    ]


def ask_natural_language() -> list[Bench]:
    ix = shared_index()
    values, floors = paired_over(ix.search, ix.raw_search, NL_QUESTIONS, calls=len(NL_QUESTIONS) * 50)
    floor = Stats.of(floors)
    notes = (
        _intents(ix, NL_QUESTIONS),
        _slowest(values, NL_QUESTIONS),
        f"target: median at most {NL_TARGET_RATIO}x the raw Whoosh query's median in this run",
    )
    return [Bench("ask.natural_language", Stats.of(values), "raw_search", floor, target=NL_TARGET_RATIO * floor.median, notes=notes)]


def _plain_whoosh_build() -> None:
    """The floor for index.build: the same schema and documents into a RAM Whoosh index, nothing else."""
    from whoosh.filedb.filestore import RamStorage

    model = load_model()
    ix = RamStorage().create_index(_schema())
    writer = ix.writer()
    ordered = [*model.process_areas, *model.goals, *model.practices, *model.generic_goals, *model.generic_practices]
    for order, element in enumerate(ordered):
        writer.add_document(**_document(model, element, order))
    writer.commit()


def _load_and_build() -> None:
    load_model.cache_clear()
    build_index(load_model())


def index_build() -> list[Bench]:
    runs = 10
    build, floor_a = paired(lambda: build_index(load_model()), _plain_whoosh_build, runs)
    load_build, floor_b = paired(_load_and_build, _plain_whoosh_build, runs)
    load_model()  # leave the cache warm for whatever runs next
    floor = Stats.of(floor_a + floor_b)
    note = ("floor: engine _schema/_document written to a RamStorage index, no query-understanding setup",)
    return [
        Bench("index.build", Stats.of(build), "whoosh.plain_build", floor, notes=note),
        Bench("index.load_build", Stats.of(load_build), "whoosh.plain_build", floor, notes=note),
    ]


def _run(argv: list[str]) -> None:
    subprocess.run(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)


def process_first_answer() -> list[Bench]:
    ask = [str(BIN / "cmmi-bot"), "ask", ASK_TEXT]
    bare = [sys.executable, "-c", "import whoosh"]
    check = subprocess.run(ask, cwd=ROOT, capture_output=True, text=True, check=True)
    if "WMC.SP1.6" not in check.stdout:
        raise RuntimeError(f"cmmi-bot ask did not answer WMC.SP1.6:\n{check.stdout}")
    values, floors = paired(lambda: _run(ask), lambda: _run(bare), runs=10, warmup=2)
    return [Bench("process.first_answer", Stats.of(values), "python -c 'import whoosh'", Stats.of(floors), target=1500.0)]


ASK_JSON_TARGET_RATIO = 1.5  # the target: a fresh `cmmi-bot ask --json` within 1.5x a bare import of Whoosh and SQLAlchemy


def process_ask_json() -> list[Bench]:
    """A fresh `cmmi-bot ask --json "WMC.SP1.6"` process, its index in the user's cache, beside a bare
    `python -c "import whoosh, sqlalchemy"`; the first run, which builds and stores the index, is a note."""
    cache = Path(tempfile.mkdtemp(prefix="xdg-cache-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    ask = [str(BIN / "cmmi-bot"), "ask", "--json", "WMC.SP1.6"]
    bare = [sys.executable, "-c", "import whoosh, sqlalchemy"]

    def run(argv: list[str]) -> None:
        subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)

    cold = _time_ns(run, ask)  # no cache yet: builds the index and keeps it
    check = subprocess.run(ask, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    if json.loads(check.stdout)["results"][0]["id"] != "WMC.SP1.6":
        raise RuntimeError(f"cmmi-bot ask --json did not answer WMC.SP1.6:\n{check.stdout}")
    values, floors = paired(lambda: run(ask), lambda: run(bare), runs=15, warmup=2)
    floor = Stats.of(floors)
    notes = (
        f"first run, building and caching the index: {cold / 1e6:.0f} ms",
        f"target: median at most {ASK_JSON_TARGET_RATIO}x the bare import's median in this run",
    )
    return [
        Bench(
            "process.ask_json",
            Stats.of(values),
            "python -c 'import whoosh, sqlalchemy'",
            floor,
            target=ASK_JSON_TARGET_RATIO * floor.median,
            notes=notes,
        )
    ]


def delivery_record() -> list[Bench]:
    """Recording a chat delivery before its ack (bot/edge.py Deliveries) in the SQLite inbox, beside the in-process memory
    record it would take as a first-level filter: for new deliveries (every one) and for retries (rare)."""
    from bot.edge import Deliveries

    with tempfile.TemporaryDirectory() as folder:
        ctx, store = _store_context(Path(folder))
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


def _store_context(folder: Path) -> tuple[Context, Store]:
    engine = make_engine(sqlite_url(folder / "bench.db"))
    upgrade(engine)
    store = Store(engine)
    return Context(model=load_model(), index=shared_index(), store=store), store


def evidence_add_rate() -> list[Bench]:
    """Evidence adds through the whole console core (parse, resolve, dedupe, insert, audit), one
    transaction each on SQLite, beside a raw SQLAlchemy Core insert loop into the same table."""
    adds = 3000
    with tempfile.TemporaryDirectory() as folder:
        ctx, store = _store_context(Path(folder))
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
            a, b = _time_ns(first, i), _time_ns(second, i)
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
        ctx, store = _store_context(Path(folder))
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
        ctx, store = _store_context(Path(folder))
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

        floor_ns = _time_ns(bare_claims)
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


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def serving_memory() -> list[Bench]:
    """Resident memory of a real `cmmi-bot serve` (Slack HTTP mode, SQLite) after 10,000 mixed requests
    (questions, evidence adds, status), beside the same process idle after start-up."""
    import socket
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode

    from slack_sdk.signature import SignatureVerifier

    sys.path.insert(0, str(ROOT / "tests" / "bot" / "slack"))
    from fake_slack import FakeSlack

    secret, total = "bench-signing-secret", 10_000
    texts = ["what does WMC.SP1.6 require", "how do we track customer requests?", "which PA covers disaster recovery?", "status", "GP2.8"]
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as folder:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {
            **os.environ, "SLACK_BOT_TOKEN": "xoxb-bench-not-real", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fake.api_url,
            "CMMI_HTTP_HOST": "127.0.0.1", "CMMI_HTTP_PORT": str(port), "XDG_DATA_HOME": folder, "CMMI_LOG_LEVEL": "WARNING",
        }  # fmt: skip
        env.pop("SLACK_APP_TOKEN", None)
        proc = subprocess.Popen([str(BIN / "cmmi-bot"), "serve"], cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                        break
                except OSError:
                    time.sleep(0.1)
            verifier = SignatureVerifier(secret)

            def send(n: int) -> bool:
                text = (
                    f"evidence add WMC.SP1.{1 + n % 7} https://wiki.example.com/mem/{n} n{n} --group Desk"
                    if n % 4 == 0
                    else texts[n % len(texts)]
                )
                body = urlencode(
                    {
                        "team_id": "T0FAKE",
                        "channel_id": "C0MEM",
                        "user_id": f"U{n % 30}",
                        "command": "/cmmi",
                        "text": text,
                        "response_url": fake.response_url(f"m{n}"),
                    }
                )
                ts = str(int(time.time()))
                sig = verifier.generate_signature(timestamp=ts, body=body)
                headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
                req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=15) as response:
                    return bool(json.loads(response.read() or b"{}").get("text"))

            send(1)  # the group for evidence adds
            group = urlencode(
                {
                    "team_id": "T0FAKE",
                    "channel_id": "C0MEM",
                    "user_id": "U1",
                    "command": "/cmmi",
                    "text": "group add Desk",
                    "response_url": fake.response_url("g"),
                }
            )
            ts = str(int(time.time()))
            urllib.request.urlopen(
                urllib.request.Request(
                    f"http://127.0.0.1:{port}/slack/events", data=group.encode(), method="POST",
                    headers={"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=group)},
                ),
                timeout=15,
            ).read()  # fmt: skip
            time.sleep(1.0)
            idle = _rss_kib(proc.pid)
            with ThreadPoolExecutor(max_workers=8) as pool:
                answered = sum(pool.map(send, range(total), timeout=900))
            if answered != total:  # a command's answer rides on its acknowledgement
                raise RuntimeError(f"{total - answered} of {total} requests got no answer with their acknowledgement")
            time.sleep(1.0)
            after = _rss_kib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            if proc.stderr:
                proc.stderr.close()
    notes = (f"RSS idle {idle / 1024:.1f} MiB -> {after / 1024:.1f} MiB after {total:,} requests (+{(after - idle) / 1024:.1f} MiB)",)
    return [
        Bench(
            "serve.rss_after_10k_requests",
            Stats.of([after * 1_000_000]),
            "same process idle after start",
            Stats.of([idle * 1_000_000]),
            unit="KiB",
            notes=notes,
        )
    ]


def slack_round_trip() -> list[Bench]:
    """Slash commands over loopback at 50 requests per second against the real app, each answered with its HTTP 200.

    slack.slash_answer_50rps: a signed /cmmi question in, the answer back with the acknowledgement. Floor: a bare Bolt
    app that only acks (Bolt's defaults), its requests interleaved with ours.
    slack.write_ack_50rps: evidence adds, each committed before its acknowledgement (p99 is the figure: Slack allows
    3 s). Beside it, the design before it, measured the same way in the same run: a Bolt app that acknowledges first
    and stores afterwards in its thread pool (so an add could be acknowledged and then lost)."""
    import socket
    import threading
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode

    from slack_bolt import App
    from slack_sdk import WebClient
    from slack_sdk.signature import SignatureVerifier

    from bot import edge
    from bot.http import http_server
    from bot.settings import load_settings
    from bot.slack import render
    from bot.slack.app import api_base_url, build_app
    from bot.slack.listeners.base import respond
    from bot.slack.server import http_app

    sys.path.insert(0, str(ROOT / "tests" / "bot" / "slack"))
    from fake_slack import FakeSlack

    secret, count, rate, timeout = "bench-signing-secret", 500, 50.0, 10.0
    texts = (
        "what does WMC.SP1.6 require",
        "GP2.8",
        "how do we track customer requests?",
        "IRP.SP2.1",
        "which PA covers disaster recovery?",
    )
    verifier = SignatureVerifier(secret)

    def start(app_: object) -> tuple[object, threading.Thread, socket.socket, str]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        srv = http_server(http_app(app_, signing_secret=secret), "127.0.0.1", sock.getsockname()[1])
        thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.01)
        if not srv.started:
            raise RuntimeError("the benchmark server did not start")
        return srv, thread, sock, f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"

    def post(url: str, text: str, response_url: str, trigger: str) -> tuple[int, str]:
        """(nanoseconds to the HTTP 200, its body)."""
        body = urlencode(
            {"team_id": "T0BENCH", "channel_id": "C0BENCH", "user_id": "U0BENCH", "command": "/cmmi", "text": text,
             "response_url": response_url, "trigger_id": trigger, "api_app_id": "A0BENCH"}
        )  # fmt: skip
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
        }
        request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
        sent = time.perf_counter_ns()
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read().decode()
            if response.status != 200:
                raise OSError(f"HTTP {response.status}")
        return time.perf_counter_ns() - sent, answer

    def paced(one: Callable[[int], None]) -> None:
        start_at = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            for i in range(count):
                delay = start_at + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, i)

    def ack_first_app(settings: object, ctx: Context) -> App:
        """The earlier design: acknowledge at once, store and answer afterwards in Bolt's thread pool."""
        app_ = App(name="ack-first", client=WebClient(token="xoxb-bench", base_url=api_base_url(fake.api_url)), signing_secret=secret)

        def command(ack: object, body: dict) -> None:
            ack()  # type: ignore[operator]
            request = Request(
                text=body["text"], user_id=body["user_id"], workspace_id=f"slack:{body['team_id']}", channel_id=body["channel_id"]
            )
            outcome = edge.run(request, ctx, kind="slash command")
            message = render.message(outcome.reply) if outcome.reply else render.notice(outcome.notice or "")
            respond(body["response_url"], message)

        app_.command("/cmmi")(command)
        return app_

    results: list[Bench] = []
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as folder:
        settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fake.api_url})
        ctx, store = _store_context(Path(folder))
        group = store.groups.add(
            workspace_id="slack:T0BENCH", name="Bench Desk", actor="U0BENCH"
        )  # Slack workspaces are stored under their transport
        store.groups.bind_channel(workspace_id="slack:T0BENCH", channel_id="C0BENCH", group_id=group.id, actor="U0BENCH")
        bare = App(name="bare", client=WebClient(token="xoxb-bench", base_url=api_base_url(fake.api_url)), signing_secret=secret)
        bare.command("/cmmi")(lambda ack: ack())  # Bolt's defaults: what a minimal Bolt app costs
        servers = [start(build_app(settings, ctx)), start(bare), start(ack_first_app(settings, ctx))]
        (_, _, _, our_url), (_, _, _, bare_url), (_, _, _, old_url) = servers
        for i in range(20):  # warm-up: connections, caches, users.info for the one user
            post(our_url, texts[i % len(texts)], fake.response_url("warm"), f"warm{i}")
            post(bare_url, texts[i % len(texts)], fake.response_url("bare"), f"warmb{i}")
        time.sleep(0.5)
        gc.collect()
        answers: list[int] = []
        floors: list[int] = []
        errors: Counter = Counter()

        def ask(i: int) -> None:
            try:
                took, body = post(our_url, texts[i % len(texts)], fake.response_url(f"q{i}"), f"q{i}")
                if json.loads(body or "{}").get("text"):
                    answers.append(took)
                floors.append(post(bare_url, texts[i % len(texts)], fake.response_url("bare"), f"b{i}")[0])
            except OSError as exc:
                errors[type(exc).__name__] += 1

        paced(ask)
        writes: list[int] = []
        old_writes: list[int] = []

        def add(i: int) -> None:
            try:
                took, body = post(our_url, f"evidence add WMC.SP1.{1 + i % 7} https://wiki.example.com/w/{i} bench", "", f"w{i}")
                if "Logged evidence" in body:
                    writes.append(took)
                text = f"evidence add WMC.SP1.{1 + i % 7} https://wiki.example.com/old/{i} bench"
                old_writes.append(post(old_url, text, fake.response_url(f"old{i}"), f"o{i}")[0])
            except OSError as exc:
                errors[type(exc).__name__] += 1

        paced(add)
        time.sleep(1.0)  # let the ack-first app finish what it acknowledged before its database goes away
        for srv, thread, sock, _ in servers:
            srv.should_exit = True
            thread.join(timeout=10)
            sock.close()
        store.engine.dispose()
    for label, got in (("questions", answers), ("evidence adds", writes)):
        if count - len(got) > count // 100:
            raise RuntimeError(f"{count - len(got)} of {count} {label} got no answer with their ack ({dict(errors)})")
    results.append(
        Bench(
            "slack.slash_answer_50rps",
            Stats.of(answers),
            "bare Bolt app ack (HTTP 200)",
            Stats.of(floors),
            target=20.0,
            notes=(f"{count} signed /cmmi questions at {rate:.0f}/s over 127.0.0.1, each answered with its HTTP 200",),
        )
    )
    results.append(
        Bench(
            "slack.write_ack_50rps",
            Stats.of(writes),
            "ack-first design, same adds (the earlier app)",
            Stats.of(old_writes),
            target=3000.0,
            notes=(
                f"{count} evidence adds at {rate:.0f}/s on SQLite, each committed before its acknowledgement; compare p99 with Slack's 3 s",
                "the floor acknowledged before storing: an add it acknowledged could be lost if the process stopped",
            ),
        )
    )
    return results


LOAD_RATE, LOAD_SECONDS = 50.0, 60.0  # the load: 50 mixed requests per second for 60 s over two replicas
POSTGRES_ADMIN_URL = os.environ.get("CMMI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def replicas_under_load() -> list[Bench]:
    """Two real `cmmi-bot serve` replicas on one PostgreSQL database, with their schedulers, behind no proxy: 50 mixed
    signed requests per second for 60 s, alternating between them (questions, evidence adds and status as /cmmi, and
    @mentions as events). The figure is each request's acknowledgement (its HTTP 200; a command's answer rides on it);
    an error is anything but a 200 with an answer, or a mention never answered. Floor: GET /healthz on the same replica,
    interleaved with the requests, so both see the same load."""
    import socket
    import urllib.error
    import urllib.request
    import uuid
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode

    from slack_sdk.signature import SignatureVerifier
    from sqlalchemy import text as sql

    sys.path.insert(0, str(ROOT / "tests" / "bot" / "slack"))
    from fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack

    secret, workspace = "bench-signing-secret", f"slack:{TEAM_ID}"
    admin = make_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"cmmi_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sql(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise RuntimeError(f"PostgreSQL is needed for the two-replica load and could not be reached: {type(exc).__name__}") from None
    db_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    verifier = SignatureVerifier(secret)
    processes: list[subprocess.Popen] = []
    try:
        engine = make_engine(db_url)
        upgrade(engine)
        store = Store(engine)
        group = store.groups.add(workspace_id=workspace, name="Load Desk", actor="U0LOAD")
        store.groups.bind_channel(workspace_id=workspace, channel_id="C0LOAD", group_id=group.id, actor="U0LOAD")
        with FakeSlack() as fake, tempfile.TemporaryDirectory() as folder:
            urls = []
            for replica in ("a", "b"):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    port = probe.getsockname()[1]
                home = Path(folder) / replica
                home.mkdir()
                env = {
                    **os.environ, "CMMI_DATABASE_URL": db_url, "XDG_DATA_HOME": str(home), "XDG_CACHE_HOME": str(Path(folder) / "cache"),
                    "SLACK_BOT_TOKEN": "xoxb-bench-not-real", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fake.api_url,
                    "CMMI_HTTP_HOST": "127.0.0.1", "CMMI_HTTP_PORT": str(port), "CMMI_LOG_LEVEL": "WARNING",
                }  # fmt: skip
                for var in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "CLIENT_ID", "CLIENT_SECRET"):
                    env.pop(var, None)
                processes.append(
                    subprocess.Popen([str(BIN / "cmmi-bot"), "serve"], cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                )
                urls.append(f"http://127.0.0.1:{port}")
            for url in urls:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                            if response.status == 200:
                                break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise RuntimeError("a replica did not become ready") from None
                        time.sleep(0.1)

            def signed(url: str, body: str, content_type: str) -> tuple[int, str, int]:
                ts = str(int(time.time()))
                headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
                           "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body)}  # fmt: skip
                request = urllib.request.Request(url + "/slack/events", data=body.encode(), headers=headers, method="POST")
                sent = time.perf_counter_ns()
                try:
                    with urllib.request.urlopen(request, timeout=15) as response:
                        answer = response.read().decode()
                        return response.status, answer, time.perf_counter_ns() - sent
                except urllib.error.HTTPError as exc:
                    return exc.code, "", time.perf_counter_ns() - sent

            questions = ("what does WMC.SP1.6 require", "how do we track customer requests?", "which PA covers disaster recovery?", "GP2.8")
            acks: list[int] = []
            floors: list[int] = []
            kinds: Counter = Counter()
            errors: Counter = Counter()
            mentions: list[str] = []

            def one(n: int) -> None:
                url = urls[n % 2]
                shape = n % 10
                try:
                    if shape in (0, 1):  # a mention, answered in its thread after the ack
                        event = {"type": "app_mention", "user": f"U{n % 40:04d}", "channel": "C0LOAD", "ts": f"1700000000.{n:06d}",
                                 "text": f"<@{BOT_USER_ID}> {questions[n % len(questions)]}"}  # fmt: skip
                        body = json.dumps({"token": "t", "team_id": TEAM_ID, "api_app_id": "A0BENCH", "event": event, "type": "event_callback",
                                           "event_id": f"Ev{n:08d}", "event_time": int(time.time()),
                                           "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}]})  # fmt: skip
                        status, answer, took = signed(url, body, "application/json")
                        ok, kind = status == 200, "mention"
                        mentions.append(event["ts"])
                    else:
                        if shape < 5:
                            text, kind = f"evidence add WMC.SP1.{1 + n % 7} https://wiki.example.com/load/{n} load {n}", "evidence add"
                        elif shape < 6:
                            text, kind = "status ML2", "status"
                        else:
                            text, kind = questions[n % len(questions)], "question"
                        body = urlencode({"team_id": TEAM_ID, "channel_id": "C0LOAD", "user_id": f"U{n % 40:04d}", "command": "/cmmi",
                                          "text": text, "response_url": fake.response_url(f"l{n}"), "trigger_id": f"load.{n}",
                                          "api_app_id": "A0BENCH"})  # fmt: skip
                        status, answer, took = signed(url, body, "application/x-www-form-urlencoded")
                        ok = status == 200 and bool(json.loads(answer or "{}").get("text")) and "Sorry, something went wrong" not in answer
                    if not ok:
                        errors[f"{kind}: HTTP {status}"] += 1
                    acks.append(took)
                    kinds[kind] += 1
                    sent = time.perf_counter_ns()
                    with urllib.request.urlopen(url + "/healthz", timeout=15) as response:
                        response.read()
                    floors.append(time.perf_counter_ns() - sent)
                except OSError as exc:
                    errors[type(exc).__name__] += 1

            total = int(LOAD_RATE * LOAD_SECONDS)
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=32) as pool:
                for n in range(total):
                    delay = started + n / LOAD_RATE - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    pool.submit(one, n)
            elapsed = time.perf_counter() - started
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                answered = {c.body.get("thread_ts") for c in fake.calls("chat.postMessage") if c.body.get("channel") == "C0LOAD"}
                if answered >= set(mentions):
                    break
                time.sleep(0.2)
            unanswered = len(set(mentions) - answered)
            if unanswered:
                errors["mention never answered"] += unanswered
            with engine.connect() as conn:
                stored = conn.execute(sql("SELECT count(*) FROM evidence")).scalar_one()
            if stored != kinds["evidence add"]:
                errors["evidence adds stored != acknowledged"] += abs(stored - kinds["evidence add"])
            for process in processes:
                process.terminate()
            for process in processes:
                _, stderr = process.communicate(timeout=60)
                if process.returncode != 0 or b"Traceback" in stderr:
                    errors["replica exit"] += 1
        engine.dispose()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        with admin.connect() as conn:
            conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    value = Stats.of(acks)
    notes = (
        f"{len(acks)} requests in {elapsed:.1f} s over 2 replicas ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); "
        f"errors: {sum(errors.values())}{' ' + str(dict(errors)) if errors else ''}",
        f"ack p99 {value.p99:.1f} ms (target < 300 ms, with 0 errors)",
    )
    return [Bench("replicas.load_50rps_60s", value, "GET /healthz, same replica, interleaved", Stats.of(floors), target=None, notes=notes)]


def outputs_at_scale() -> list[Bench]:
    """The XLSX evidence workbook and the PNG heatmap (ML5) for 50 work groups and 20,000 evidence rows, beside
    openpyxl writing the same cells without styles, and zlib packing the heatmap's own pixels (PNG's core)."""
    import io
    import zlib

    from openpyxl import Workbook

    from handlers.readiness import Readiness, Snapshot, Target
    from handlers.support.heatmap import render_heatmap
    from handlers.support.workbook import build_workbook

    with tempfile.TemporaryDirectory() as folder:
        ctx, store = _store_context(Path(folder))
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


@cache
def _context() -> Context:
    return Context(model=load_model(), index=shared_index())


BENCHMARKS: list[Callable[[], list[Bench]]] = [
    ask_id_lookup,
    ask_natural_language,
    index_build,
    process_first_answer,
    process_ask_json,
    delivery_record,
    evidence_add_rate,
    status_at_scale,
    digest_at_scale,
    serving_memory,
    slack_round_trip,
    replicas_under_load,
    outputs_at_scale,
]


# ---- reporting -------------------------------------------------------------------------------


def machine() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "whoosh": metadata.version("whoosh-reloaded"),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "pythondontwritebytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def table(results: Sequence[Bench]) -> str:
    header = ("name", "unit", "median", "p95", "p99", "floor", "floor median", "ratio", "target", "met")
    rows = [header]
    for b in results:
        rows.append(
            (
                b.name,
                b.unit,
                f"{b.value.median:.3f}",
                f"{b.value.p95:.3f}",
                f"{b.value.p99:.3f}",
                b.floor_name,
                f"{b.floor.median:.3f}",
                f"{b.ratio:.2f}x",
                "-" if b.target is None else f"< {b.target:g}",
                {True: "yes", False: "NO", None: "-"}[b.met],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    numeric = {2, 3, 4, 6, 7}
    lines = ["  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def isolate_temp_files(folder: str) -> None:
    """Point Whoosh's temp files (this process and the ones it starts) at a private folder.

    RamStorage indexes write their temp files to $TMPDIR/MAIN.tmp and, on commit, delete every file
    in it, so another process building an index at the same moment can make our build fail with
    FileNotFoundError (and we theirs). A folder of our own keeps the benchmark out of that race.
    """
    tempfile.tempdir = folder
    os.environ["TMPDIR"] = folder


def main() -> int:
    started = time.perf_counter_ns()
    with tempfile.TemporaryDirectory(prefix="cmmi-bench-") as folder:
        isolate_temp_files(folder)
        return report(run_all(), started)


def run_all() -> list[Bench]:
    results: list[Bench] = []
    for bench in BENCHMARKS:
        t0 = time.perf_counter_ns()
        print(f"running {bench.__name__} ...", file=sys.stderr, flush=True)
        results.extend(bench())
        print(f"  done in {(time.perf_counter_ns() - t0) / 1e9:.1f} s", file=sys.stderr, flush=True)
    return results


def report(results: Sequence[Bench], started: int) -> int:
    info = machine()
    wall = (time.perf_counter_ns() - started) / 1e9
    print(table(results))
    for b in results:
        for note in b.notes:
            print(f"  {b.name}: {note}")
    print(f"\n{info['usable_cpus']} CPUs, Python {info['python']}; targets are informational, compare ratios between runs.")
    print(f"whole run: {wall:.1f} s")
    RESULTS.write_text(
        json.dumps({"machine": info, "wall_s": round(wall, 2), "results": [b.to_json() for b in results]}, indent=2) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
