"""Retrieval evaluation: hit@1 and hit@3 over a JSONL question set, overall and per kind.

Each line is {"q", "expect", "kind"}. A row whose expect is empty is skipped (not scored) unless its kind is nonsvc:
exported 👎 feedback (kind feedback_bad) has no right answer until a person fills one in, and a row with nothing to
expect cannot be scored. Rows may carry more fields (feedback_bad's "got": what was shown); they are ignored."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from index.engine import ModelIndex

# Kinds scored by their own rule rather than "any expected ID among the top k".
COMPARE = "compare"  # expect lists the elements compared: @1 the first is one of them, @3 all of them are in the top 3
NOT_IN_MODEL = "nonsvc"  # expect is []: a hit only when no result is given and the answer says what is not in the model
FEEDBACK = "feedback"  # a 👍 in chat: the answer's top result was right
FEEDBACK_BAD = "feedback_bad"  # a 👎: expect is [] until a person fills in the right answer; "got" is what was shown


@dataclass(frozen=True)
class EvalRow:
    question: str
    kind: str
    expect: tuple[str, ...]
    got: tuple[str, ...]
    hit1: bool
    hit3: bool
    not_in_model: str | None = None


def is_match(result_id: str, expected: str) -> bool:
    """A result matches an expected ID, or any goal/practice of an expected process area."""
    return result_id == expected or ("." not in expected and not expected.startswith("G") and result_id.startswith(expected + "."))


def hit_at(results: list[str], expect: list[str], k: int) -> bool:
    return any(is_match(r, e) for r in results[:k] for e in expect)


def all_at(results: list[str], expect: list[str], k: int) -> bool:
    """Every expected element is matched within the top k (a comparison names all its sides)."""
    return bool(expect) and all(any(is_match(r, e) for r in results[:k]) for e in expect)


def score(kind: str, expect: list[str], got: list[str], not_in_model: str | None) -> tuple[bool, bool]:
    """(hit@1, hit@3) for one question under its kind's rule."""
    if kind == NOT_IN_MODEL:
        ok = not got and bool(not_in_model)
        return ok, ok
    if kind == COMPARE:
        return hit_at(got, expect, 1), all_at(got, expect, 3)
    return hit_at(got, expect, 1), hit_at(got, expect, 3)


def evaluate(index: ModelIndex, path: Path) -> tuple[list[EvalRow], dict[str, dict[str, float]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if not item["expect"] and item.get("kind") != NOT_IN_MODEL:
            continue  # nothing to expect yet (👎 feedback waiting for its right answer)
        answer = index.search(item["q"], limit=5)
        got = [h.id for h in answer.hits]
        not_in_model = getattr(answer, "not_in_model", None)
        kind = item.get("kind", "?")
        hit1, hit3 = score(kind, item["expect"], got, not_in_model)
        rows.append(EvalRow(item["q"], kind, tuple(item["expect"]), tuple(got), hit1, hit3, not_in_model))
    groups: dict[str, list[EvalRow]] = defaultdict(list)
    for row in rows:
        groups[row.kind].append(row)
        groups["overall"].append(row)
    summary = {
        kind: {"n": len(rs), "hit@1": sum(r.hit1 for r in rs) / len(rs), "hit@3": sum(r.hit3 for r in rs) / len(rs)}
        for kind, rs in sorted(groups.items())
    }
    return rows, summary


def from_feedback(question: str, vote: str, result_ids: list[str] | tuple[str, ...]) -> dict[str, object]:
    """A vote given in chat as a row of this format: 👍 expects the top result it was given; 👎 expects nothing yet
    (a person fills in the right answer) and keeps what was shown in "got"."""
    if vote == "good":
        return {"q": question, "expect": list(result_ids[:1]), "kind": FEEDBACK}
    return {"q": question, "expect": [], "kind": FEEDBACK_BAD, "got": list(result_ids)}


def format_summary(summary: dict[str, dict[str, float]]) -> str:
    lines = [f"{'kind':<12} {'n':>4} {'hit@1':>7} {'hit@3':>7}"]
    for kind, s in sorted(summary.items(), key=lambda kv: (kv[0] == "overall", kv[0])):
        lines.append(f"{kind:<12} {s['n']:>4} {s['hit@1']:>7.3f} {s['hit@3']:>7.3f}")
    return "\n".join(lines)
