"""When a piece of evidence is due for review, and whether it is current, from its base date and the review period in force."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from store import Store

CURRENT = "current"
DUE_SOON = "due within 30 days"
NEEDS_REVIEW = "needs review"
DUE_WINDOW = timedelta(days=30)


def review_by(evidence_date: date, review_months: int) -> date:
    """The evidence date plus whole calendar months; a day that the month lacks becomes its last day (Jan 31 + 1 -> Feb 28/29)."""
    if review_months < 0:
        raise ValueError(f"review_months must be zero or more, not {review_months}")
    months = evidence_date.month - 1 + review_months
    year, month = evidence_date.year + months // 12, months % 12 + 1
    return date(year, month, min(evidence_date.day, calendar.monthrange(year, month)[1]))


def review_status(evidence_date: date, review_months: int, today: date) -> str:
    """current, due within 30 days (the review-by day itself included), or needs review (past it)."""
    due = review_by(evidence_date, review_months)
    if today > due:
        return NEEDS_REVIEW
    if due - today <= DUE_WINDOW:
        return DUE_SOON
    return CURRENT


def first_base_due_on_or_after(day: date, review_months: int) -> date:
    """The earliest base date whose review-by date is `day` or later. review_by never decreases as the base date
    grows, so evidence with a base date before this one is past its review date on `day`; the store filters with it."""
    months = day.month - 1 - review_months
    year, month = day.year + months // 12, months % 12 + 1
    found = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))  # the day, review_months earlier
    # The day before `found` is always due before `day`. But a month end clamps (Feb 28 + 1 month is Mar 28, never
    # Mar 31), so `found` itself may be too: step on to the first day that is not (Mar 31 -> Mar 1, 1 month).
    while review_by(found, review_months) < day:
        found += timedelta(days=1)
    return found


REVIEW_MONTHS = "review-months"  # the workspace setting's name (settings review-months N)
MAX_REVIEW_MONTHS = 120


@dataclass(frozen=True)
class Review:
    """A workspace's review period on a given day, and the cut-off dates the store filters with."""

    months: int
    today: date
    overridden: bool = False  # True when the workspace set its own (settings review-months N)

    @property
    def needs_review_before(self) -> date:
        """Evidence with a base date before this is past its review date (needs review)."""
        return first_base_due_on_or_after(self.today, self.months)

    @property
    def due_soon_before(self) -> date:
        """Evidence with a base date before this is due within DUE_WINDOW, or past due."""
        return first_base_due_on_or_after(self.today + DUE_WINDOW + timedelta(days=1), self.months)

    def review_by(self, base: date) -> date:
        return review_by(base, self.months)

    def status(self, base: date) -> str:
        return review_status(base, self.months, self.today)


def workspace_review(default_months: int, store: Store, workspace_id: str, today: date) -> Review:
    """The review period in force for a workspace: its own setting, else the installation's default."""
    setting = store.settings.get(workspace_id=workspace_id, name=REVIEW_MONTHS)
    if setting is not None and setting.value.isdigit() and 0 < int(setting.value) <= MAX_REVIEW_MONTHS:
        return Review(int(setting.value), today, overridden=True)
    return Review(default_months, today)
