"""One pass of aggregate queries per workspace and week gives every digest scope what the per-scope queries give."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from store import Store
from tests.conftest import Clock

pytestmark = pytest.mark.calendar


def test_workspace_week_agrees_with_the_per_scope_queries(store: Store, clock: Clock) -> None:
    groups = [store.add_group("W", f"Group {n}", "U0") for n in range(3)]
    other = store.add_group("X", "Elsewhere", "U9")
    start = clock.now
    added = []
    for n in range(40):  # before, inside and after the week, some removed inside or after it
        clock.now = start + timedelta(days=-6 + n * 0.4)
        group = groups[n % 3]
        item, _ = store.add_evidence("W", group, f"WMC.SP1.{1 + n % 7}", "WMC", "artifact", f"https://e.example.com/{n}", None,
                                     date(2026, 1, 1), f"U{n % 5}")  # fmt: skip
        added.append(item)
        if n % 4 == 0:
            store.rate("W", group, f"WMC.SP1.{1 + n % 7}", "WMC", "LI", None, f"R{n % 3}")
        store.add_evidence("X", other, "WMC.SP1.1", "WMC", "artifact", f"https://x.example.com/{n}", None, date(2026, 1, 1), "U9")
    for n, item in enumerate(added):
        if n % 6 == 0:
            clock.now = start + timedelta(days=n * 0.3 - 2)
            store.remove_evidence("W", item.id, item.created_by, True)
    week_start, week_end = start, start + timedelta(days=7)
    facts = store.workspace_week("W", week_start, week_end)
    for group_id in (None, *(g.id for g in groups)):
        assert facts.activity(group_id) == store.activity("W", group_id, week_start, week_end), group_id
        assert facts.covered_as_of_start(group_id) == store.covered_as_of("W", group_id, week_start), group_id
        expected = store.evidence_counts("W", group_id)
        assert {k: v for k, v in facts.counts.items() if group_id is None or k[0] == group_id} == expected, group_id
    assert facts.activity(None).added > 0 and facts.activity(None).removed > 0 and facts.activity(None).ratings > 0
    assert all(g != other.id for g, _ in facts.counts)  # another workspace's rows never count


def test_an_empty_workspace_has_a_quiet_week(store: Store, clock: Clock) -> None:
    facts = store.workspace_week("nobody", clock.now, clock.now + timedelta(days=7))
    assert facts.activity(None).quiet and not facts.counts and not facts.covered_as_of_start(None)
