"""gaps [PA|MLn] [--group NAME] [--page N]: what needs attention before an appraisal: evidence to review, then gaps.

Examples:
  gaps
  gaps ML3
  gaps IRP --group "Service Desk"
  gaps ML2 --page 2
Evidence past its review date comes first, under "Needs review", oldest first: renew what is still valid
(evidence renew N) or log something newer. Then the gaps: a practice in scope with no evidence, one rated PI
or NI, or one rated FI or LI without evidence. The list is shown 20 lines a page.
Without a target, gaps are shown for the first maturity level whose roll-up is not yet satisfiable.
"""

from __future__ import annotations

from handlers.core import Action, Context, Reply, Request, Section, UserError
from handlers.support.actions import pa_filter, pages, quoted
from handlers.support.freshness import due_line, review_of
from handlers.support.readiness import NO_GROUPS, Readiness, Snapshot, next_level, report_request

USAGE = "gaps [PA|MLn] [--group NAME] [--page N]"
PAGE_SIZE = 20


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


def _page(text: str | None, pages_total: int) -> int:
    if text is None:
        return 1
    if not (text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text)):
        raise UserError(f"--page takes a page number, e.g. --page 2, not '{text[:24]}'. Usage: {USAGE}")
    page = int(text)
    if page > pages_total:
        raise UserError(f"There {'is' if pages_total == 1 else 'are'} only {pages_total} page(s) of gaps here. Usage: {USAGE}")
    return page


def handle(request: Request, ctx: Context) -> Reply:
    asked = report_request(request, ctx, USAGE, options=("page",))
    store, target, group, ws = asked.store, asked.target, asked.group, request.workspace_id
    if not store.groups.list(workspace_id=ws):
        return Reply(text="No work groups yet.", sections=(Section(body=NO_GROUPS),))
    snapshot = Snapshot.load(ctx, store, ws, group)
    readiness = Readiness.of(ctx.model, snapshot, target or next_level(ctx.model, snapshot))
    target = readiness.target
    titles = {p.key: p.title for p in readiness.practices}
    review = review_of(ctx, store, ws)
    group_ids = {g.id for g in readiness.groups}
    stale = [
        item
        for item in store.freshness.due(
            workspace_id=ws, before=review.needs_review_before, group_id=group.id if group else None, practice_keys=set(titles)
        )
        if item.group_id in group_ids
    ]
    gaps = find_gaps(readiness)
    scope = f"{target.label}" + (f" · {group.name}" if group else "")
    command = f"gaps {target.label}" + (f" --group {quoted(group.name)}" if group else "")
    menu = (pa_filter("gaps", readiness.pas, group.name if group else None),) if len(readiness.pas) > 1 else ()
    data = {"gaps": len(gaps), "needs_review": len(stale)}
    if not gaps and not stale:
        text = f"No gaps for {scope}: every practice in scope has current evidence and none is rated PI or NI."
        return Reply(text=f"No gaps for {scope}.", sections=(Section(body=text),), data=data | {"page": 1, "pages": 1}, shareable=True)
    # One list, a page at a time: evidence to review first, so the longest gap list can never push it out of sight.
    lines = [("review", due_line(item, review, titles[item.practice_key])) for item in stale]
    lines += [("gap", f"{key} {titles[key]} · {name}: {reason}") for name, key, reason in gaps]
    pages_total = -(-len(lines) // PAGE_SIZE)
    page = _page(asked.options.get("page"), pages_total)
    shown = lines[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    sections = []
    on_page = f" (page {page} of {pages_total})" if pages_total > 1 else ""
    review_lines = tuple(text for kind, text in shown if kind == "review")
    gap_lines = tuple(text for kind, text in shown if kind == "gap")
    if review_lines:
        sections.append(
            Section(
                title=f"Needs review for {scope}: {len(stale)}",
                items=review_lines,
                note=f"Past their review date ({review.months} months). Still valid? evidence renew N. Otherwise log something newer.",
            )
        )
    if gap_lines:
        sections.append(Section(title=f"Gaps for {scope}: {len(gaps)}", items=gap_lines))
    elif not gaps:
        sections.append(Section(title=f"Gaps for {scope}: 0", body="Every practice in scope has evidence and none is rated PI or NI."))
    if pages_total > 1:
        sections.append(Section(note=f"Page {page} of {pages_total} ({len(lines)} lines).", actions=pages(command, page, pages_total)))
    actions: tuple[Action, ...] = menu
    summary = f"{len(gaps)} gap(s)" + (f" and {len(stale)} item(s) to review" if stale else "")
    return Reply(
        text=f"{summary} for {scope}{on_page}",
        sections=tuple(sections),
        data=data | {"page": page, "pages": pages_total},
        actions=actions,
        shareable=True,
    )
