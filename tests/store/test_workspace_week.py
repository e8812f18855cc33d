"""One pass of aggregate queries per workspace and week gives every digest scope what the per-scope queries give."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from store import Store
from tests.conftest import Clock
from tests.helpers import log_evidence

pytestmark = pytest.mark.calendar


def test_workspace_week_agrees_with_the_per_scope_queries(store: Store, clock: Clock) -> None:
    groups = [store.groups.add(workspace_id="W", name=f"Group {n}", actor="U0") for n in range(3)]
    other = store.groups.add(workspace_id="X", name="Elsewhere", actor="U9")
    start = clock.now
    added = []
    for n in range(40):  # before, inside and after the week, some removed inside or after it
        clock.now = start + timedelta(days=-6 + n * 0.4)
        group = groups[n % 3]
        item, _ = log_evidence(
            store, "W", group, f"WMC.SP1.{1 + n % 7}", actor=f"U{n % 5}", link=f"https://e.example.com/{n}", on=date(2026, 1, 1)
        )
        added.append(item)
        if n % 4 == 0:
            store.ratings.rate(
                workspace_id="W",
                group=group,
                practice_key=f"WMC.SP1.{1 + n % 7}",
                process_area="WMC",
                value="LI",
                note=None,
                actor=f"R{n % 3}",
            )
        log_evidence(store, "X", other, "WMC.SP1.1", actor="U9", link=f"https://x.example.com/{n}", on=date(2026, 1, 1))
    for n, item in enumerate(added):
        if n % 6 == 0:
            clock.now = start + timedelta(days=n * 0.3 - 2)
            store.evidence.remove(workspace_id="W", evidence_id=item.id, actor=item.created_by, is_admin=True)
    week_start, week_end = start, start + timedelta(days=7)
    facts = store.digests.workspace_week(workspace_id="W", start=week_start, end=week_end)
    for group_id in (None, *(g.id for g in groups)):
        assert facts.activity(group_id) == store.digests.activity(workspace_id="W", group_id=group_id, start=week_start, end=week_end), (
            group_id
        )
        assert facts.covered_as_of_start(group_id) == store.digests.covered_as_of(workspace_id="W", group_id=group_id, when=week_start), (
            group_id
        )
        expected = store.evidence.counts(workspace_id="W", group_id=group_id)
        assert {k: v for k, v in facts.counts.items() if group_id is None or k[0] == group_id} == expected, group_id
    assert facts.activity(None).added > 0 and facts.activity(None).removed > 0 and facts.activity(None).ratings > 0
    assert all(g != other.id for g, _ in facts.counts)  # another workspace's rows never count


def test_an_empty_workspace_has_a_quiet_week(store: Store, clock: Clock) -> None:
    facts = store.digests.workspace_week(workspace_id="nobody", start=clock.now, end=clock.now + timedelta(days=7))
    assert facts.activity(None).quiet and not facts.counts and not facts.covered_as_of_start(None)
