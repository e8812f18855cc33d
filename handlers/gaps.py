"""gaps [PA|MLn] [--group NAME]: practices in scope that need attention before an appraisal.

Examples:
  gaps
  gaps ML3
  gaps IRP --group "Service Desk"
A gap is a practice in scope with no evidence, one rated PI or NI, or one rated FI or LI without evidence.
Without a target, gaps are shown for the first maturity level whose roll-up is not yet satisfiable.
"""

from __future__ import annotations

from handlers.core import Context, Reply, Request, Section
from handlers.readiness import NO_GROUPS, Readiness, Snapshot, next_level, report_request

USAGE = "gaps [PA|MLn] [--group NAME]"
SHOWN = 40


def find_gaps(readiness: Readiness) -> list[tuple[str, str, str]]:
    """(group, practice key, reason) for every gap, in model order."""
    gaps = []
    for p in readiness.practices:
        for g in readiness.groups:
            rating, evidence = readiness.rating(g, p.key), readiness.has_evidence(g, p.key)
            if rating in ("PI", "NI"):
                gaps.append((g.name, p.key, f"rated {rating}" + ("" if evidence else ", no evidence")))
            elif rating in ("FI", "LI") and not evidence:
                gaps.append((g.name, p.key, f"rated {rating} without evidence"))
            elif not evidence:
                gaps.append((g.name, p.key, "no evidence"))
    return gaps


def handle(request: Request, ctx: Context) -> Reply:
    asked = report_request(request, ctx, USAGE)
    store, target, group, ws = asked.store, asked.target, asked.group, request.workspace_id
    if not store.list_groups(ws):
        return Reply(text="No work groups yet.", sections=(Section(body=NO_GROUPS),))
    snapshot = Snapshot.load(ctx, store, ws, group)
    readiness = Readiness.of(ctx.model, snapshot, target or next_level(ctx.model, snapshot))
    target = readiness.target
    gaps = find_gaps(readiness)
    scope = f"{target.label}" + (f" · {group.name}" if group else "")
    if not gaps:
        return Reply(
            text=f"No gaps for {scope}.",
            sections=(Section(body=f"No gaps for {scope}: every practice in scope has evidence and none is rated PI or NI."),),
        )
    titles = {p.key: p.title for p in readiness.practices}
    items = tuple(f"{key} {titles[key]} · {name}: {reason}" for name, key, reason in gaps[:SHOWN])
    sections = [Section(title=f"Gaps for {scope}: {len(gaps)}", items=items)]
    if len(gaps) > SHOWN:
        sections.append(
            Section(
                note=f"{len(gaps) - SHOWN} more not shown. Narrow it to one process area (gaps WMC) or one work group (--group NAME), or use export."
            )
        )
    return Reply(text=f"{len(gaps)} gap(s) for {scope}", sections=tuple(sections), data={"gaps": len(gaps)})
