"""status [PA|ML2|ML3|ML4|ML5] [--group NAME]: evidence coverage and the suggested roll-up.

Examples:
  status
  status ML3
  status WMC --group "Service Desk"
Coverage counts practices with evidence against practices in scope, per process area and per work group.
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

from handlers.core import Context, Reply, Request, Section
from handlers.readiness import NO_GROUPS, Readiness, Snapshot, Target, next_level, percent, report_request

USAGE = "status [PA|ML2|ML3|ML4|ML5] [--group NAME]"
SUGGESTION = "Roll-up is a suggestion for the appraisal team, not a verdict. Rules: help status"


def handle(request: Request, ctx: Context) -> Reply:
    asked = report_request(request, ctx, USAGE)
    store, target, group, ws = asked.store, asked.target, asked.group, request.workspace_id
    if not store.list_groups(ws):
        return Reply(text="No work groups yet.", sections=(Section(body=NO_GROUPS),))
    scope = f" · {group.name}" if group else ""
    sections: list[Section] = []
    snapshot = Snapshot.load(ctx, store, ws, group)
    if target is None:
        items = []
        for level in (2, 3, 4, 5):
            r = Readiness.of(ctx.model, snapshot, Target(level=level))
            items.append(f"ML{level}: evidence {percent(*r.coverage())} · roll-up {r.level_rollup()}")
        sections.append(Section(title=f"Readiness by maturity level{scope}", items=tuple(items)))
        target = next_level(ctx.model, snapshot)  # detail for the first level not yet satisfiable
    readiness = Readiness.of(ctx.model, snapshot, target)
    if target.pa:
        pa = ctx.model.pa(target.pa)
        items = []
        for p in readiness.practices:
            groups = ", ".join(
                f"{g.name} {readiness.rating(g, p.key) or '-'}{'' if readiness.has_evidence(g, p.key) else ' (no evidence)'}"
                for g in readiness.groups
            )
            items.append(f"{p.key} {p.title}: {readiness.practice_rollup(p.key)} [{groups}]")
        goals = tuple(f"{g}: {readiness.goal_rollup(g)}" for g in dict.fromkeys(p.goal_key for p in readiness.practices))
        sections.append(
            Section(
                title=f"{pa.abbr} {pa.name}{scope}",
                fields=(("Evidence", percent(*readiness.coverage())), ("Roll-up", readiness.pa_rollup(pa.abbr))),
            )
        )
        sections.append(Section(title="Goals", items=goals))
        sections.append(Section(title="Practices", items=tuple(items)))
    else:
        items = tuple(
            f"{pa} {ctx.model.pa(pa).name}: evidence {percent(*readiness.coverage(pa=pa))} · {readiness.pa_rollup(pa)}"
            for pa in readiness.pas
        )
        sections.append(
            Section(
                title=f"{target.label} process areas{scope}",
                fields=(("Evidence", percent(*readiness.coverage())), ("Roll-up", readiness.level_rollup())),
                items=items,
            )
        )
    if not group:
        per_group = tuple(f"{g.name}: evidence {percent(*readiness.coverage(group=g))}" for g in readiness.groups)
        sections.append(Section(title=f"Work groups ({target.label})", items=per_group))
    sections.append(Section(note=SUGGESTION))
    covered, total = readiness.coverage()
    return Reply(
        text=f"{target.label}{scope}: evidence {percent(covered, total)}",
        sections=tuple(sections),
        data={"covered": covered, "total": total},
    )
