"""The core's forms as Teams dialogs (task modules): a form as an Adaptive Card of inputs, the invoke responses that open,
keep open or close a dialog, and reading a submitted dialog's values back by field name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.teams.render import CARD_CONTENT_TYPE, MAX_CARD_BYTES, adaptive_card, escape, size_of, text_block
from handlers import Choice, Field, Form

FORM_KEY = "cmmi_form"  # where a dialog's submit button carries the form's command and hidden values
# The commands a submitted form may run: what the core's forms carry (Form.command). A crafted submission naming any
# other command is refused before dispatch, as a crafted button press is by `permits`.
FORM_COMMANDS = frozenset({"evidence add", "rate"})
MAX_EXCERPT = 300
MAX_CHOICE_TITLE = 120
MAX_FIELD_VALUE = 4000
MAX_DIALOG_TITLE = 60
PICKER_HINT = "Type a practice ID or words to filter the list"


def _choice(choice: Choice) -> dict[str, str]:
    title = choice.label if len(choice.label) <= MAX_CHOICE_TITLE else choice.label[: MAX_CHOICE_TITLE - 1] + "…"
    return {"title": title, "value": choice.value}


def _input(field: Field, picker: tuple[Choice, ...]) -> dict[str, Any]:
    """One field as an Adaptive Card input; its id is the field's name, so the submission's values are keyed by it."""
    common: dict[str, Any] = {"id": field.name, "label": field.label, "isRequired": field.required}
    if field.required:
        common["errorMessage"] = f"{field.label} is needed."
    value = (field.value or "")[: field.max_length or MAX_FIELD_VALUE]
    if field.kind in ("choice", "practice"):
        choices = field.choices if field.kind == "choice" else _merged(field.choices, picker)
        element = {"type": "Input.ChoiceSet", **common, "choices": [_choice(c) for c in choices]}
        # "filtered" is Teams' type-to-search list (Adaptive Cards 1.5): the practice picker, typed as in Slack.
        element["style"] = "filtered" if field.kind == "practice" else "compact"
        if field.kind == "practice":
            element["placeholder"] = PICKER_HINT
        if value and any(c.value == value for c in choices):
            element["value"] = value
        return element
    if field.kind == "date":
        element = {"type": "Input.Date", **common}
        if value:
            element["value"] = value
        return element
    element = {"type": "Input.Text", **common}
    if field.kind == "long_text":
        element["isMultiline"] = True
    if field.kind == "url":
        element["style"] = "Url"
    if field.max_length:
        element["maxLength"] = field.max_length
    if field.hint:
        element["placeholder"] = field.hint[:200]
    if value:
        element["value"] = value
    return element


def _merged(own: tuple[Choice, ...], picker: tuple[Choice, ...]) -> tuple[Choice, ...]:
    seen: dict[str, Choice] = {}
    for choice in (*own, *picker):
        seen.setdefault(choice.value, choice)
    return tuple(seen.values())


def form_card(form: Form, *, picker: tuple[Choice, ...] = (), excerpt: str = "") -> dict[str, Any]:
    """A core form as an Adaptive Card: each field an input, each field's error in red under it, and a submit button that
    carries the form's command and hidden values. `picker` lists the practices to choose from (search first, then the
    model's), shortened from the end if the card would pass Teams' size limit."""
    while True:
        body: list[dict[str, Any]] = []
        if excerpt:
            text = excerpt if len(excerpt) <= MAX_EXCERPT else excerpt[: MAX_EXCERPT - 1] + "…"
            body.append(text_block(escape(text), isSubtle=True, size="Small"))
        if form.errors:
            body.append(text_block("Please check the fields marked below.", color="Attention", weight="Bolder"))
        for field in form.fields:
            body.append(_input(field, picker))
            if field.name in form.errors:
                body.append(text_block(escape(form.errors[field.name]), color="Attention", size="Small", spacing="None"))
            elif field.hint and field.kind not in ("text", "long_text", "url"):
                body.append(text_block(escape(field.hint), isSubtle=True, size="Small", spacing="None"))
        data = {FORM_KEY: {"command": form.command, "hidden": dict(form.hidden)}}
        card = adaptive_card(body, [{"type": "Action.Submit", "title": form.submit, "style": "positive", "data": data}])
        if size_of(card) < MAX_CARD_BYTES - 2_000 or not picker:
            return card
        picker = picker[: len(picker) * 3 // 4]


def open_dialog(form: Form, card: dict[str, Any]) -> dict[str, Any]:
    """The invoke response that shows (or keeps showing) a dialog with this card."""
    title = form.title if len(form.title) <= MAX_DIALOG_TITLE else form.title[: MAX_DIALOG_TITLE - 1] + "…"
    return {
        "task": {
            "type": "continue",
            "value": {"title": title, "height": "large", "width": "medium", "card": {"contentType": CARD_CONTENT_TYPE, "content": card}},
        }
    }


def say_in_dialog(text: str) -> dict[str, Any]:
    """The invoke response that closes the form and shows a short message instead (a confirmation, what to fix)."""
    return {"task": {"type": "message", "value": text[:1000]}}


def submitted(data: Mapping[str, Any] | None) -> tuple[str, dict[str, str]] | None:
    """A submitted dialog: the form's command and its values by field name (hidden values included), or None when the
    data is not a form of ours. Teams puts the inputs' values beside the button's data, all as strings."""
    if not isinstance(data, Mapping) or not isinstance(data.get(FORM_KEY), Mapping):
        return None
    ours = data[FORM_KEY]
    command = ours.get("command")
    if not isinstance(command, str) or command not in FORM_COMMANDS:
        return None
    values = {str(k): v for k, v in data.items() if k not in (FORM_KEY, "msteams") and isinstance(v, str)}
    hidden = ours.get("hidden") if isinstance(ours.get("hidden"), Mapping) else {}
    values.update({str(k): v for k, v in hidden.items() if isinstance(v, str)})
    return command, values
