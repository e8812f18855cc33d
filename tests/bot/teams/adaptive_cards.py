"""A validator for the subset of Adaptive Cards 1.5 that cmmi-bot sends, as Teams renders it.

The Teams SDK's card models accept anything, unknown types included, so they check nothing. This follows the Adaptive
Cards 1.5 schema (adaptivecards.io/explorer) for every element and action the bot uses: known types, the version each
type and property came in, required properties, allowed values, property types, unique input ids, and the card's size
under Teams' 28 KB. Anything outside the subset is an error, so a card the bot starts sending in a new shape fails here
until the validator is taught it (from the schema, not from the bot)."""

from __future__ import annotations

import json
from typing import Any

MAX_CARD_BYTES = 28 * 1000  # Teams' limit for a message carrying a card is about 28 KB
HOST_VERSION = (1, 5)

SPACING = {"none", "small", "default", "medium", "large", "extralarge", "padding"}
COLORS = {"default", "dark", "light", "accent", "good", "warning", "attention"}
SIZES = {"default", "small", "medium", "large", "extralarge"}
WEIGHTS = {"default", "lighter", "bolder"}
H_ALIGN = {"left", "center", "right"}
ACTION_STYLES = {"default", "positive", "destructive"}
TEXT_STYLES = {"text", "tel", "url", "email", "password"}  # password: 1.5
CHOICE_STYLES = {"compact", "expanded", "filtered"}  # filtered: 1.5
CONTAINER_STYLES = {"default", "emphasis", "good", "attention", "warning", "accent"}
FONT_TYPES = {"default", "monospace"}
BLOCK_ELEMENT_STYLES = {"default", "heading"}

# Properties every element may have (Element and Input in the schema), with the version they came in.
ELEMENT_COMMON: dict[str, tuple[str, Any, tuple[int, int]]] = {
    "id": ("str", None, (1, 0)),
    "spacing": ("enum", SPACING, (1, 0)),
    "separator": ("bool", None, (1, 0)),
    "isVisible": ("bool", None, (1, 2)),
    "height": ("enum", {"auto", "stretch"}, (1, 1)),
    "fallback": ("any", None, (1, 2)),
    "requires": ("dict", None, (1, 2)),
}
INPUT_COMMON: dict[str, tuple[str, Any, tuple[int, int]]] = {
    "label": ("str", None, (1, 3)),
    "isRequired": ("bool", None, (1, 3)),
    "errorMessage": ("str", None, (1, 3)),
}

# type -> (version, required properties, {property: (kind, allowed values, version)})
ELEMENTS: dict[str, tuple[tuple[int, int], set[str], dict[str, tuple[str, Any, tuple[int, int]]]]] = {
    "TextBlock": (
        (1, 0),
        {"text"},
        {
            "text": ("str", None, (1, 0)),
            "color": ("enum", COLORS, (1, 0)),
            "fontType": ("enum", FONT_TYPES, (1, 2)),
            "horizontalAlignment": ("enum", H_ALIGN, (1, 0)),
            "isSubtle": ("bool", None, (1, 0)),
            "maxLines": ("int", None, (1, 0)),
            "size": ("enum", SIZES, (1, 0)),
            "weight": ("enum", WEIGHTS, (1, 0)),
            "wrap": ("bool", None, (1, 0)),
            "style": ("enum", BLOCK_ELEMENT_STYLES, (1, 5)),
        },
    ),
    "FactSet": ((1, 0), {"facts"}, {"facts": ("facts", None, (1, 0))}),
    "ActionSet": ((1, 2), {"actions"}, {"actions": ("actions", None, (1, 2))}),
    "Container": (
        (1, 0),
        {"items"},
        {
            "items": ("elements", None, (1, 0)),
            "style": ("enum", CONTAINER_STYLES, (1, 0)),
            "bleed": ("bool", None, (1, 2)),
            "selectAction": ("action", None, (1, 1)),
        },
    ),
    "Input.Text": (
        (1, 0),
        {"id"},
        {
            "isMultiline": ("bool", None, (1, 0)),
            "maxLength": ("int", None, (1, 0)),
            "placeholder": ("str", None, (1, 0)),
            "regex": ("str", None, (1, 3)),
            "style": ("enum", TEXT_STYLES, (1, 0)),
            "value": ("str", None, (1, 0)),
        },
    ),
    "Input.Date": (
        (1, 0),
        {"id"},
        {
            "max": ("date", None, (1, 0)),
            "min": ("date", None, (1, 0)),
            "placeholder": ("str", None, (1, 0)),
            "value": ("date", None, (1, 0)),
        },
    ),
    "Input.ChoiceSet": (
        (1, 0),
        {"id"},
        {
            "choices": ("choices", None, (1, 0)),
            "isMultiSelect": ("bool", None, (1, 0)),
            "style": ("enum", CHOICE_STYLES, (1, 0)),
            "value": ("str", None, (1, 0)),
            "placeholder": ("str", None, (1, 0)),
            "wrap": ("bool", None, (1, 2)),
        },
    ),
}
VERSION_OF_VALUE = {("Input.ChoiceSet", "style", "filtered"): (1, 5), ("Input.Text", "style", "password"): (1, 5)}

ACTION_COMMON: dict[str, tuple[str, Any, tuple[int, int]]] = {
    "title": ("str", None, (1, 0)),
    "iconUrl": ("str", None, (1, 1)),
    "id": ("str", None, (1, 0)),
    "style": ("enum", ACTION_STYLES, (1, 2)),
    "tooltip": ("str", None, (1, 5)),
    "isEnabled": ("bool", None, (1, 5)),
    "mode": ("enum", {"primary", "secondary"}, (1, 5)),
    "fallback": ("any", None, (1, 2)),
    "requires": ("dict", None, (1, 2)),
}
ACTIONS: dict[str, tuple[tuple[int, int], set[str], dict[str, tuple[str, Any, tuple[int, int]]]]] = {
    "Action.Submit": (
        (1, 0),
        set(),
        {"data": ("data", None, (1, 0)), "associatedInputs": ("enum", {"auto", "none"}, (1, 3))},
    ),
    "Action.OpenUrl": ((1, 0), {"url"}, {"url": ("url", None, (1, 0))}),
}
CARD_PROPS: dict[str, tuple[str, Any, tuple[int, int]]] = {
    "type": ("str", None, (1, 0)),
    "version": ("str", None, (1, 0)),
    "$schema": ("str", None, (1, 0)),
    "body": ("elements", None, (1, 0)),
    "actions": ("actions", None, (1, 0)),
    "fallbackText": ("str", None, (1, 0)),
    "speak": ("str", None, (1, 0)),
    "lang": ("str", None, (1, 0)),
    "minHeight": ("str", None, (1, 2)),
    "rtl": ("bool", None, (1, 5)),
    "verticalContentAlignment": ("enum", {"top", "center", "bottom"}, (1, 1)),
    "msteams": ("msteams", None, (1, 0)),  # Teams' own card properties: width, entities (mentions)
}


def _version(text: Any) -> tuple[int, int] | None:
    try:
        major, minor = str(text).split(".")
        return int(major), int(minor)
    except ValueError:
        return None


class CardErrors:
    def __init__(self, card_version: tuple[int, int]) -> None:
        self.errors: list[str] = []
        self.version = card_version
        self.input_ids: set[str] = set()

    def add(self, where: str, what: str) -> None:
        self.errors.append(f"{where}: {what}")

    def since(self, where: str, version: tuple[int, int]) -> None:
        if version > self.version:
            self.add(where, f"needs Adaptive Cards {version[0]}.{version[1]}, the card says {self.version[0]}.{self.version[1]}")

    def value(self, where: str, kind: str, allowed: Any, value: Any) -> None:
        if kind == "str" and not isinstance(value, str):
            self.add(where, "must be a string")
        elif kind == "bool" and not isinstance(value, bool):
            self.add(where, "must be true or false")
        elif kind == "int" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            self.add(where, "must be a whole number")
        elif kind == "enum" and (not isinstance(value, str) or value.lower() not in allowed):
            self.add(where, f"{value!r} is not one of {sorted(allowed)}")
        elif kind == "date" and (not isinstance(value, str) or not _is_date(value)):
            self.add(where, f"{value!r} is not a date YYYY-MM-DD")
        elif kind == "url" and (not isinstance(value, str) or not value.startswith(("https://", "http://", "mailto:", "tel:"))):
            self.add(where, f"{value!r} is not a URL")
        elif kind == "data" and not isinstance(value, (dict, str)):
            self.add(where, "must be an object or a string")
        elif kind == "dict" and not isinstance(value, dict):
            self.add(where, "must be an object")
        elif kind == "elements":
            self.elements(where, value)
        elif kind == "actions":
            self.actions(where, value)
        elif kind == "action":
            self.action(where, value)
        elif kind == "facts":
            self.facts(where, value)
        elif kind == "choices":
            self.choices(where, value)
        elif kind == "msteams":
            self.msteams(where, value)

    def properties(self, where: str, obj: dict[str, Any], known: dict[str, tuple[str, Any, tuple[int, int]]], type_name: str) -> None:
        for name, value in obj.items():
            if name == "type":
                continue
            if name not in known:
                self.add(where, f"unknown property {name!r} for {type_name}")
                continue
            kind, allowed, since = known[name]
            self.since(f"{where}.{name}", since)
            extra = VERSION_OF_VALUE.get((type_name, name, str(value).lower()))
            if extra:
                self.since(f"{where}.{name}={value}", extra)
            self.value(f"{where}.{name}", kind, allowed, value)

    def elements(self, where: str, items: Any) -> None:
        if not isinstance(items, list):
            self.add(where, "must be a list of elements")
            return
        for i, item in enumerate(items):
            self.element(f"{where}[{i}]", item)

    def element(self, where: str, item: Any) -> None:
        if not isinstance(item, dict):
            self.add(where, "an element must be an object")
            return
        type_name = item.get("type")
        if type_name not in ELEMENTS:
            self.add(where, f"unknown element type {type_name!r}")
            return
        since, required, props = ELEMENTS[type_name]
        self.since(f"{where} {type_name}", since)
        for name in sorted(required - item.keys()):
            self.add(where, f"{type_name} needs {name!r}")
        known = {**ELEMENT_COMMON, **props, **(INPUT_COMMON if type_name.startswith("Input.") else {})}
        self.properties(where, item, known, type_name)
        if type_name.startswith("Input."):
            input_id = item.get("id")
            if not isinstance(input_id, str) or not input_id:
                self.add(where, "an input needs a non-empty id")
            elif input_id in self.input_ids:
                self.add(where, f"input id {input_id!r} is used twice")
            else:
                self.input_ids.add(input_id)
            if type_name == "Input.ChoiceSet" and isinstance(item.get("value"), str) and isinstance(item.get("choices"), list):
                values = {c.get("value") for c in item["choices"] if isinstance(c, dict)}
                if not item.get("isMultiSelect") and item["value"] and item["value"] not in values:
                    self.add(where, f"value {item['value']!r} is not one of the choices")

    def actions(self, where: str, items: Any) -> None:
        if not isinstance(items, list) or not items:
            self.add(where, "must be a non-empty list of actions")
            return
        for i, item in enumerate(items):
            self.action(f"{where}[{i}]", item)

    def action(self, where: str, item: Any) -> None:
        if not isinstance(item, dict):
            self.add(where, "an action must be an object")
            return
        type_name = item.get("type")
        if type_name not in ACTIONS:
            self.add(where, f"unknown action type {type_name!r}")
            return
        since, required, props = ACTIONS[type_name]
        self.since(f"{where} {type_name}", since)
        for name in sorted(required - item.keys()):
            self.add(where, f"{type_name} needs {name!r}")
        if not item.get("title") and not item.get("iconUrl"):
            self.add(where, "a button needs a title (Teams shows no untitled buttons)")
        self.properties(where, item, {**ACTION_COMMON, **props}, type_name)
        data = item.get("data")
        if isinstance(data, dict) and "msteams" in data:
            msteams = data["msteams"]
            if not isinstance(msteams, dict) or msteams.get("type") not in {"task/fetch", "messageBack", "imBack", "invoke", "signin"}:
                self.add(where, f"data.msteams {msteams!r} is not a Teams card action")

    def facts(self, where: str, items: Any) -> None:
        if not isinstance(items, list) or not items:
            self.add(where, "must be a non-empty list of facts")
            return
        for i, fact in enumerate(items):
            if not isinstance(fact, dict) or set(fact) != {"title", "value"}:
                self.add(f"{where}[{i}]", "a fact has exactly a title and a value")
            elif not isinstance(fact["title"], str) or not isinstance(fact["value"], str):
                self.add(f"{where}[{i}]", "a fact's title and value are strings")

    def choices(self, where: str, items: Any) -> None:
        if not isinstance(items, list):
            self.add(where, "must be a list of choices")
            return
        for i, choice in enumerate(items):
            if not isinstance(choice, dict) or set(choice) != {"title", "value"}:
                self.add(f"{where}[{i}]", "a choice has exactly a title and a value")
            elif not isinstance(choice["title"], str) or not isinstance(choice["value"], str):
                self.add(f"{where}[{i}]", "a choice's title and value are strings")

    def msteams(self, where: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.add(where, "must be an object")
            return
        for name, item in value.items():
            if name == "width":
                if item != "Full":
                    self.add(f"{where}.width", "Teams knows only width Full")
            elif name != "entities":
                self.add(where, f"unknown Teams card property {name!r}")


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def validate_card(card: Any) -> list[str]:
    """Every way the card breaks Adaptive Cards 1.5 as Teams renders it (empty when it is sound)."""
    if not isinstance(card, dict):
        return ["the card must be an object"]
    version = _version(card.get("version"))
    if card.get("type") != "AdaptiveCard":
        return ["type must be AdaptiveCard"]
    if version is None:
        return [f"version {card.get('version')!r} is not MAJOR.MINOR"]
    errors = CardErrors(version)
    if version > HOST_VERSION:
        errors.add("card", f"version {card['version']} is newer than Teams renders (1.5)")
    if "body" not in card and "actions" not in card:
        errors.add("card", "needs a body or actions")
    errors.properties("card", card, CARD_PROPS, "AdaptiveCard")
    size = len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size >= MAX_CARD_BYTES:
        errors.add("card", f"{size:,} bytes; Teams refuses cards of 28 KB or more")
    return errors.errors


def cards_in(payload: Any) -> list[dict[str, Any]]:
    """The Adaptive Cards inside an activity or an invoke response (attachments, dialogs), wherever they are."""
    found: list[dict[str, Any]] = []
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("contentType") == "application/vnd.microsoft.card.adaptive" and "content" in item:
                found.append(item["content"])
                continue
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
