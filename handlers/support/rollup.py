"""SCAMPI-style roll-up rules, as a suggestion for the appraisal team, never a verdict.

Practice (organisational characterization, from the work groups' ratings):
  all FI or NY, at least one FI                 -> FI
  all FI, LI or NY, at least one LI             -> LI
  some FI or LI and some PI or NI               -> team judgement
  all PI, NI or NY, at least one PI             -> PI
  all NI or NY, at least one NI                 -> NI
  all NY                                        -> NY
  a work group in scope without a rating        -> unrated (the practice is not characterized yet)
Goal: satisfiable only when every practice is LI or FI; not ratable while any practice is unrated or NY.
Process area: satisfiable when all its goals are (specific goals, and the generic goals the level needs).
Maturity level: needs every process area at that level and below satisfied.
"""

from __future__ import annotations

from collections.abc import Iterable

FI, LI, PI, NI, NY = "FI", "LI", "PI", "NI", "NY"
JUDGEMENT = "team judgement"
UNRATED = "unrated"

SATISFIABLE = "satisfiable"
NOT_SATISFIED = "not satisfied"
NOT_RATABLE = "not ratable yet"
NEEDS_JUDGEMENT = "needs team judgement"


def practice_rollup(ratings: Iterable[str | None]) -> str:
    """Organisational characterization from one rating per work group in scope (None = unrated)."""
    values = list(ratings)
    if not values or any(v is None for v in values):
        return UNRATED
    seen = set(values)
    if seen == {NY}:
        return NY
    high, low = seen & {FI, LI}, seen & {PI, NI}
    if high and low:
        return JUDGEMENT
    if LI in seen:
        return LI
    if FI in seen:
        return FI
    if PI in seen:
        return PI
    return NI


def goal_rollup(practice_values: Iterable[str]) -> str:
    values = list(practice_values)
    if not values or any(v in (UNRATED, NY) for v in values):
        return NOT_RATABLE
    if all(v in (FI, LI) for v in values):
        return SATISFIABLE
    if any(v == JUDGEMENT for v in values) and not any(v in (PI, NI) for v in values):
        return NEEDS_JUDGEMENT
    return NOT_SATISFIED


def combine(goal_values: Iterable[str]) -> str:
    """A process area from its goals, or a maturity level from its process areas."""
    values = list(goal_values)
    if not values:
        return NOT_RATABLE
    if all(v == SATISFIABLE for v in values):
        return SATISFIABLE
    if any(v == NOT_SATISFIED for v in values):
        return NOT_SATISFIED
    if any(v == NOT_RATABLE for v in values):
        return NOT_RATABLE
    return NEEDS_JUDGEMENT
