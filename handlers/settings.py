"""settings [review-months N|default]: this workspace's own settings; changing one is for its admins, and audited.

Examples:
  settings
  settings review-months 18
  settings review-months default
review-months: evidence is due for review this many months (1-120) after its date, or after the day someone
last confirmed it still valid (evidence renew N). Without a workspace setting the installation's default
applies (CMMI_EVIDENCE_REVIEW_MONTHS, usually 12). `default` goes back to it.
"""

from __future__ import annotations

from handlers.core import Context, Reply, Request, Section, UserError, Verbs
from handlers.support.parse import split_words
from handlers.support.review import MAX_REVIEW_MONTHS, REVIEW_MONTHS, workspace_review
from handlers.support.scope import need_store

USAGE = "settings | settings review-months N (1-120) | settings review-months default"
WRITES = frozenset({REVIEW_MONTHS})  # verbs that change stored data (see handlers.writes)


def _show(words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    review = workspace_review(ctx.review_months, store, request.workspace_id, store.clock().date())
    stored = store.settings.get(workspace_id=request.workspace_id, name=REVIEW_MONTHS)
    if review.overridden and stored is not None:
        origin = f"this workspace's setting, by {stored.updated_by} on {stored.updated_at:%Y-%m-%d}"
    else:
        origin = "the installation's default (CMMI_EVIDENCE_REVIEW_MONTHS)"
    line = f"{REVIEW_MONTHS}: {review.months} · {origin}"
    return Reply(
        text=f"Settings: {REVIEW_MONTHS} {review.months}",
        sections=(
            Section(title="Workspace settings", items=(line,), note="Admins change them with: settings review-months N (1-120) or default"),
        ),
        data={REVIEW_MONTHS: review.months, "overridden": review.overridden},
    )


def _months(words: list[str]) -> int | None:
    """The months typed, or None for `default`. Raises UserError."""
    if len(words) != 1:
        raise UserError(f"Give one number of months, e.g. settings review-months 18. Usage: {USAGE}")
    word = words[0].lower()
    if word == "default":
        return None
    if not (word.isascii() and word.isdigit() and len(word) <= 3 and 1 <= int(word) <= MAX_REVIEW_MONTHS):
        shown = word if len(word) <= 24 else word[:24] + "…"
        raise UserError(f"'{shown}' is not a number of months from 1 to {MAX_REVIEW_MONTHS}. For example: settings review-months 18")
    return int(word)


def _review_months(words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    months = _months(words)
    if not request.is_admin:
        raise UserError("Only a workspace admin can change how long evidence stays current. `settings` shows what is in force.")
    before, after = store.settings.put(
        workspace_id=request.workspace_id, name=REVIEW_MONTHS, value=None if months is None else str(months), actor=request.user_id
    )
    review = workspace_review(ctx.review_months, store, request.workspace_id, store.clock().date())
    if before == after:
        text = f"Evidence review is already every {review.months} months here; nothing changed."
    elif months is None:
        text = f"Evidence review is back to the installation's default: every {review.months} months after its date."
    else:
        text = f"Evidence is now due for review {review.months} months after its date (or its last 'still valid') in this workspace."
    note = None if before == after else "Recorded in the audit log."
    return Reply(text=text, sections=(Section(body=text, note=note),), data={REVIEW_MONTHS: review.months})


VERBS = Verbs({REVIEW_MONTHS: _review_months}, empty=_show, unknown=lambda word: f"There is no setting '{word[:40]}'. Usage: {USAGE}")


def handle(request: Request, ctx: Context) -> Reply:
    return VERBS(split_words(request.text)[1:], request, ctx)
