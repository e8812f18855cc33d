"""rate PRACTICE FI|LI|PI|NI|NY [note...] [--group NAME]: characterize a practice for a work group.

Examples:
  rate WMC.SP1.6 LI weekly reviews happen but minutes are patchy
  rate IRP.SP2.1 FI --group "Service Desk"
  rate WMC.GP2.8 PI
FI fully, LI largely, PI partially, NI not implemented, NY not yet (the work has not reached that point).
Every rating is kept; the newest per practice and work group counts. See `help status` for the roll-up.
"""

from __future__ import annotations

from handlers.args import check_note, need_store, resolve_group, resolve_practice, split_words, take_options
from handlers.core import Context, Reply, Request, Section, UserError
from store import RATINGS

USAGE = "rate PRACTICE FI|LI|PI|NI|NY [note...] [--group NAME]"
WRITES = frozenset({"*"})  # every rate changes stored data (see handlers.writes)
MEANING = {"FI": "fully implemented", "LI": "largely implemented", "PI": "partially implemented", "NI": "not implemented", "NY": "not yet"}


def handle(request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    words, options = take_options(split_words(request.text)[1:], ("group", "pa"), USAGE)
    practice, used = resolve_practice(ctx, words, options.get("pa"), USAGE)
    rest = words[used:]
    if not rest or rest[0].upper() not in RATINGS:
        given = f"'{rest[0]}' is not a rating. " if rest else ""
        raise UserError(f"{given}Rate with one of FI, LI, PI, NI or NY. Usage: {USAGE}")
    value = rest[0].upper()
    note = check_note(" ".join(rest[1:]))
    group = resolve_group(ctx, request, options.get("group"), USAGE)
    _, previous = store.rate(request.workspace_id, group, practice.key, practice.process_area, value, note, request.user_id)
    change = f" (was {previous.value})" if previous and previous.value != value else (" (unchanged)" if previous else "")
    fields = [("Work group", group.name), ("Rating", f"{value}, {MEANING[value]}{change}")]
    if note:
        fields.append(("Note", note))
    return Reply(
        text=f"Rated {practice.key} {value} for {group.name}.",
        sections=(Section(title=f"Rated {practice.key} {practice.title}", fields=tuple(fields)),),
        data={"practice": practice.key, "value": value, "previous": previous.value if previous else None},
    )
