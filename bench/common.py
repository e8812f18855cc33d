"""What every benchmark area shares: timing a figure beside its floor, the results, the report table and the machine."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from handlers import Context
from index import build_index
from index.engine import ModelIndex
from model_data import load_model
from store import Store, make_engine, sqlite_url, upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
BIN = Path(sys.executable).parent  # the venv's bin: run as .venv/bin/python bench/run.py


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


def time_ns(fn: Callable[..., object], *args: object) -> int:
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
            floors.append(time_ns(floor))
            values.append(time_ns(value))
        else:
            values.append(time_ns(value))
            floors.append(time_ns(floor))
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
            floors.append(time_ns(floor, text))
            values.append(time_ns(value, text))
        else:
            values.append(time_ns(value, text))
            floors.append(time_ns(floor, text))
    return values, floors


@cache
def shared_index() -> ModelIndex:
    return build_index(load_model())


def store_context(folder: Path) -> tuple[Context, Store]:
    engine = make_engine(sqlite_url(folder / "bench.db"))
    upgrade(engine)
    store = Store(engine)
    return Context(model=load_model(), index=shared_index(), store=store), store


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
