"""rate PRACTICE FI|LI|PI|NI|NY [note...] [--group NAME]: characterize a practice for a work group.

Examples:
  rate WMC.SP1.6 LI weekly reviews happen but minutes are patchy
  rate IRP.SP2.1 FI --group "Service Desk"
  rate WMC.GP2.8 PI
  rate form WMC.SP1.6          (the same as a form: Slack and Teams open it as a dialog)
FI fully, LI largely, PI partially, NI not implemented, NY not yet (the work has not reached that point).
Every rating is kept; the newest per practice and work group counts. See `help status` for the roll-up.
"""

from __future__ import annotations

from handlers.core import Context, Field, Form, FormError, Reply, Request, Section, UserError, Verbs
from handlers.support.actions import Kind, rating_choices
from handlers.support.lookup import PracticeRef, practice_field, resolve_practice
from handlers.support.parse import MAX_NOTE, check_note, split_words, take_options
from handlers.support.scope import group_field, need_store, resolve_group
from store import RATINGS, Group

USAGE = "rate PRACTICE FI|LI|PI|NI|NY [note...] [--group NAME]"
WRITES = frozenset({"*"})  # every rate changes stored data (see handlers.writes)
OPTIONS = ("group", "pa")
MEANING = {"FI": "fully implemented", "LI": "largely implemented", "PI": "partially implemented", "NI": "not implemented", "NY": "not yet"}


def rate_form(ctx: Context, request: Request, values: dict[str, str], errors: dict[str, str] | None = None) -> Form:
    group = group_field(ctx, request, values.get("group"), "Ratings belong")
    return Form(
        id=Kind.RATE,
        title="Rate a practice",
        submit="Rate",
        command="rate",
        fields=(
            practice_field(ctx, values.get("practice")),
            group,
            Field("rating", "Characterization", "choice", choices=rating_choices(), value=values.get("rating") or None),
            Field("note", "Note", "long_text", required=False, value=values.get("note") or None, max_length=MAX_NOTE),
        ),
        errors=dict(errors or {}),
    )


def _form(words: list[str], request: Request, ctx: Context) -> Reply:
    words, _ = take_options(words, OPTIONS, USAGE)  # refused when unknown, as for a rating; the form asks for the rest
    practice, used = resolve_practice(ctx, words, None, "rate form PRACTICE")
    if used != len(words):
        raise UserError("Name one practice, e.g. rate form WMC.SP1.6")
    form = rate_form(ctx, request, {"practice": practice.key})
    return Reply(text=f"Rate {practice.key}", sections=(Section(body=f"Fill in the form to rate {practice.key}."),), form=form)


def _from_form(request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    values = {k: str(v) for k, v in (request.form or {}).items()}
    errors: dict[str, str] = {}
    practice: PracticeRef | None = None
    try:
        practice = resolve_practice(ctx, [values.get("practice", "").strip()], None, "pick a practice from the list")[0]
    except UserError as exc:
        errors["practice"] = "Pick a practice from the list, e.g. WMC.SP1.6." if not values.get("practice") else str(exc)
    group: Group | None = next((g for g in store.groups.list(workspace_id=request.workspace_id) if str(g.id) == values.get("group")), None)
    if group is None:
        errors["group"] = "Pick a work group from the list."
    value = values.get("rating", "").upper()
    if value not in RATINGS:
        errors["rating"] = "Pick one of FI, LI, PI, NI or NY."
    note = None
    try:
        note = check_note(values.get("note", ""))
    except UserError as exc:
        errors["note"] = str(exc)
    if errors or practice is None or group is None:
        raise FormError(rate_form(ctx, request, values, errors))
    return _rate(ctx, request, practice, group, value, note)


def _typed(words: list[str], request: Request, ctx: Context) -> Reply:
    """rate PRACTICE RATING [note...]: the verb is optional, so this is the default."""
    words, options = take_options(words, OPTIONS, USAGE)
    practice, used = resolve_practice(ctx, words, options.get("pa"), USAGE)
    rest = words[used:]
    if not rest or rest[0].upper() not in RATINGS:
        given = f"'{rest[0]}' is not a rating. " if rest else ""
        raise UserError(f"{given}Rate with one of FI, LI, PI, NI or NY. Usage: {USAGE}")
    value = rest[0].upper()
    note = check_note(" ".join(rest[1:]))
    group = resolve_group(ctx, request, options.get("group"), USAGE)
    return _rate(ctx, request, practice, group, value, note)


VERBS = Verbs({"form": _form}, default=_typed)


def handle(request: Request, ctx: Context) -> Reply:
    need_store(ctx)
    if request.form is not None:
        return _from_form(request, ctx)
    return VERBS(split_words(request.text)[1:], request, ctx)


def _rate(ctx: Context, request: Request, practice: PracticeRef, group: Group, value: str, note: str | None) -> Reply:
    store = need_store(ctx)
    _, previous = store.ratings.rate(
        workspace_id=request.workspace_id,
        group=group,
        practice_key=practice.key,
        process_area=practice.process_area,
        value=value,
        note=note,
        actor=request.user_id,
    )
    change = f" (was {previous.value})" if previous and previous.value != value else (" (unchanged)" if previous else "")
    fields = [("Work group", group.name), ("Rating", f"{value}, {MEANING[value]}{change}")]
    if note:
        fields.append(("Note", note))
    return Reply(
        text=f"Rated {practice.key} {value} for {group.name}.",
        sections=(Section(title=f"Rated {practice.key} {practice.title}", fields=tuple(fields)),),
        data={"practice": practice.key, "value": value, "previous": previous.value if previous else None},
    )
