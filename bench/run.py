"""Benchmark harness for `make bench`: times each figure beside a floor measured in the same run.

This machine's speed drifts, so no absolute limit is ever asserted. Every benchmark measures its
figure and a floor (the same work without our layer, or the bare runtime) interleaved call by call,
so drift lands on both; the ratio value/floor is the number to compare between runs. Targets from
the issues are reported as met or not, for information only.

The benchmarks live in one module per area (ask, store, digest, memory, slack), sharing bench/common.py.
To add one, write a function returning a list of Bench in its area's module and append it to BENCHMARKS.
Results are printed as a table and written to bench/results.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# `python bench/run.py` puts bench/ first on the path, where bench/store.py would stand in for the store package (and
# bench/slack.py for slack_sdk's legacy slack package): the areas are imported as the bench package, from the root.
_HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = str(_HERE.parent)

from bench import ask, digest, memory, slack, store  # noqa: E402
from bench.common import RESULTS, ROOT, Bench, isolate_temp_files, machine, table  # noqa: E402

BENCHMARKS: list[Callable[[], list[Bench]]] = [
    ask.ask_id_lookup,
    ask.ask_natural_language,
    ask.index_build,
    ask.process_first_answer,
    ask.process_ask_json,
    store.delivery_record,
    store.evidence_add_rate,
    store.status_at_scale,
    digest.digest_at_scale,
    memory.serving_memory,
    slack.slack_round_trip,
    slack.replicas_under_load,
    store.outputs_at_scale,
]


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
