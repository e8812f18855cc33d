"""evidence add|list|show|remove: objective evidence for a practice, per work group.

Examples:
  evidence add WMC.SP1.6 https://wiki.example.com/weekly-review minutes of the weekly review
  evidence add IRP.SP2.1 https://jira.example.com/browse/OPS-1234 --group "Service Desk"
  evidence add WMC.GP2.8 the team lead walks the KPI board every Monday --kind affirmation
  evidence add SD.SP3.1 https://tickets.example.com/report --date 2026-10-01
  evidence list WMC --group "Service Desk"
  evidence show 12
  evidence remove 12
Kinds: artifact (a document, ticket, record or link; the default) or affirmation (a statement by the
people who do the work). A generic practice names its process area: WMC.GP2.8 or GP2.8 --pa WMC.
The work group is --group NAME, or the one bound to the channel with `group use NAME`.
Anyone may add and read evidence; only its author or a workspace admin may remove it.
"""

from __future__ import annotations

from datetime import date

from handlers.args import (
    PracticeRef,
    check_note,
    check_request,
    need_store,
    parse_date,
    parse_link,
    resolve_group,
    resolve_pa,
    resolve_practice,
    split_words,
    take_options,
)
from handlers.core import Context, Reply, Request, Section, UserError
from store import KINDS, Conflict, EvidenceItem, Forbidden, Group, NotFound
from store.repo import MAX_ROW_ID

USAGE_ADD = "evidence add PRACTICE [LINK] [note...] [--kind artifact|affirmation] [--group NAME] [--date YYYY-MM-DD]"
USAGE_LIST = "evidence list [PRACTICE|PA] [--group NAME]"
LIST_LIMIT = 25


def describe_item(item: EvidenceItem) -> str:
    parts = [f"#{item.id} {item.practice_key}", item.group, item.kind, item.evidence_date.isoformat()]
    text = " · ".join(parts)
    if item.link:
        text += f" · {item.link}"
    if item.note:
        note = item.note if len(item.note) <= 140 else item.note[:139] + "…"
        text += f" · {note}"
    return text


def _add(words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    positional, options = take_options(words, ("kind", "group", "date", "pa"), USAGE_ADD)
    practice, used = resolve_practice(ctx, positional, options.get("pa"), USAGE_ADD)
    rest = positional[used:]
    link = parse_link(rest[0]) if rest else None
    note = check_note(" ".join(rest[1:] if link else rest))
    if link is None and note is None:
        raise UserError(f"Add a link or a note that says what the evidence is. Usage: {USAGE_ADD}")
    kind = options.get("kind", "artifact").lower()
    if kind not in KINDS:
        raise UserError(f"--kind must be artifact or affirmation, not '{options['kind']}'.")
    today = store.clock().date()
    evidence_date = parse_date(options["date"], today) if "date" in options else today
    group = resolve_group(ctx, request, options.get("group"), USAGE_ADD)
    return add_evidence(request, ctx, practice=practice, group=group, kind=kind, link=link, note=note, evidence_date=evidence_date)


def add_evidence(
    request: Request,
    ctx: Context,
    *,
    practice: PracticeRef,
    group: Group,
    kind: str = "artifact",
    link: str | None = None,
    note: str | None = None,
    evidence_date: date | None = None,
) -> Reply:
    """Store one piece of evidence from parts already parsed (the text command, a Slack modal) and say what was stored.
    Raises UserError when there is neither link nor note or the kind is unknown, or on what check_request refuses (the
    Slack modal comes here without dispatch)."""
    check_request(request)
    store = need_store(ctx)
    if link is None and note is None:
        raise UserError(f"Add a link or a note that says what the evidence is. Usage: {USAGE_ADD}")
    if kind not in KINDS:
        raise UserError(f"The kind must be artifact or affirmation, not '{kind}'.")
    evidence_date = evidence_date or store.clock().date()
    item, created = store.add_evidence(
        request.workspace_id, group, practice.key, practice.process_area, kind, link, note, evidence_date, request.user_id
    )
    head = f"Logged evidence #{item.id}" if created else f"Already logged as #{item.id}; nothing new was stored"
    return Reply(
        text=f"{head} for {practice.key} ({group.name}).",
        sections=(
            Section(
                title=f"{head}",
                body=f"{practice.key} {practice.title}",
                fields=(("Work group", group.name), ("Kind", kind), ("Dated", evidence_date.isoformat())),
            ),
            Section(body=" · ".join(x for x in (link, note) if x)),
        ),
        data={"evidence_id": item.id, "created": created},
    )


def _scope(ctx: Context, words: list[str]) -> tuple[set[str] | None, set[str] | None, str]:
    if not words:
        return None, None, "all practices"
    pa = resolve_pa(ctx, words[0]) if len(words) == 1 else None
    if pa:
        return None, {pa}, pa
    practice, used = resolve_practice(ctx, words, None, USAGE_LIST)
    if used != len(words):
        raise UserError(f"Name one practice or process area. Usage: {USAGE_LIST}")
    return {practice.key}, None, practice.key


def _list(words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    positional, options = take_options(words, ("group",), USAGE_LIST)
    keys, pas, label = _scope(ctx, positional)
    group = resolve_group(ctx, request, options["group"], USAGE_LIST) if "group" in options else None
    group_id = group.id if group else None
    items = store.list_evidence(request.workspace_id, group_id, keys, pas, limit=LIST_LIMIT + 1)
    where = f"{label}, {group.name}" if group else label
    if not items:
        return Reply(
            text=f"No evidence yet for {where}.", sections=(Section(body=f"No evidence yet for {where}. Add some with: {USAGE_ADD}"),)
        )
    shown = items[:LIST_LIMIT]
    sections = [Section(title=f"Evidence for {where}", items=tuple(describe_item(i) for i in shown))]
    if len(items) > LIST_LIMIT:
        total = store.count_evidence(request.workspace_id, group_id, keys) if pas is None else None
        more = f"{total - LIST_LIMIT:,} more" if total else "More"
        sections.append(
            Section(note=f"{more} not shown (newest first). Narrow it with a practice, a process area or --group, or use `export`.")
        )
    return Reply(text=f"{len(shown)} evidence item(s) for {where}", sections=tuple(sections), data={"ids": [i.id for i in shown]})


def _evidence_id(words: list[str], verb: str) -> int:
    """The evidence number typed. A number no evidence can have (beyond the store's row IDs, or written with non-ASCII
    digits such as '²', which pass isdigit but not int) is answered as any missing number is."""
    typed = words[0].lstrip("#") if len(words) == 1 else ""
    if not typed.isdigit():
        raise UserError(f"Give the evidence number, e.g. evidence {verb} 12 (see `evidence list`).")
    # int() of thousands of digits is refused by Python itself; anything over 19 digits is out of range anyway.
    if not typed.isascii() or len(typed.lstrip("0")) > 19 or int(typed) > MAX_ROW_ID:
        shown = typed if len(typed) <= 24 else typed[:24] + "…"
        raise UserError(f"There is no evidence #{shown} in this workspace.")
    return int(typed)


def _show(words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    evidence_id = _evidence_id(words, "show")
    try:
        item, audit = store.get_evidence(request.workspace_id, evidence_id)
    except NotFound:
        raise UserError(f"There is no evidence #{evidence_id} in this workspace.") from None
    fields = [("Practice", item.practice_key), ("Work group", item.group), ("Kind", item.kind), ("Dated", item.evidence_date.isoformat())]
    fields.append(("Logged", f"by {item.created_by} at {item.created_at:%Y-%m-%d %H:%M} UTC"))
    if item.removed_at:
        fields.append(("Removed", f"by {item.removed_by} at {item.removed_at:%Y-%m-%d %H:%M} UTC"))
    history = tuple(f"{a.at:%Y-%m-%d %H:%M} UTC {a.actor} {a.action}" + (f" (before: {a.before})" if a.before else "") for a in audit)
    return Reply(
        text=f"Evidence #{item.id}",
        sections=(
            Section(title=f"Evidence #{item.id}" + (" (removed)" if item.removed_at else ""), fields=tuple(fields)),
            Section(body=" · ".join(x for x in (item.link, item.note) if x)),
            Section(title="Audit log", items=history),
        ),
    )


def _remove(words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    evidence_id = _evidence_id(words, "remove")
    try:
        item = store.remove_evidence(request.workspace_id, evidence_id, request.user_id, request.is_admin)
    except NotFound:
        raise UserError(f"There is no evidence #{evidence_id} in this workspace.") from None
    except Forbidden as exc:
        raise UserError(f"Only the person who logged evidence #{evidence_id} ({exc}) or a workspace admin can remove it.") from None
    except Conflict as exc:
        raise UserError(f"{str(exc).capitalize()}.") from None
    return Reply(
        text=f"Removed evidence #{item.id}.",
        sections=(Section(title=f"Removed evidence #{item.id}", body=describe_item(item), note="kept in the audit log"),),
    )


SUBCOMMANDS = {"add": _add, "list": _list, "show": _show, "remove": _remove}


def handle(request: Request, ctx: Context) -> Reply:
    words = split_words(request.text)[1:]
    if not words or words[0].lower() not in SUBCOMMANDS:
        raise UserError(f"Use evidence add, list, show or remove. For example: {USAGE_ADD}")
    return SUBCOMMANDS[words[0].lower()](words[1:], request, ctx)
