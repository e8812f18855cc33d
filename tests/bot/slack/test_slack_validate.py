"""Malformed Slack payloads are named precisely; sound ones pass untouched."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest

from bot.slack.validate import payload_problem

JSON, FORM = "application/json", "application/x-www-form-urlencoded"
MENTION = {
    "type": "event_callback",
    "team_id": "T1",
    "event_id": "Ev1",
    "event": {"type": "app_mention", "text": "hi", "user": "U1", "channel": "C1", "ts": "1.2"},
}


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        ("{not json", JSON, "not valid JSON"),
        ("[1, 2]", JSON, "JSON object"),
        (json.dumps({**MENTION, "event": "oops"}), JSON, "event must be an object"),
        (json.dumps({**MENTION, "event": {**MENTION["event"], "text": 42}}), JSON, "event.text must be a string"),
        (json.dumps({**MENTION, "event": {k: v for k, v in MENTION["event"].items() if k != "channel"}}), JSON, "event.channel is missing"),
        (json.dumps({k: v for k, v in MENTION.items() if k != "event_id"}), JSON, "event_id is missing"),
        (json.dumps({"type": "url_verification"}), JSON, "challenge"),
        ("payload=%7Bnot", FORM, "payload: the body is not valid JSON"),
        ("payload=" + quote(json.dumps({"team": {"id": "T1"}})), FORM, "payload.type is missing"),
        ("payload=" + quote(json.dumps({"type": "block_actions", "user": "U1"})), FORM, "payload.user must be an object"),
        ("payload=" + quote(json.dumps({"type": "block_actions", "actions": {}})), FORM, "payload.actions must be a list"),
        (urlencode({"command": "/cmmi", "text": "help", "team_id": "T1", "channel_id": "C1"}), FORM, "user_id is missing"),
    ],
)
def test_problems_are_named(body: str, content_type: str, problem: str) -> None:
    found = payload_problem(body, content_type)
    assert found is not None and problem in found


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps(MENTION), JSON),
        (json.dumps({"type": "url_verification", "challenge": "abc"}), JSON),
        (urlencode({"command": "/cmmi", "team_id": "T1", "user_id": "U1", "channel_id": "C1"}), FORM),  # no text: an empty question
        ("payload=" + quote(json.dumps({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "x"}]})), FORM),
    ],
)
def test_sound_payloads_pass(body: str, content_type: str) -> None:
    assert payload_problem(body, content_type) is None
