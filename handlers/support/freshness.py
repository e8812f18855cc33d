"""Evidence freshness in replies: "still valid" (evidence renew N), needs-review lines, and the weekly reminder to an owner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from handlers.core import Action, Context, Reply, Request, Section, UserError
from handlers.support.actions import Kind
from handlers.support.review import Review, workspace_review
from model_data import Model
from store import Conflict, DueItem, Forbidden, NotFound, Store

REMINDER_BUTTONS = 15  # items with their own buttons in one reminder (three buttons each; Slack shows 50 blocks)
REMINDER_LISTED = 60  # further items listed by line, without buttons


def practice_title(model: Model, key: str) -> str | None:
    """The title of a practice key: WMC.SP1.6 itself, or WMC.GP2.8 as the generic practice GP2.8."""
    element = model.get(key) or model.get(key.split(".", 1)[-1])
    return getattr(element, "title", None)


def review_of(ctx: Context, store: Store, workspace_id: str, today: date | None = None) -> Review:
    return workspace_review(ctx.review_months, store, workspace_id, today or store.clock().date())


def renew(request: Request, ctx: Context, store: Store, evidence_id: int) -> Reply:
    """Evidence #N still valid: its review period starts again today. Its author or a workspace admin; audited."""
    today = store.clock().date()
    try:
        renewal = store.freshness.renew(
            workspace_id=request.workspace_id, evidence_id=evidence_id, actor=request.user_id, is_admin=request.is_admin, on=today
        )
    except NotFound:
        raise UserError(f"There is no evidence #{evidence_id} in this workspace.") from None
    except Forbidden as exc:
        raise UserError(
            f"Only the person who logged evidence #{evidence_id} ({exc}) or a workspace admin can confirm it is still valid."
        ) from None
    except Conflict:
        raise UserError(f"Evidence #{evidence_id} was removed, so it cannot be renewed. Log it again with: evidence add") from None
    review = review_of(ctx, store, request.workspace_id, today)
    head = f"Evidence #{evidence_id} is still valid" if renewal.changed else f"Evidence #{evidence_id} was already renewed today"
    due = review.review_by(today)
    body = f"{renewal.practice_key} · {renewal.group} · dated {renewal.evidence_date.isoformat()}. Next review by {due.isoformat()}."
    return Reply(
        text=f"{head}: next review by {due.isoformat()}.",
        sections=(Section(title=head, body=body, note="Recorded in the audit log." if renewal.changed else None),),
        data={"evidence_id": evidence_id, "review_by": due.isoformat(), "changed": renewal.changed},
    )


def due_line(item: DueItem, review: Review, title: str | None = None) -> str:
    """One line for an item due for review: number, practice, group, when it was due, what it is dated."""
    due = review.review_by(item.base)
    when = f"review was due {due.isoformat()}" if due < review.today else f"review by {due.isoformat()}"
    dated = f"dated {item.evidence_date.isoformat()}" + (f", still valid on {item.reviewed_on.isoformat()}" if item.reviewed_on else "")
    what = f"{item.practice_key} {title}" if title else item.practice_key
    return f"#{item.id} {what} · {item.group}: {when} ({dated})"


def reminder_actions(item: DueItem) -> tuple[Action, ...]:
    return (
        Action(Kind.RENEW, "Still valid", f"evidence renew {item.id}", style="primary"),
        Action(Kind.REPLACE, "Replace", f"evidence form {item.id}"),
        Action(Kind.REMOVE, "Remove", f"evidence remove {item.id}", style="danger"),
    )


def build_reminder(model: Model, items: Sequence[DueItem], review: Review) -> Reply:
    """The weekly direct message to one owner: their evidence past its review date or due within 30 days, oldest
    first, each with Still valid, Replace and Remove."""
    overdue = sum(1 for i in items if review.review_by(i.base) < review.today)
    soon = len(items) - overdue
    parts = [f"{overdue} past the review date"] if overdue else []
    if soon:
        parts.append(f"{soon} due within 30 days")
    summary = " and ".join(parts)
    title = "Evidence to review"
    sections = [
        Section(
            title=title,
            body=f"You logged evidence that needs a look: {summary}. Evidence is reviewed every {review.months} months. "
            "Still valid renews it from today; Replace opens the form prefilled, to log a newer one; Remove takes it out.",
        )
    ]
    for item in items[:REMINDER_BUTTONS]:
        text = due_line(item, review, practice_title(model, item.practice_key))
        sections.append(Section(body=text, actions=reminder_actions(item)))
    rest = items[REMINDER_BUTTONS:]
    if rest:
        listed = tuple(due_line(i, review) for i in rest[:REMINDER_LISTED])
        beyond = len(rest) - len(listed)
        note = "Renew these with: evidence renew N" + (f". {beyond} more are in the Evidence sheet of: export" if beyond else "")
        sections.append(Section(title=f"Also due ({len(rest)})", items=listed, note=note))
    return Reply(
        text=f"{title}: {summary}",
        sections=tuple(sections),
        data={"ids": [i.id for i in items], "overdue": overdue, "due_soon": soon},
    )
