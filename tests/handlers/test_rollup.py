"""The roll-up rules, exactly as the help text states them."""

from __future__ import annotations

import pytest

from handlers.support import rollup as r

pytestmark = pytest.mark.calendar  # also run with the clock a year ahead (make test-future)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        (["FI", "FI"], "FI"),
        (["FI", "NY"], "FI"),
        (["FI", "LI"], "LI"),
        (["LI", "NY", "FI"], "LI"),
        (["FI", "PI"], r.JUDGEMENT),
        (["LI", "NI", "NY"], r.JUDGEMENT),
        (["PI", "NI"], "PI"),
        (["PI", "NY"], "PI"),
        (["NI", "NY"], "NI"),
        (["NY", "NY"], "NY"),
        (["FI", None], r.UNRATED),
        ([], r.UNRATED),
    ],
)
def test_practice_rollup(ratings, expected) -> None:
    assert r.practice_rollup(ratings) == expected


@pytest.mark.parametrize(
    ("practices", "expected"),
    [
        (["FI", "LI"], r.SATISFIABLE),
        (["FI", "PI"], r.NOT_SATISFIED),
        (["FI", "NY"], r.NOT_RATABLE),
        (["FI", r.UNRATED], r.NOT_RATABLE),
        (["NI", r.UNRATED], r.NOT_RATABLE),
        (["FI", r.JUDGEMENT], r.NEEDS_JUDGEMENT),
    ],
)
def test_goal_rollup(practices, expected) -> None:
    assert r.goal_rollup(practices) == expected


def test_combine_needs_every_part() -> None:
    assert r.combine([r.SATISFIABLE, r.SATISFIABLE]) == r.SATISFIABLE
    assert r.combine([r.SATISFIABLE, r.NOT_RATABLE]) == r.NOT_RATABLE
    assert r.combine([r.NOT_RATABLE, r.NOT_SATISFIED]) == r.NOT_SATISFIED
    assert r.combine([r.SATISFIABLE, r.NEEDS_JUDGEMENT]) == r.NEEDS_JUDGEMENT
    assert r.combine([]) == r.NOT_RATABLE
