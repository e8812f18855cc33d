"""Render Slack surfaces other than messages in Block Kit: the core's forms as modals, the picker's options, the Home tab."""

from __future__ import annotations

from typing import Any

from bot.slack import render
from handlers import Choice, Field, Form, Reply, Text

MAX_OPTION_TEXT = 75  # Slack's limit for an option's text
MAX_OPTIONS = 100
MAX_TITLE = 24  # a modal's title
MAX_EXCERPT = 300


def _plain(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…"}


def option(value: str, text: str) -> dict[str, Any]:
    return {"text": _plain(text, MAX_OPTION_TEXT), "value": value}


def practice_options(choices: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The picker's options: 'WMC.SP1.6 Conduct Progress Reviews', cut to Slack's 75 characters."""
    return [option(key, f"{key} {title}") for key, title in choices[:MAX_OPTIONS]]


FORM_CALLBACK = "cmmi_form"  # every form the core asks for
MAX_METADATA = 3000  # Slack's limit for private_metadata


def _option(choice: Choice) -> dict[str, Any]:
    return option(choice.value, choice.label)


def _element(field: Field) -> dict[str, Any]:
    chosen = next((c for c in field.choices if c.value == field.value), None)
    if field.kind == "practice":
        element: dict[str, Any] = {"type": "external_select", "min_query_length": 2, "placeholder": _plain("Type a practice ID or words")}
        if chosen or field.value:  # prefilled (from a Log evidence button): shown by its ID until the person searches
            element["initial_option"] = _option(chosen or Choice(field.value or "", field.value or ""))
        return element
    if field.kind == "choice":
        element = {"type": "static_select", "options": [_option(c) for c in field.choices[:MAX_OPTIONS]]}
        if chosen:
            element["initial_option"] = _option(chosen)
        return element
    if field.kind == "date":
        element = {"type": "datepicker"}
        if field.value:
            element["initial_date"] = field.value
        return element
    element = {"type": "plain_text_input", "multiline": field.kind == "long_text"}
    if field.max_length:
        element["max_length"] = field.max_length
    if field.value:
        element["initial_value"] = field.value[: field.max_length or 3000]
    return element


def _input(field: Field) -> dict[str, Any]:
    # block_id == action_id == the field's name, so the submission's values and errors are keyed by it.
    out = {
        "type": "input",
        "block_id": field.name,
        "label": _plain(field.label, 2000),
        "element": {**_element(field), "action_id": field.name},
        "optional": not field.required,
    }
    if field.hint:
        out["hint"] = _plain(field.hint, 2000)
    return out


def form_view(form: Form, private_metadata: str, excerpt: str = "") -> dict[str, Any]:
    """A core form as a modal; `private_metadata` (kept by Slack, never shown) says what its submission runs and where."""
    blocks: list[dict[str, Any]] = []
    if excerpt:
        blocks.append({"type": "context", "elements": [_plain(excerpt, MAX_EXCERPT)]})
    blocks += [_input(f) for f in form.fields]
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": _plain(form.title, MAX_TITLE),
        "submit": _plain(form.submit, MAX_TITLE),
        "close": _plain("Cancel"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def read_values(state_values: dict[str, Any]) -> dict[str, str]:
    """A submitted modal's values by field name (a choice's value, a date, or the text typed)."""
    values: dict[str, str] = {}
    for block, elements in (state_values or {}).items():
        element = (elements or {}).get(block) if isinstance(elements, dict) else None
        if not isinstance(element, dict):
            continue
        picked = element.get("selected_option")
        if isinstance(picked, dict):
            values[block] = str(picked.get("value") or "")
        elif element.get("selected_date"):
            values[block] = str(element["selected_date"])
        elif element.get("value") is not None:
            values[block] = str(element["value"])
    return values


def notice_modal(text: Text, title: str = "cmmi-bot") -> dict[str, Any]:
    """A modal with only something to read: shown instead of a form that cannot be filled in (no work groups yet).
    Its words are escaped like any message's; people and links in it show as mentions and links."""
    return {"type": "modal", "title": _plain(title, MAX_TITLE), "close": _plain("OK"), "blocks": render.notice(text)["blocks"]}


def home(reply: Reply) -> dict[str, Any]:
    """The App Home tab: the reply's sections in Block Kit, within the Home tab's 100 blocks."""
    return {"type": "home", "blocks": render.message(reply, max_blocks=render.MAX_HOME_BLOCKS)["blocks"]}
