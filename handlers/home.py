"""home [--group NAME]: your dashboard: readiness per maturity level, the top gaps, your recent evidence, how to start.

Examples:
  home
  home --group "Service Desk"
Slack shows it as the app's Home tab, refreshed after each change; Teams shows it for `status` in a personal chat.
Each gap has a Log evidence button, each of your evidence items a Remove button.
"""

from __future__ import annotations

from handlers.core import Action, Choice, Context, Reply, Request, Section, UserError
from handlers.evidence import describe_item
from handlers.gaps import find_gaps
from handlers.support.actions import Kind, quoted
from handlers.support.parse import split_words, take_options
from handlers.support.readiness import Readiness, Snapshot, Target, next_level
from handlers.support.scope import need_store, optional_group

USAGE = "home [--group NAME]"
RECENT = 10
TOP_GAPS = 5
BAR = 20  # characters in a progress bar
HOW_TO_START = (
    "Ask about any practice, in the model's words or your own: what does WMC.SP1.6 require",
    'Create a work group and bind a channel to it: group add "Service Desk", then group use Service Desk in its channel',
    "Log evidence: evidence add WMC.SP1.6 https://wiki.example.com/review weekly review minutes",
    "Or log any message as evidence from its menu (Slack: ⋯ > Log as CMMI evidence; Teams: ⋯ > More actions)",
    "See where you stand: status, gaps, and a weekly digest in a channel: digest on",
    "help: the manual",
)


def bar(covered: int, total: int) -> str:
    """A progress bar in text: every transport can show it."""
    filled = round(BAR * covered / total) if total else 0
    return "█" * filled + "░" * (BAR - filled) + f" {100 * covered / total if total else 0:.0f}%"


def handle(request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    words, options = take_options(split_words(request.text)[1:], ("group",), USAGE)
    if words:
        raise UserError(f"Unexpected '{words[0]}'. Usage: {USAGE}")
    ws = request.workspace_id
    group = optional_group(ctx, request, options.get("group"), USAGE)
    groups = store.groups.list(workspace_id=ws)
    sections = [Section(title="cmmi-bot", body="Your CMMI-SVC V1.3 assistant: answers about the model, and your appraisal evidence.")]
    actions: list[Action] = []
    if groups:
        if len(groups) > 1:
            choices = tuple(Choice(g.name, g.name) for g in groups[:100])
            actions.append(Action(Kind.HOME, "Work group…", 'home --group "{value}"', choices=choices))
        snapshot = Snapshot.load(ctx, store, ws, group)
        levels = []
        for level in (2, 3, 4, 5):
            readiness = Readiness.of(ctx.model, snapshot, Target(level=level))
            covered, total = readiness.coverage()
            levels.append(f"ML{level} {bar(covered, total)} evidence {covered}/{total} · roll-up {readiness.level_rollup()}")
        scope = group.name if group else "the whole workspace"
        sections.append(
            Section(title=f"Readiness: {scope}", items=tuple(levels), note="Roll-up is a suggestion for the appraisal team, not a verdict.")
        )
        readiness = Readiness.of(ctx.model, snapshot, next_level(ctx.model, snapshot))
        gaps = find_gaps(readiness)
        titles = {p.key: p.title for p in readiness.practices}
        label = readiness.target.label
        sections.append(Section(title=f"Top gaps for {label} ({len(gaps)} in all)", body="" if gaps else f"No gaps for {label}."))
        for name, key, reason in gaps[:TOP_GAPS]:
            sections.append(
                Section(
                    body=f"{key} {titles[key]} · {name}: {reason}",
                    actions=(Action(Kind.LOG_EVIDENCE, "Log evidence", f"evidence form {key}"),),
                )
            )
        if len(gaps) > TOP_GAPS:
            more = f"gaps {label}" + (f" --group {quoted(group.name)}" if group else "")
            sections.append(Section(note=f"See them all with: {more}"))
    else:
        sections.append(Section(title="Readiness", body="No work groups yet, so there is nothing to measure."))
    mine = store.evidence.list(workspace_id=ws, created_by=request.user_id, limit=RECENT)
    sections.append(Section(title=f"Your recent evidence ({len(mine)})", body="" if mine else "Nothing yet."))
    for item in mine:
        sections.append(
            Section(body=describe_item(item), actions=(Action(Kind.REMOVE, "Remove", f"evidence remove {item.id}", style="danger"),))
        )
    sections.append(Section(title="How to start", items=HOW_TO_START))
    return Reply(text="cmmi-bot: your readiness, gaps and evidence", sections=tuple(sections), actions=tuple(actions))
