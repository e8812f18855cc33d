"""evidence add|list|show|remove|renew: objective evidence for a practice, per work group.

Examples:
  evidence add WMC.SP1.6 https://wiki.example.com/weekly-review minutes of the weekly review
  evidence add IRP.SP2.1 https://jira.example.com/browse/OPS-1234 --group "Service Desk"
  evidence add WMC.GP2.8 the team lead walks the KPI board every Monday --kind affirmation
  evidence add SD.SP3.1 https://tickets.example.com/report --date 2026-10-01
  evidence list WMC --group "Service Desk"
  evidence list --page 2
  evidence show 12
  evidence remove 12
  evidence renew 12                (still valid: its review period starts again today)
  evidence form WMC.SP1.6          (the same as a form: Slack and Teams open it as a dialog)
Kinds: artifact (a document, ticket, record or link; the default) or affirmation (a statement by the
people who do the work). A generic practice names its process area: WMC.GP2.8 or GP2.8 --pa WMC.
The work group is --group NAME, or the one bound to the channel with `group use NAME`.
Anyone may add and read evidence; only its author or a workspace admin may remove or renew it.
Evidence is due for review some months after its date or its last renewal: 12 unless changed (see settings).
"""

from __future__ import annotations

from datetime import date

from handlers.core import Action, Choice, Context, Field, Form, FormError, Link, Person, Reply, Request, Section, Text, UserError, Verbs
from handlers.support import freshness
from handlers.support.actions import Kind, pa_filter, pages, quoted
from handlers.support.lookup import PracticeRef, practice_field, resolve_pa, resolve_practice
from handlers.support.parse import MAX_LINK, MAX_NOTE, check_note, check_request, parse_date, parse_link, split_words, take_options
from handlers.support.scope import group_field, need_store, resolve_group
from store import KINDS, MAX_ROW_ID, AuditItem, Conflict, EvidenceItem, Forbidden, Group, NotFound, Store

USAGE_ADD = "evidence add PRACTICE [LINK] [note...] [--kind artifact|affirmation] [--group NAME] [--date YYYY-MM-DD]"
USAGE_FORM = "evidence form [PRACTICE]"
WRITES = frozenset({"add", "remove", "renew"})  # verbs that change stored data (see handlers.writes)
USAGE_LIST = "evidence list [PRACTICE|PA] [--group NAME] [--page N]"
PAGE_SIZE = 20
MAX_PAGE = 9999  # what a page button can carry (handlers.support.actions)


def describe_item(item: EvidenceItem) -> Text:
    """One line for an evidence item; its link is a link people can click."""
    text = " · ".join((f"#{item.id} {item.practice_key}", item.group, item.kind, item.evidence_date.isoformat()))
    note = ""
    if item.note:
        note = " · " + (item.note if len(item.note) <= 140 else item.note[:139] + "…")
    if item.link:
        return (text + " · ", Link(item.link), note)
    return text + note


KIND_CHOICES = (
    Choice("artifact", "Artifact (a document, ticket, record)"),
    Choice("affirmation", "Affirmation (a statement by the people)"),
)
FORM_HINTS = {
    "link": "A link to the document, ticket or record (the message's link when logged from a message).",
    "note": "What this shows. A link or a note is needed.",
    "date": "When the evidence was produced; empty means today.",
}


def evidence_form(ctx: Context, request: Request, values: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> Form:
    """The form for logging evidence, prefilled with `values` (a practice, the channel's work group, a message's link...)."""
    values = dict(values or {})
    group = group_field(ctx, request, values.get("group"), "Evidence belongs")
    return Form(
        id=Kind.LOG_EVIDENCE,
        title="Log CMMI evidence",
        submit="Log",
        command="evidence add",
        fields=(
            practice_field(ctx, values.get("practice")),
            group,
            Field("kind", "Kind", "choice", choices=KIND_CHOICES, value=values.get("kind") or "artifact"),
            Field("link", "Link", "url", required=False, value=values.get("link") or None, hint=FORM_HINTS["link"], max_length=MAX_LINK),
            Field(
                "note", "Note", "long_text", required=False, value=values.get("note") or None, hint=FORM_HINTS["note"], max_length=MAX_NOTE
            ),
            Field("date", "Evidence date", "date", required=False, value=values.get("date") or None, hint=FORM_HINTS["date"]),
        ),
        errors=dict(errors or {}),
    )


def _form(words: list[str], request: Request, ctx: Context) -> Reply:
    """The evidence form: for a practice, to replace evidence #N (prefilled from it), or prefilled by the transport."""
    store = need_store(ctx)
    values = {k: v for k, v in (request.form or {}).items() if k in ("practice", "link", "note", "group", "kind", "date")}
    if len(words) == 1 and words[0].lstrip("#").isdigit():
        item = _get(store, request, _evidence_id(words, "form"))
        values.update(practice=item.practice_key, group=str(item.group_id), kind=item.kind, link=item.link or "", note=item.note or "")
    elif words:
        practice, used = resolve_practice(ctx, words, None, USAGE_FORM)
        if used != len(words):
            raise UserError(f"Name one practice. Usage: {USAGE_FORM}")
        values["practice"] = practice.key
    if values.get("note"):
        values["note"] = values["note"][:MAX_NOTE]
    form = evidence_form(ctx, request, values)
    what = f" for {values['practice']}" if values.get("practice") else ""
    return Reply(text=f"Log evidence{what}", sections=(Section(body=f"Fill in the form to log evidence{what}."),), form=form)


def _add_from_form(request: Request, ctx: Context) -> Reply:
    """A submitted evidence form: every field checked, all problems reported at once, nothing stored unless all are fine."""
    store = need_store(ctx)
    values = {k: str(v) for k, v in (request.form or {}).items()}
    errors: dict[str, str] = {}
    practice = group = evidence_date = None
    link = note = None
    try:
        practice = resolve_practice(ctx, [values.get("practice", "").strip()], None, "pick a practice from the list")[0]
    except UserError as exc:
        errors["practice"] = "Pick a practice from the list, e.g. WMC.SP1.6." if not values.get("practice") else str(exc)
    group = next((g for g in store.groups.list(workspace_id=request.workspace_id) if str(g.id) == values.get("group")), None)
    if group is None:
        errors["group"] = "Pick a work group from the list."
    kind = values.get("kind") or "artifact"
    if kind not in KINDS:
        errors["kind"] = "Pick artifact or affirmation."
    try:
        link = parse_link(values["link"].strip()) if values.get("link", "").strip() else None
        if values.get("link", "").strip() and link is None:
            raise UserError("That is not a link. Use a full address such as https://wiki.example.com/page.")
    except UserError as exc:
        errors["link"] = str(exc)
    try:
        note = check_note(values.get("note", ""))
    except UserError as exc:
        errors["note"] = str(exc)
    today = store.clock().date()
    try:
        evidence_date = parse_date(values["date"], today) if values.get("date") else today
    except UserError as exc:
        errors["date"] = str(exc).replace("--date ", "")
    if link is None and note is None and "link" not in errors and "note" not in errors:
        errors["note"] = "Add a link or a note that says what the evidence is."
    if errors or practice is None or group is None:
        raise FormError(evidence_form(ctx, request, values, errors))
    return add_evidence(request, ctx, practice=practice, group=group, kind=kind, link=link, note=note, evidence_date=evidence_date)


def _add(words: list[str], request: Request, ctx: Context) -> Reply:
    if request.form is not None:
        return _add_from_form(request, ctx)
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
    item, created = store.evidence.add(
        workspace_id=request.workspace_id,
        group=group,
        practice_key=practice.key,
        process_area=practice.process_area,
        kind=kind,
        link=link,
        note=note,
        evidence_date=evidence_date,
        actor=request.user_id,
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


def _page(text: str | None) -> int:
    if text is None:
        return 1
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE:
        raise UserError(f"--page takes a page number from 1 to {MAX_PAGE:,}, e.g. evidence list --page 2.")
    return int(text)


def _list(words: list[str], request: Request, ctx: Context) -> Reply:
    """A page of evidence, newest first, with Previous/Next and a process-area menu: nothing is left unreachable."""
    store = need_store(ctx)
    ws = request.workspace_id
    positional, options = take_options(words, ("group", "page"), USAGE_LIST)
    keys, pas, label = _scope(ctx, positional)
    page = _page(options.get("page"))
    group = resolve_group(ctx, request, options["group"], USAGE_LIST) if "group" in options else None
    group_id = group.id if group else None
    where = f"{label}, {group.name}" if group else label
    narrowed = keys is not None or pas is not None
    command = "evidence list" + (f" {label}" if narrowed else "") + (f" --group {quoted(group.name)}" if group else "")
    total = store.evidence.count(workspace_id=ws, group_id=group_id, practice_keys=keys, process_areas=pas)
    if not total:
        return Reply(
            text=f"No evidence yet for {where}.", sections=(Section(body=f"No evidence yet for {where}. Add some with: {USAGE_ADD}"),)
        )
    pages_total = -(-total // PAGE_SIZE)
    if page > pages_total:
        raise UserError(
            f"There {'is' if pages_total == 1 else 'are'} only {pages_total} page(s) of evidence for {where}: {command} --page {pages_total}"
        )
    items = store.evidence.list(
        workspace_id=ws, group_id=group_id, practice_keys=keys, process_areas=pas, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    first = (page - 1) * PAGE_SIZE + 1
    counted = f"{first}–{first + len(items) - 1} of {total:,}, newest first" if pages_total > 1 else f"{total:,} item(s), newest first"
    actions = list(pages(command, page, pages_total))
    with_evidence = sorted({key.split(".", 1)[0] for _, key in store.evidence.counts(workspace_id=ws, group_id=group_id)})
    if with_evidence and with_evidence != sorted(pas or ()):
        order = {pa.abbr: n for n, pa in enumerate(ctx.model.process_areas)}
        menu = sorted(with_evidence, key=lambda pa: order.get(pa, len(order)))
        actions.append(pa_filter("evidence list", menu, group.name if group else None))
    if narrowed:
        everything = "evidence list" + (f" --group {quoted(group.name)}" if group else "")
        actions.append(Action(Kind.FILTER, "All process areas", everything))
    return Reply(
        text=f"Evidence for {where}: {counted}" + (f" (page {page} of {pages_total})" if pages_total > 1 else ""),
        sections=(
            Section(
                title=f"Evidence for {where}",
                items=tuple(describe_item(i) for i in items),
                note=f"{counted} · page {page} of {pages_total}" if pages_total > 1 else counted,
            ),
        ),
        data={"ids": [i.id for i in items], "page": page, "pages": pages_total, "total": total},
        actions=tuple(actions),
    )


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


def _get(store: Store, request: Request, evidence_id: int) -> EvidenceItem:
    try:
        return store.evidence.get(workspace_id=request.workspace_id, evidence_id=evidence_id)[0]
    except NotFound:
        raise UserError(f"There is no evidence #{evidence_id} in this workspace.") from None


def _audit_line(entry: AuditItem) -> Text:
    before = f" (before: {entry.before})" if entry.before else ""
    return (f"{entry.at:%Y-%m-%d %H:%M} UTC ", Person(entry.actor), f" {entry.action}{before}")


def _show(words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    evidence_id = _evidence_id(words, "show")
    try:
        item, audit = store.evidence.get(workspace_id=request.workspace_id, evidence_id=evidence_id)
    except NotFound:
        raise UserError(f"There is no evidence #{evidence_id} in this workspace.") from None
    fields: list[tuple[str, Text]] = [
        ("Practice", item.practice_key), ("Work group", item.group), ("Kind", item.kind), ("Dated", item.evidence_date.isoformat()),
    ]  # fmt: skip
    fields.append(("Logged", ("by ", Person(item.created_by), f" at {item.created_at:%Y-%m-%d %H:%M} UTC")))
    if item.removed_at and item.removed_by:
        fields.append(("Removed", ("by ", Person(item.removed_by), f" at {item.removed_at:%Y-%m-%d %H:%M} UTC")))
    body: Text = item.note or ""
    if item.link:
        body = (Link(item.link), f" · {item.note}") if item.note else (Link(item.link),)
    return Reply(
        text=f"Evidence #{item.id}",
        sections=(
            Section(title=f"Evidence #{item.id}" + (" (removed)" if item.removed_at else ""), fields=tuple(fields)),
            Section(body=body),
            Section(title="Audit log", items=tuple(_audit_line(a) for a in audit)),
        ),
    )


def _remove(words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    evidence_id = _evidence_id(words, "remove")
    try:
        item = store.evidence.remove(
            workspace_id=request.workspace_id, evidence_id=evidence_id, actor=request.user_id, is_admin=request.is_admin
        )
    except NotFound:
        raise UserError(f"There is no evidence #{evidence_id} in this workspace.") from None
    except Forbidden as exc:
        author = Person(str(exc))
        raise UserError(
            (f"Only the person who logged evidence #{evidence_id} (", author, ") or a workspace admin can remove it.")
        ) from None
    except Conflict as exc:
        raise UserError(f"{str(exc).capitalize()}.") from None
    return Reply(
        text=f"Removed evidence #{item.id}.",
        sections=(Section(title=f"Removed evidence #{item.id}", body=describe_item(item), note="kept in the audit log"),),
    )


def _renew(words: list[str], request: Request, ctx: Context) -> Reply:
    return freshness.renew(request, ctx, need_store(ctx), _evidence_id(words, "renew"))


VERBS = Verbs(
    {"add": _add, "list": _list, "show": _show, "remove": _remove, "form": _form, "renew": _renew},
    unknown=f"Use evidence add, list, show, remove or renew. For example: {USAGE_ADD}",
)


def handle(request: Request, ctx: Context) -> Reply:
    return VERBS(split_words(request.text)[1:], request, ctx)
