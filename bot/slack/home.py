"""What the App Home tab says, as a transport-neutral Reply: your recent evidence, coverage, top gaps, how to start."""

from __future__ import annotations

from handlers import Context, Reply, Section
from handlers.evidence import describe_item
from handlers.gaps import find_gaps
from handlers.readiness import Readiness, Snapshot, Target, next_level, percent

RECENT = 10
TOP_GAPS = 5
HOW_TO_START = (
    "/cmmi what does WMC.SP1.6 require: ask about any practice, in the model's words or your own",
    '/cmmi group add "Service Desk", then /cmmi group use Service Desk in its channel',
    "/cmmi evidence add WMC.SP1.6 https://wiki.example.com/review weekly review minutes",
    "Or open the ⋯ menu on any message and choose Log as CMMI evidence",
    "/cmmi status, /cmmi gaps, /cmmi digest on: where you stand, and a weekly digest in a channel",
    "/cmmi help: the manual",
)


def home_reply(ctx: Context, workspace_id: str, user_id: str) -> Reply:
    sections = [Section(title="cmmi-bot", body="Your CMMI-SVC V1.3 assistant: answers about the model, and your appraisal evidence.")]
    store = ctx.store
    if store is not None:
        mine = store.list_evidence(workspace_id, created_by=user_id, limit=RECENT)
        body = "" if mine else "Nothing yet. Log evidence with /cmmi evidence add, or from any message's ⋯ menu."
        sections.append(Section(title=f"Your recent evidence ({len(mine)})", body=body, items=tuple(describe_item(i) for i in mine)))
        if store.list_groups(workspace_id):
            snapshot = Snapshot.load(ctx, store, workspace_id, None)
            levels = []
            for level in (2, 3, 4, 5):
                readiness = Readiness.of(ctx.model, snapshot, Target(level=level))
                levels.append(f"ML{level}: evidence {percent(*readiness.coverage())} · roll-up {readiness.level_rollup()}")
            sections.append(
                Section(
                    title="Workspace coverage by maturity level",
                    items=tuple(levels),
                    note="Roll-up is a suggestion for the appraisal team, not a verdict.",
                )
            )
            readiness = Readiness.of(ctx.model, snapshot, next_level(ctx.model, snapshot))
            gaps = find_gaps(readiness)
            titles = {p.key: p.title for p in readiness.practices}
            top = tuple(f"{key} {titles[key]} · {group}: {reason}" for group, key, reason in gaps[:TOP_GAPS])
            label = readiness.target.label
            sections.append(
                Section(
                    title=f"Top gaps for {label} ({len(gaps)} in all)",
                    body="" if top else f"No gaps for {label}.",
                    items=top,
                    note=f"See them all with /cmmi gaps {label}." if len(gaps) > TOP_GAPS else None,
                )
            )
        else:
            sections.append(Section(title="Workspace coverage", body="No work groups yet, so there is nothing to measure."))
    sections.append(Section(title="How to start", items=HOW_TO_START))
    return Reply(text="cmmi-bot: your evidence, coverage and gaps", sections=tuple(sections))
