"""Benchmarks of answering: ID lookups and natural-language questions against raw Whoosh, the index build, fresh processes."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.common import BIN, ROOT, Bench, Stats, paired, paired_over, shared_index, time_ns
from index import Intent, build_index
from index.engine import ModelIndex, build_plain_whoosh
from model_data import load_model

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
    not_lookup = [q for q in ID_QUESTIONS if ix.search(q).intent != Intent.LOOKUP]
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
    build_plain_whoosh(load_model())


def _load_and_build() -> None:
    load_model.cache_clear()
    build_index(load_model())


def index_build() -> list[Bench]:
    runs = 10
    build, floor_a = paired(lambda: build_index(load_model()), _plain_whoosh_build, runs)
    load_build, floor_b = paired(_load_and_build, _plain_whoosh_build, runs)
    load_model()  # leave the cache warm for whatever runs next
    floor = Stats.of(floor_a + floor_b)
    note = (
        "floor: the engine's schema and documents written to a plain RamStorage index (build_plain_whoosh), no query-understanding setup",
    )
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

    cold = time_ns(run, ask)  # no cache yet: builds the index and keeps it
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
