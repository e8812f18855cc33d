"""Shape checks for signed Slack requests: what Bolt would choke on gets a 400 that says why."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

_EVENT_TEXT_FIELDS = ("type", "text", "user", "channel", "ts", "thread_ts", "channel_type", "subtype", "bot_id")


def _need_text(obj: dict[str, Any], keys: tuple[str, ...], where: str, required: tuple[str, ...] = ()) -> str | None:
    for key in keys:
        if key in obj and obj[key] is not None and not isinstance(obj[key], str):
            return f"{where}.{key} must be a string"
    for key in required:
        if not isinstance(obj.get(key), str) or not obj[key]:
            return f"{where}.{key} is missing"
    return None


def _json_payload(raw: str) -> dict[str, Any] | str:
    try:
        value = json.loads(raw)
    except ValueError:
        return "the body is not valid JSON"
    return value if isinstance(value, dict) else "the body must be a JSON object"


def payload_problem(body: str, content_type: str) -> str | None:
    """Why this (already signature-checked) request cannot be handled, or None if it looks sound."""
    if content_type.startswith("application/json"):
        payload = _json_payload(body)
        if isinstance(payload, str):
            return payload
        if payload.get("type") == "url_verification":
            return None if isinstance(payload.get("challenge"), str) else "url_verification needs a challenge string"
        if payload.get("type") == "event_callback":
            event = payload.get("event")
            if not isinstance(event, dict):
                return "event must be an object"
            problem = _need_text(payload, ("team_id", "event_id"), "body", required=("event_id",))
            problem = problem or _need_text(event, _EVENT_TEXT_FIELDS, "event", required=("type",))
            if problem:
                return problem
            if event.get("type") in ("app_mention", "message") and not event.get("channel"):
                return "event.channel is missing"
        return None
    form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    if "payload" in form:
        payload = _json_payload(form["payload"])
        if isinstance(payload, str):
            return f"payload: {payload}"
        if not isinstance(payload.get("type"), str):
            return "payload.type is missing"
        for key in ("user", "team", "view", "channel", "message", "container"):
            if key in payload and payload[key] is not None and not isinstance(payload[key], dict):
                return f"payload.{key} must be an object"
        if "actions" in payload and not isinstance(payload["actions"], list):
            return "payload.actions must be a list"
        return None
    if "command" in form:
        for key in ("team_id", "user_id", "channel_id"):
            if not form.get(key):
                return f"{key} is missing from the slash command"
    return None
