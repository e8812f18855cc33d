"""The Adaptive Card check fails on hand-made bad cards, and every kind of card cmmi-bot makes passes it; what comes back
from a card (a pressed button, a dialog's values, a message's HTML) is read strictly."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bot.teams import convert, dialogs, render
from handlers import Action, Attachment, Choice, Context, Field, Form, Person, Reply, Request, Section, dispatch
from handlers.support.actions import Kind
from handlers.support.welcome import welcome
from tests.bot.teams.adaptive_cards import validate_card

GOOD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [
        {"type": "TextBlock", "text": "Hello", "wrap": True, "size": "Large"},
        {
            "type": "Input.ChoiceSet",
            "id": "g",
            "label": "Group",
            "style": "filtered",
            "choices": [{"title": "A", "value": "1"}],
            "value": "1",
        },
        {"type": "ActionSet", "actions": [{"type": "Action.Submit", "title": "Go", "data": {"cmmi": {}}}]},
    ],
    "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": "https://example.com"}],
    "msteams": {"width": "Full"},
}


def broken(path: tuple, value: Any) -> dict[str, Any]:
    card = copy.deepcopy(GOOD)
    target = card
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return card


def test_the_reference_card_is_valid() -> None:
    assert validate_card(GOOD) == []


@pytest.mark.parametrize(
    ("card", "said"),
    [
        (broken(("body", 0, "type"), "Marquee"), "unknown element type 'Marquee'"),
        (broken(("body", 0, "text"), KeyError), "TextBlock needs 'text'"),
        (broken(("body", 0, "size"), "Huge"), "'Huge' is not one of"),
        (broken(("body", 0, "wrap"), "yes"), "must be true or false"),
        (broken(("body", 0, "colour"), "good"), "unknown property 'colour'"),
        (broken(("body", 1, "id"), KeyError), "Input.ChoiceSet needs 'id'"),
        (broken(("body", 1, "value"), "9"), "is not one of the choices"),
        (broken(("body", 1, "choices", 0), {"title": "A"}), "a choice has exactly a title and a value"),
        (broken(("body", 2, "actions"), []), "non-empty list of actions"),
        (broken(("body", 2, "actions", 0, "type"), "Action.Execute"), "unknown action type 'Action.Execute'"),
        (broken(("body", 2, "actions", 0, "title"), KeyError), "needs a title"),
        (broken(("body", 2, "actions", 0, "data"), {"msteams": {"type": "task/open"}}), "is not a Teams card action"),
        (broken(("actions", 0, "url"), KeyError), "Action.OpenUrl needs 'url'"),
        (broken(("actions", 0, "url"), "javascript:alert(1)"), "is not a URL"),
        (broken(("version",), "1.6"), "newer than Teams renders"),
        (broken(("version",), "1.2"), "needs Adaptive Cards 1.3"),  # Input label came in 1.3
        (broken(("msteams",), {"width": "Wide"}), "width Full"),
        (broken(("type",), "HeroCard"), "type must be AdaptiveCard"),
        (broken(("body", 0, "text"), "x" * 30_000), "28 KB"),
    ],
)
def test_the_check_fails_on_hand_made_bad_cards(card: dict[str, Any], said: str) -> None:
    found = validate_card(card)
    assert any(said in e for e in found), found


def test_two_inputs_with_one_id_are_refused() -> None:
    card = copy.deepcopy(GOOD)
    card["body"].append({"type": "Input.Text", "id": "g"})
    assert any("used twice" in e for e in validate_card(card))


def evidence_form(errors: dict[str, str] | None = None) -> Form:
    return Form(
        id=Kind.LOG_EVIDENCE,
        title="Log CMMI evidence",
        submit="Log",
        command="evidence add",
        fields=(
            Field("practice", "Practice", "practice", value="WMC.SP1.6", hint="Type a practice"),
            Field("group", "Work group", "choice", choices=(Choice("1", "Desk"),), value="1"),
            Field("link", "Link", "url", required=False, value="htp:/x", hint="A link", max_length=2000),
            Field("note", "Note", "long_text", required=False, value="n" * 2000, max_length=2000),
            Field("date", "Evidence date", "date", required=False, value="2026-11-24", hint="When"),
        ),
        errors=errors or {},
    )


def test_every_kind_of_card_the_bot_makes_is_valid(ctx: Context) -> None:
    every = tuple(Choice(p.id, f"{p.id} {p.title}") for pa in ctx.model.process_areas for p in pa.practices)
    form = dialogs.form_card(evidence_form({"link": "not a link", "date": "in the future"}), picker=every, excerpt="<at>x</at> " * 50)
    assert validate_card(form) == [] and render.size_of(form) < render.MAX_CARD_BYTES
    practice = next(e for e in form["body"] if e.get("id") == "practice")
    assert practice["value"] == "WMC.SP1.6" and len(practice["choices"]) == len(every)
    answer = render.message(
        dispatch(Request(text="how do we review progress", transport="teams"), ctx), Request(text="how do we review progress")
    )
    menu = Action(Kind.HOME, "Work group…", 'home --group "{value}"', choices=(Choice("A", "A"), Choice("B", "B")))
    dashboard = render.card(
        Reply(
            text="home",
            sections=(Section(body="x", actions=(Action(Kind.REMOVE, "Remove", "evidence remove 1", "danger"),)),),
            actions=(menu,),
        )
    )
    cards = [
        answer["attachments"][0]["content"],
        dashboard,
        render.welcome_message(welcome())["attachments"][0]["content"],
        render.announcement(("Bound by ", Person("aad-1")), "aad-1", {"aad-1": "Alice"})["attachments"][0]["content"],
        render.files_elsewhere(
            Reply(text="Matrix", attachments=(Attachment("m.csv", "text/csv", b"x"),)), sent=False, bot_id="28:b", command="export"
        )["attachments"][0]["content"],
        render.message(Reply(text="form", form=evidence_form()), Request(text="evidence form"))["attachments"][0]["content"],
    ]
    for card in cards:
        assert validate_card(card) == [], json.dumps(card)[:500]


def test_a_form_card_too_big_for_teams_keeps_its_fields_and_shortens_the_picker() -> None:
    many = tuple(Choice(f"PA.SP{i}", "審" * 60) for i in range(400))  # three bytes a character
    card = dialogs.form_card(evidence_form(), picker=many)
    assert validate_card(card) == []
    ids = [e.get("id") for e in card["body"] if e.get("id")]
    assert ids == ["practice", "group", "link", "note", "date"]
    assert 0 < len(card["body"][0]["choices"]) < 400


def test_a_person_is_a_name_or_a_neutral_someone() -> None:
    text = ("by ", Person("aad-alice"), " and ", Person("0123456789abcdef"))
    assert render.md(text, {"aad-alice": "Alice *Admin*"}) == "by Alice \\*Admin\\* and someone (01234567…)"


def test_a_pressed_button_is_read_strictly() -> None:
    assert convert.pressed({"cmmi": {"kind": "show", "command": "ask WMC"}}, "cmmi") == ("show", "ask WMC")
    menu = {"cmmi": {"kind": "home", "command": 'home --group "{value}"', "choice": "cmmi_choice_1"}, "cmmi_choice_1": "Desk"}
    assert convert.pressed(menu, "cmmi") == ("home", 'home --group "Desk"')
    assert convert.pressed({**menu, "cmmi_choice_1": ""}, "cmmi") is None
    assert convert.pressed({"cmmi": {"kind": "show", "command": 5}}, "cmmi") is None
    assert convert.pressed("ask WMC", "cmmi") is None


def test_a_submitted_dialog_is_read_strictly() -> None:
    data = {"cmmi_form": {"command": "rate", "hidden": {"source": "m1"}}, "practice": "WMC.SP1.6", "rating": "LI", "msteams": {"x": 1}}
    assert dialogs.submitted(data) == ("rate", {"practice": "WMC.SP1.6", "rating": "LI", "source": "m1"})
    assert dialogs.submitted({"cmmi_form": {"command": "evidence remove 1"}}) is None
    assert dialogs.submitted({"practice": "WMC.SP1.6"}) is None


def test_a_messages_html_becomes_its_words() -> None:
    payload = {
        "body": {"contentType": "html", "content": "<p>Review &amp; <b>plan</b><br>next <at>Bob</at></p><p>&lt;script&gt;</p>"},
        "linkToMessage": "https://l",
    }
    assert convert.message_payload({"messagePayload": payload}) == ("https://l", "Review & plan\nnext Bob\n<script>")
