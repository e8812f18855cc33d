"""A submitted evidence form (Slack's modal, Teams' dialog, the console's prompts): each field's problem is said at that field,
the person's input comes back with it, and nothing is stored until every field is sound."""

from __future__ import annotations

import pytest

from handlers import Context, FormError, Request, dispatch

pytestmark = pytest.mark.calendar  # dates are checked against the store's injected clock


def submit(ctx: Context, **values: str) -> object:
    return dispatch(Request(text="evidence add", workspace_id="W1", channel_id="C1", user_id="U1", form=values, via="form"), ctx)


@pytest.fixture
def group_id(db_ctx: Context) -> str:
    return str(db_ctx.store.groups.add(workspace_id="W1", name="Service Desk", actor="U1").id)


@pytest.mark.parametrize(
    ("note", "said"),
    [
        ("minutes\x00of the review", "NUL character (U+0000)"),
        ("minutes \ud83d of the review", "U+D83D, an unpaired UTF-16 surrogate"),
        ("x" * 2001, "the limit is 2,000"),
    ],
)
def test_a_note_that_cannot_be_stored_says_why_at_the_note(db_ctx: Context, group_id: str, note: str, said: str) -> None:
    with pytest.raises(FormError) as raised:
        submit(db_ctx, practice="WMC.SP1.6", group=group_id, note=note)
    form = raised.value.form
    assert set(form.errors) == {"note"} and said in form.errors["note"]
    assert form.named("practice").value == "WMC.SP1.6" and form.named("group").value == group_id  # what was typed comes back
    assert db_ctx.store.evidence.list(workspace_id="W1") == []


def test_every_problem_is_said_at_once_and_a_sound_form_is_stored(db_ctx: Context, group_id: str) -> None:
    with pytest.raises(FormError) as raised:
        submit(db_ctx, practice="XYZ.SP9.9", group="999", kind="rumour", link="htp:/nowhere", date="2999-01-01")
    assert set(raised.value.form.errors) == {"practice", "group", "kind", "link", "date"}
    reply = submit(db_ctx, practice="WMC.SP1.6", group=group_id, note="  minutes of the review 🙂 ", link="https://wiki.example.com/r")
    [item] = db_ctx.store.evidence.list(workspace_id="W1")
    assert reply.data == {"evidence_id": item.id, "created": True}
    assert (item.note, item.group_id, item.practice_key, item.link) == (
        "minutes of the review 🙂",
        int(group_id),
        "WMC.SP1.6",
        "https://wiki.example.com/r",
    )


def test_neither_link_nor_note_is_refused_at_the_note(db_ctx: Context, group_id: str) -> None:
    with pytest.raises(FormError) as raised:
        submit(db_ctx, practice="WMC.SP1.6", group=group_id)
    assert raised.value.form.errors == {"note": "Add a link or a note that says what the evidence is."}


def test_a_prefilled_practice_shows_its_title(db_ctx: Context, group_id: str) -> None:
    reply = dispatch(Request(text="evidence form WMC.SP1.6", workspace_id="W1", channel_id="C1", user_id="U1"), db_ctx)
    field = reply.form.named("practice")
    assert field.value == "WMC.SP1.6" and [(c.value, c.label) for c in field.choices] == [
        ("WMC.SP1.6", "WMC.SP1.6 Conduct Progress Reviews")
    ]
