"""Reading a submitted "Log as CMMI evidence" modal: each field's problem is said at that field."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.slack import modal
from handlers import Context
from store import Group

GROUPS = [Group(7, "Service Desk", "U1", datetime(2026, 11, 1, tzinfo=UTC))]


def state(note: str) -> dict:
    return {
        modal.PRACTICE: {modal.PRACTICE: {"type": "external_select", "selected_option": {"value": "WMC.SP1.6"}}},
        modal.GROUP: {modal.GROUP: {"type": "static_select", "selected_option": {"value": "7"}}},
        modal.NOTE: {modal.NOTE: {"type": "plain_text_input", "value": note}},
    }


@pytest.mark.parametrize(
    ("note", "said"),
    [
        ("minutes\x00of the review", "NUL character (U+0000)"),
        ("minutes \ud83d of the review", "U+D83D, an unpaired UTF-16 surrogate"),
        ("x" * 2001, "the limit is 2,000"),
    ],
)
def test_a_note_that_cannot_be_stored_says_why_at_the_note(ctx: Context, note: str, said: str) -> None:
    submission, errors = modal.read_submission(ctx, state(note), GROUPS, date(2026, 11, 24))
    assert submission is None and set(errors) == {modal.NOTE}
    assert said in errors[modal.NOTE]


def test_a_sound_note_is_read(ctx: Context) -> None:
    submission, errors = modal.read_submission(ctx, state("  minutes of the review 🙂 "), GROUPS, date(2026, 11, 24))
    assert errors == {} and submission is not None
    assert (submission.note, submission.group.id, submission.practice.key) == ("minutes of the review 🙂", 7, "WMC.SP1.6")
