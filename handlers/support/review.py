"""When a piece of evidence is due for review, and whether it is current, from its date and the review period."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

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
