"""status [PA|ML2|ML3|ML4|ML5] [--group NAME] [--chart]: evidence coverage and the suggested roll-up.

Examples:
  status
  status ML3
  status WMC --group "Service Desk"
  status ML2 --chart
Coverage counts practices with evidence against practices in scope, per process area and per work group.
Evidence past its review date (see settings) is counted apart: "current" coverage leaves it out, and
gaps lists it. --chart adds a heatmap picture: process areas x work groups, coloured by the work group's
rating, or by its evidence coverage while unrated.
In scope for MLn: the specific practices of every process area at level n and below, with GG2's generic
practices (and GG3's from ML3). The optional SSD counts once the workspace logs anything against it.
The roll-up is a suggestion for the appraisal team, never a verdict:
  practice: all FI/NY with one FI -> FI; all FI/LI/NY with one LI -> LI; FI/LI mixed with PI/NI -> team
  judgement; all PI/NI/NY with one PI -> PI; all NI/NY with one NI -> NI; all NY -> NY; any work group
  unrated -> unrated.
  goal: satisfiable only when all its practices are LI or FI; not ratable while any is unrated or NY.
  process area: all its goals satisfiable. Maturity level: all its process areas and those below.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.core import Attachment, Context, Reply, Request, Section
from handlers.support.freshness import review_of
from handlers.support.heatmap import render_heatmap
from handlers.support.readiness import NO_GROUPS, Readiness, Snapshot, Target, next_level, percent, report_request
from store import Group

USAGE = "status [PA|ML2|ML3|ML4|ML5] [--group NAME] [--chart]"
SUGGESTION = "Roll-up is a suggestion for the appraisal team, not a verdict. Rules: help status"


@dataclass(frozen=True)
class Fresh:
    """Evidence review in a part of a scope: items past their review date, and the pairs with current evidence."""

    needs_review: int
    current: int
    total: int

    def __str__(self) -> str:
        return f"{self.needs_review} item{'s' if self.needs_review != 1 else ''}" if self.needs_review else "none"

    @property
    def suffix(self) -> str:
        return f" · {self.needs_review} need{'s' if self.needs_review == 1 else ''} review" if self.needs_review else ""


def fresh(readiness: Readiness, stale: dict[tuple[int, str], int], pa: str | None = None, group: Group | None = None) -> Fresh:
    """A practice x work group pair has current evidence when not all of its evidence needs review."""
    groups = [group] if group else readiness.groups
    keys = [p.key for p in readiness.practices if pa is None or p.pa == pa]
    items = sum(stale.get((g.id, k), 0) for g in groups for k in keys)
    current = sum(1 for g in groups for k in keys if readiness.counts.get((g.id, k), 0) > stale.get((g.id, k), 0))
    return Fresh(items, current, len(keys) * len(groups))


def _mark(readiness: Readiness, stale: dict[tuple[int, str], int], g: Group, key: str) -> str:
    count = readiness.counts.get((g.id, key), 0)
    if count == 0:
        return " (no evidence)"
    return " (evidence needs review)" if stale.get((g.id, key), 0) >= count else ""


def handle(request: Request, ctx: Context) -> Reply:
    asked = report_request(request, ctx, USAGE, flags=("chart",))
    store, target, group, ws = asked.store, asked.target, asked.group, request.workspace_id
    if not store.groups.list(workspace_id=ws):
        return Reply(text="No work groups yet.", sections=(Section(body=NO_GROUPS),))
    scope = f" · {group.name}" if group else ""
    sections: list[Section] = []
    snapshot = Snapshot.load(ctx, store, ws, group)
    review = review_of(ctx, store, ws)
    stale = store.freshness.due_counts(workspace_id=ws, before=review.needs_review_before, group_id=group.id if group else None)
    if target is None:
        items = []
        for level in (2, 3, 4, 5):
            r = Readiness.of(ctx.model, snapshot, Target(level=level))
            items.append(f"ML{level}: evidence {percent(*r.coverage())}{fresh(r, stale).suffix} · roll-up {r.level_rollup()}")
        sections.append(Section(title=f"Readiness by maturity level{scope}", items=tuple(items)))
        target = next_level(ctx.model, snapshot)  # detail for the first level not yet satisfiable
    readiness = Readiness.of(ctx.model, snapshot, target)
    overall = fresh(readiness, stale)
    counted = (
        ("Evidence", percent(*readiness.coverage())),
        ("Current evidence", percent(overall.current, overall.total)),
        ("Needs review", str(overall)),
    )
    if target.pa:
        pa = ctx.model.pa(target.pa)
        items = []
        for p in readiness.practices:
            groups = ", ".join(f"{g.name} {readiness.rating(g, p.key) or '-'}{_mark(readiness, stale, g, p.key)}" for g in readiness.groups)
            items.append(f"{p.key} {p.title}: {readiness.practice_rollup(p.key)} [{groups}]")
        goals = tuple(f"{g}: {readiness.goal_rollup(g)}" for g in dict.fromkeys(p.goal_key for p in readiness.practices))
        sections.append(Section(title=f"{pa.abbr} {pa.name}{scope}", fields=(*counted, ("Roll-up", readiness.pa_rollup(pa.abbr)))))
        sections.append(Section(title="Goals", items=goals))
        sections.append(Section(title="Practices", items=tuple(items)))
    else:
        per_pa = tuple(
            f"{pa} {ctx.model.pa(pa).name}: evidence {percent(*readiness.coverage(pa=pa))}{fresh(readiness, stale, pa=pa).suffix}"
            f" · {readiness.pa_rollup(pa)}"
            for pa in readiness.pas
        )
        sections.append(
            Section(title=f"{target.label} process areas{scope}", fields=(*counted, ("Roll-up", readiness.level_rollup())), items=per_pa)
        )
    if not group:
        per_group = tuple(
            f"{g.name}: evidence {percent(*readiness.coverage(group=g))}{fresh(readiness, stale, group=g).suffix}" for g in readiness.groups
        )
        sections.append(Section(title=f"Work groups ({target.label})", items=per_group))
    if overall.needs_review:
        label = f"gaps {target.label}" + (f' --group "{group.name}"' if group else "")
        sections.append(Section(note=f"Evidence needs review {review.months} months after its date; {label} lists it."))
    sections.append(Section(note=SUGGESTION))
    covered, total = readiness.coverage()
    attachments: tuple[Attachment, ...] = ()
    if "chart" in asked.flags:
        day = review.today.isoformat()
        title = f"{target.label} readiness{scope}" if group else None
        png = render_heatmap(readiness, today=review.today, title=title)
        name = f"cmmi-readiness-{target.label}{'-' + str(group.id) if group else ''}-{day}.png"
        attachments = (Attachment(filename=name, media_type="image/png", content=png, title=f"{target.label} readiness{scope}, {day}"),)
    return Reply(
        text=f"{target.label}{scope}: evidence {percent(covered, total)}"
        + (f", {overall.needs_review} item(s) need review" if overall.needs_review else ""),
        sections=tuple(sections),
        data={"covered": covered, "total": total, "current": overall.current, "needs_review": overall.needs_review},
        attachments=attachments,
        shareable=True,
    )
