"""Shape checks for signed Slack requests: what Bolt or a listener would choke on gets a 400 that says why.

Bolt reads a body as JSON when its Content-Type is application/json or it starts with '{', and as a form otherwise
(with the JSON in its last `payload` field for interactions). These checks read it the same way, so whatever Bolt
will act on has been checked, and refuse the combinations Slack never sends rather than guess."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

JSON_TYPE, FORM_TYPE = "application/json", "application/x-www-form-urlencoded"
# Real payloads nest about ten levels (a message's rich-text blocks); Python's parser gives up near a thousand.
MAX_DEPTH = 64

_HANDLED_EVENTS = ("app_mention", "message", "app_home_opened")
_EVENT_TEXT_FIELDS = ("type", "text", "user", "channel", "team", "ts", "thread_ts", "channel_type", "subtype", "bot_id")
# Bolt reads each of these as an ID string or as an object carrying an "id".
_ID_OR_OBJECT = ("enterprise", "team", "user", "channel")
# Bolt and the listeners call .get on these when present.
_OBJECTS = ("event", "view", "message", "previous_message", "container", "item", "assistant_thread", "function_data")
# Interaction payloads (forms): the listeners read user, team and channel as objects.
_INTERACTION_OBJECTS = ("user", "team", "view", "channel", "message", "container")
_STRINGS = ("type", "callback_id", "action_id", "trigger_id", "response_url", "command", "team_id", "user_id", "channel_id", "value")


def media_type(content_type: str) -> str:
    """'application/json' for 'APPLICATION/JSON; charset=utf-8': media types are case-insensitive and parameters do not matter here."""
    return content_type.split(";", 1)[0].strip().lower()


def _depth(value: Any) -> int:
    """How deeply value nests, counted without recursion (stops counting past MAX_DEPTH)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _json_payload(raw: str) -> dict[str, Any] | str:
    try:
        value = json.loads(raw)
    except RecursionError:
        return f"the JSON is nested more than {MAX_DEPTH} levels deep"
    except ValueError:
        return "the body is not valid JSON"
    if _depth(value) > MAX_DEPTH:
        return f"the JSON is nested more than {MAX_DEPTH} levels deep"
    return value if isinstance(value, dict) else "the body must be a JSON object"


def _need_text(obj: dict[str, Any], keys: tuple[str, ...], where: str, required: tuple[str, ...] = ()) -> str | None:
    for key in keys:
        if key in obj and obj[key] is not None and not isinstance(obj[key], str):
            return f"{where}.{key} must be a string"
    for key in required:
        if not isinstance(obj.get(key), str) or not obj[key]:
            return f"{where}.{key} is missing"
    return None


def _objects(obj: dict[str, Any], keys: tuple[str, ...], where: str) -> str | None:
    for key in keys:
        if obj.get(key) is not None and not isinstance(obj[key], dict):
            return f"{where}.{key} must be an object"
    return None


def _list_of_objects(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        return f"{where}.{key} must be a list"
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            return f"{where}.{key}[{i}] must be an object"
    return None


def _ids_problem(obj: dict[str, Any], where: str) -> str | None:
    """What Bolt reads from any payload to find its workspace, user and channel, recursively through authorizations."""
    for key in _ID_OR_OBJECT:
        value = obj.get(key)
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, dict):
            return f"{where}.{key} must be a string or an object"
        if value.get("id") is not None and not isinstance(value["id"], str):
            return f"{where}.{key}.id must be a string"
    problem = _list_of_objects(obj, "authorizations", where)
    for i, authorization in enumerate(obj.get("authorizations") or ()):
        problem = problem or _ids_problem(authorization, f"{where}.authorizations[{i}]")
        problem = problem or _need_text(authorization, ("team_id", "enterprise_id", "user_id"), f"{where}.authorizations[{i}]")
    return problem


def _state_problem(view: dict[str, Any], where: str) -> str | None:
    """A view's state as the modal listener reads it: values, by block, by action, each an object."""
    state = view.get("state")
    if state is None:
        return None
    if not isinstance(state, dict):
        return f"{where}.state must be an object"
    values = state.get("values")
    if values is None:
        return None
    if not isinstance(values, dict):
        return f"{where}.state.values must be an object"
    for block_id, block in values.items():
        if not isinstance(block, dict):
            return f"{where}.state.values.{block_id} must be an object"
        for action_id, action in block.items():
            at = f"{where}.state.values.{block_id}.{action_id}"
            if not isinstance(action, dict):
                return f"{at} must be an object"
            problem = _objects(action, ("selected_option",), at) or _need_text(action, ("type", "value", "selected_date"), at)
            if problem:
                return problem
    return None


def _event_problem(payload: dict[str, Any]) -> str | None:
    event = payload.get("event")
    if not isinstance(event, dict):
        return "event must be an object"
    problem = _need_text(payload, ("team_id", "event_id", "enterprise_id"), "body", required=("event_id",))
    problem = problem or _need_text(event, ("type",), "event", required=("type",))
    # The events cmmi-bot listens to carry IDs as strings; others (team_join's user, channel_created's channel) may
    # carry objects, which Bolt reads too.
    if event.get("type") in _HANDLED_EVENTS:
        problem = problem or _need_text(event, _EVENT_TEXT_FIELDS, "event")
    problem = problem or _ids_problem(event, "event")
    if problem:
        return problem
    if not (payload.get("team_id") or event.get("team")):
        return "body.team_id is missing"  # every event names its workspace; cmmi-bot keeps nothing without one
    if event.get("type") in ("app_mention", "message") and not event.get("channel"):
        return "event.channel is missing"
    return None


def _interaction_problem(payload: dict[str, Any], where: str) -> str | None:
    kind = payload.get("type")
    problem = _need_text(payload, _STRINGS, where, required=("type",)) or _list_of_objects(payload, "response_urls", where)
    if problem:
        return problem
    if kind in ("block_actions", "interactive_message") or "actions" in payload:
        actions = payload.get("actions")
        if not isinstance(actions, list):
            return f"{where}.actions must be a list"
        if not actions:
            return f"{where}.actions is empty"
        problem = _list_of_objects(payload, "actions", where)
        for i, action in enumerate(actions):
            problem = problem or _need_text(action, ("action_id", "block_id", "value"), f"{where}.actions[{i}]", required=("action_id",))
        if problem:
            return problem
    view = payload.get("view")
    if isinstance(view, dict):
        problem = _need_text(view, ("callback_id", "private_metadata", "id"), f"{where}.view") or _state_problem(view, f"{where}.view")
        if problem:
            return problem
    if kind in ("view_submission", "view_closed"):
        if not isinstance(view, dict):
            return f"{where}.view is missing"
        return _need_text(view, (), f"{where}.view", required=("callback_id",))
    if kind in ("shortcut", "message_action"):
        return _need_text(payload, (), where, required=("callback_id",))
    if kind == "block_suggestion":
        return _need_text(payload, (), where, required=("action_id",))
    return None


def _command_problem(form: dict[str, Any]) -> str | None:
    problem = _need_text(form, ("command", "text", "team_id", "user_id", "channel_id"), "command")
    if problem:
        return problem
    for key in ("team_id", "user_id", "channel_id"):
        if not form.get(key):
            return f"{key} is missing from the slash command"
    return None


def _payload_problem(payload: dict[str, Any], where: str) -> str | None:
    """Any JSON payload, whichever way it came: Bolt routes by its content, not by how it was sent."""
    problem = _ids_problem(payload, where) or _objects(payload, _OBJECTS, where)
    if problem:
        return problem
    kind = payload.get("type")
    if kind == "url_verification":
        return None if isinstance(payload.get("challenge"), str) else "url_verification needs a challenge string"
    if kind == "event_callback":
        return _event_problem(payload)
    if "command" in payload and "type" not in payload:
        return _command_problem(payload)
    problem = _objects(payload, _INTERACTION_OBJECTS, where)
    return problem or _interaction_problem(payload, where)


def payload_problem(body: str, content_type: str) -> str | None:
    """Why this (already signature-checked) request cannot be handled, or None if it looks sound."""
    kind = media_type(content_type)
    if kind == JSON_TYPE:
        payload = _json_payload(body)
        return payload if isinstance(payload, str) else _payload_problem(payload, "body")
    if kind != FORM_TYPE:
        shown = repr(content_type[:60]) if content_type.strip() else "missing"
        return f"the Content-Type is {shown}; Slack sends {JSON_TYPE} (events) or {FORM_TYPE} (slash commands and interactions)"
    if body.startswith("{"):
        return f"a JSON body needs Content-Type: {JSON_TYPE}"
    # As Bolt reads a form: the last of repeated fields wins.
    form = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in form:
        payload = _json_payload(form["payload"])
        if isinstance(payload, str):
            return f"payload: {payload}"
        return _payload_problem(payload, "payload")
    if "command" in form:
        return _command_problem(form)
    return None
