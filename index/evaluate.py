"""Retrieval evaluation: hit@1 and hit@3 over a JSONL question set, overall and per kind."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from index.engine import ModelIndex


@dataclass(frozen=True)
class EvalRow:
    question: str
    kind: str
    expect: tuple[str, ...]
    got: tuple[str, ...]
    hit1: bool
    hit3: bool


def is_match(result_id: str, expected: str) -> bool:
    """A result matches an expected ID, or any goal/practice of an expected process area."""
    return result_id == expected or ("." not in expected and not expected.startswith("G") and result_id.startswith(expected + "."))


def hit_at(results: list[str], expect: list[str], k: int) -> bool:
    return any(is_match(r, e) for r in results[:k] for e in expect)


def evaluate(index: ModelIndex, path: Path) -> tuple[list[EvalRow], dict[str, dict[str, float]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        got = [h.id for h in index.search(item["q"], limit=5).hits]
        rows.append(
            EvalRow(
                item["q"],
                item.get("kind", "?"),
                tuple(item["expect"]),
                tuple(got),
                hit_at(got, item["expect"], 1),
                hit_at(got, item["expect"], 3),
            )
        )
    groups: dict[str, list[EvalRow]] = defaultdict(list)
    for row in rows:
        groups[row.kind].append(row)
        groups["overall"].append(row)
    summary = {
        kind: {"n": len(rs), "hit@1": sum(r.hit1 for r in rs) / len(rs), "hit@3": sum(r.hit3 for r in rs) / len(rs)}
        for kind, rs in sorted(groups.items())
    }
    return rows, summary


def format_summary(summary: dict[str, dict[str, float]]) -> str:
    lines = [f"{'kind':<12} {'n':>4} {'hit@1':>7} {'hit@3':>7}"]
    for kind, s in sorted(summary.items(), key=lambda kv: (kv[0] == "overall", kv[0])):
        lines.append(f"{kind:<12} {s['n']:>4} {s['hit@1']:>7.3f} {s['hit@3']:>7.3f}")
    return "\n".join(lines)
