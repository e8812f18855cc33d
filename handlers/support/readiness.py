"""What is in scope for a target, and the coverage and suggested roll-up of evidence and ratings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from handlers.core import Context, Request, UserError
from handlers.support import rollup
from handlers.support.lookup import resolve_pa
from handlers.support.parse import split_words, take_options
from handlers.support.scope import need_store, optional_group
from model_data import Model
from store import Group, RatingItem, Store

_LEVEL = re.compile(r"^(?:ml|maturity\s*level|level)\s*-?\s*(?P<n>[2-5])$", re.I)


@dataclass(frozen=True)
class ScopedPractice:
    key: str  # WMC.SP1.6, WMC.GP2.8
    pa: str
    goal_key: str  # WMC.SG1, WMC.GG2
    goal_title: str
    practice_id: str
    title: str


@dataclass(frozen=True)
class Target:
    """A maturity level (all process areas at it and below) or one process area."""

    level: int | None = None
    pa: str | None = None

    @property
    def label(self) -> str:
        return f"ML{self.level}" if self.level else str(self.pa)


def parse_target(ctx: Context, words: list[str], usage: str) -> Target | None:
    text = " ".join(words).strip()
    if not text:
        return None
    m = _LEVEL.match(text)
    if m:
        return Target(level=int(m["n"]))
    if re.match(r"^(?:ml|level)\s*-?\s*\d+$", text, re.I):
        raise UserError(f"'{text}' is not a maturity level with process areas; use ML2, ML3, ML4 or ML5. Usage: {usage}")
    pa = resolve_pa(ctx, text) if len(words) == 1 else None
    if pa is None:
        raise UserError(f"'{text}' is neither a process area (e.g. WMC) nor a maturity level (ML2-ML5). Usage: {usage}")
    return Target(pa=pa)


def practices_in_scope(model: Model, target: Target, optional_used: set[str]) -> list[ScopedPractice]:
    """Specific practices of the process areas in scope, plus the generic practices each needs:
    GG2 at maturity level 2, GG2 and GG3 from level 3 (staged representation). An optional process
    area (SSD) is in a level's scope only once the workspace has evidence or ratings for it."""
    if target.pa:
        pas = [model.pa(target.pa)]
        generic_levels = (2, 3) if pas[0].maturity_level >= 3 else (2,)
    else:
        assert target.level is not None
        pas = [pa for pa in model.pas_at_level(target.level, cumulative=True) if not pa.optional or pa.abbr in optional_used]
        generic_levels = (2, 3) if target.level >= 3 else (2,)
    scoped: list[ScopedPractice] = []
    for pa in pas:
        for goal in pa.goals:
            scoped.extend(ScopedPractice(p.id, pa.abbr, goal.id, goal.title, p.id, p.title) for p in goal.practices)
        for gg in model.generic_goals:
            if gg.capability_level in generic_levels:
                scoped.extend(
                    ScopedPractice(f"{pa.abbr}.{gp.id}", pa.abbr, f"{pa.abbr}.{gg.id}", gg.title, gp.id, gp.title) for gp in gg.practices
                )
    return scoped


@dataclass(frozen=True)
class Snapshot:
    """One read of a workspace's (or one work group's) groups, evidence counts and current ratings;
    every target a command looks at is computed from it."""

    groups: list[Group]
    counts: dict[tuple[int, str], int]
    ratings: dict[tuple[int, str], RatingItem]
    optional_used: frozenset[str]

    @classmethod
    def load(cls, ctx: Context, store: Store, workspace: str, group: Group | None) -> Snapshot:
        groups = [group] if group else store.groups.list(workspace_id=workspace)
        group_id = group.id if group else None
        counts = store.evidence.counts(workspace_id=workspace, group_id=group_id)
        ratings = store.ratings.current(workspace_id=workspace, group_id=group_id)
        optional = {pa.abbr for pa in ctx.model.process_areas if pa.optional}
        used = frozenset({key.split(".")[0] for _, key in (*counts, *ratings)} & optional)
        return cls(groups, counts, ratings, used)


@dataclass
class Readiness:
    """Evidence counts and current ratings for the practices in scope and the work groups chosen."""

    model: Model
    target: Target
    groups: list[Group]
    practices: list[ScopedPractice]
    counts: dict[tuple[int, str], int]
    ratings: dict[tuple[int, str], RatingItem]
    _cache: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, model: Model, snapshot: Snapshot, target: Target) -> Readiness:
        practices = practices_in_scope(model, target, set(snapshot.optional_used))
        return cls(model, target, snapshot.groups, practices, snapshot.counts, snapshot.ratings)

    @classmethod
    def load(cls, ctx: Context, store: Store, workspace: str, target: Target, group: Group | None) -> Readiness:
        return cls.of(ctx.model, Snapshot.load(ctx, store, workspace, group), target)

    @cached_property
    def pas(self) -> list[str]:
        return list(dict.fromkeys(p.pa for p in self.practices))

    def has_evidence(self, group: Group, key: str) -> bool:
        return self.counts.get((group.id, key), 0) > 0

    def rating(self, group: Group, key: str) -> str | None:
        found = self.ratings.get((group.id, key))
        return found.value if found else None

    def coverage(self, pa: str | None = None, group: Group | None = None) -> tuple[int, int]:
        """(practice x work group pairs with evidence, pairs in scope)."""
        groups = [group] if group else self.groups
        keys = [p.key for p in self.practices if pa is None or p.pa == pa]
        covered = sum(1 for g in groups for k in keys if self.has_evidence(g, k))
        return covered, len(keys) * len(groups)

    def practice_rollup(self, key: str) -> str:
        if key not in self._cache:
            self._cache[key] = rollup.practice_rollup(self.rating(g, key) for g in self.groups)
        return self._cache[key]

    def goal_rollup(self, goal_key: str) -> str:
        return rollup.goal_rollup(self.practice_rollup(p.key) for p in self.practices if p.goal_key == goal_key)

    def pa_rollup(self, pa: str) -> str:
        goals = dict.fromkeys(p.goal_key for p in self.practices if p.pa == pa)
        return rollup.combine(self.goal_rollup(g) for g in goals)

    def level_rollup(self) -> str:
        return rollup.combine(self.pa_rollup(pa) for pa in self.pas)


def next_level(model: Model, snapshot: Snapshot) -> Target:
    """The first maturity level whose roll-up is not yet satisfiable (ML5 when all are)."""
    for level in (2, 3, 4, 5):
        if Readiness.of(model, snapshot, Target(level=level)).level_rollup() != "satisfiable":
            return Target(level=level)
    return Target(level=5)


@dataclass(frozen=True)
class ReportRequest:
    """What status, gaps and export were asked for: a target (or none), a work group (or all), and their own options."""

    store: Store
    target: Target | None
    group: Group | None
    options: dict[str, str] = field(default_factory=dict)  # the command's own --name VALUE options
    flags: frozenset[str] = frozenset()  # the command's own --flag options that were given


NO_GROUPS = 'No work groups yet. Start with: group add "Service Desk", then group use Service Desk in its channel.'


def report_request(request: Request, ctx: Context, usage: str, options: tuple[str, ...] = (), flags: tuple[str, ...] = ()) -> ReportRequest:
    """Parse `[PA|MLn] [--group NAME]`, the arguments every report takes, and the report's own `options` (with a value)
    and `flags` (without one)."""
    store = need_store(ctx)
    words = split_words(request.text)[1:]
    # A flag is written alone (--chart); take_options reads --name=VALUE, so give it one.
    words = [
        f"--{w.lstrip('-—–').lower()}=yes" if w.lstrip("-—–").lower() in flags and w.startswith(("--", "—", "–")) else w for w in words
    ]
    words, given = take_options(words, ("group", *options, *flags), usage)
    for flag in flags:
        if flag in given and given[flag] != "yes":
            raise UserError(f"--{flag} takes no value. Usage: {usage}")
    target = parse_target(ctx, words, usage)
    group = optional_group(ctx, request, given.get("group"), usage)
    chosen = {k: v for k, v in given.items() if k in options}
    return ReportRequest(store, target, group, chosen, frozenset(f for f in flags if f in given))


def percent(covered: int, total: int) -> str:
    return f"{covered}/{total} ({(100 * covered / total) if total else 0:.0f}%)"
