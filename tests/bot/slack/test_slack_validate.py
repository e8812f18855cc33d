"""Malformed Slack payloads are named precisely; sound ones pass untouched."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest

from bot.slack.validate import MAX_DEPTH, media_type, payload_problem

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


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth - 1):
        value = [value]
    return value


VIEW_SUBMISSION = {
    "type": "view_submission",
    "team": {"id": "T1", "domain": "acme"},
    "user": {"id": "U1", "team_id": "T1"},
    "enterprise": None,
    "is_enterprise_install": False,
    "view": {
        "id": "V1",
        "type": "modal",
        "callback_id": "log_evidence_modal",
        "private_metadata": '{"channel":"C1","ts":"1.1"}',
        "blocks": [{"type": "input", "block_id": "note", "element": {"type": "plain_text_input", "action_id": "note"}}],
        "state": {
            "values": {
                "practice": {
                    "practice": {
                        "type": "external_select",
                        "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": "WMC.SP1.6"},
                    }
                },
                "group": {"group": {"type": "static_select", "selected_option": None}},
                "note": {"note": {"type": "plain_text_input", "value": None}},
                "date": {"date": {"type": "datepicker", "selected_date": "2026-11-01"}},
                "tags": {"tags": {"type": "checkboxes", "selected_options": []}},
            }
        },
    },
    "response_urls": [],
}
MESSAGE_SHORTCUT = {
    "type": "message_action",
    "callback_id": "log_evidence",
    "trigger_id": "1.2.abc",
    "response_url": "https://hooks.slack.test/x",
    "team": {"id": "T1"},
    "channel": {"id": "C1", "name": "ops"},
    "user": {"id": "U1"},
    "message": {
        "type": "message",
        "ts": "1.1",
        "text": "minutes",
        "blocks": [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "minutes"}]}]}],
    },
}


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (json.dumps({**MENTION, "event": {**MENTION["event"], "x": nested(MAX_DEPTH)}}), JSON, f"nested more than {MAX_DEPTH} levels"),
        ("[" * 50_000 + "]" * 50_000, JSON, "nested more than"),
        (json.dumps(MENTION), "text/plain", "the Content-Type is 'text/plain'"),
        (json.dumps(MENTION), "", "the Content-Type is missing"),
        (json.dumps(MENTION), FORM, "a JSON body needs Content-Type: application/json"),
        (json.dumps({**MENTION, "event": "oops"}), "Application/JSON", "event must be an object"),
        (json.dumps({**MENTION, "authorizations": {"team_id": "T1"}}), JSON, "body.authorizations must be a list"),
        (json.dumps({**MENTION, "authorizations": [{"team_id": 5}]}), JSON, "body.authorizations[0].team_id must be a string"),
        (
            json.dumps({**MENTION, "authorizations": [{"enterprise": ["E1"]}]}),
            JSON,
            "authorizations[0].enterprise must be a string or an object",
        ),
        (json.dumps({**MENTION, "team": {"id": 1}}), JSON, "body.team.id must be a string"),
        (json.dumps({**MENTION, "team_id": ""}), JSON, "body.team_id is missing"),
        (json.dumps({**MENTION, "event": {**MENTION["event"], "team": 3}}), JSON, "event.team must be a string"),
        (
            "payload=" + quote(json.dumps({**VIEW_SUBMISSION, "view": {**VIEW_SUBMISSION["view"], "state": "x"}})),
            FORM,
            "payload.view.state must be",
        ),
        (
            "payload=" + quote(json.dumps({**VIEW_SUBMISSION, "view": {**VIEW_SUBMISSION["view"], "private_metadata": {}}})),
            FORM,
            "private_metadata must be a string",
        ),
        ("payload=" + quote(json.dumps({**MESSAGE_SHORTCUT, "channel": "C1"})), FORM, "payload.channel must be an object"),
        ("payload=" + quote(json.dumps({**MESSAGE_SHORTCUT, "callback_id": None})), FORM, "payload.callback_id is missing"),
        ("payload=" + quote(json.dumps({**MESSAGE_SHORTCUT, "response_urls": [1]})), FORM, "payload.response_urls[0] must be an object"),
        (
            "payload=" + quote(json.dumps({"type": "block_suggestion", "user": {"id": "U1"}, "value": 12, "action_id": "practice"})),
            FORM,
            "value must be a string",
        ),
        (
            urlencode({"command": "/cmmi", "text": "help", "team_id": "T1", "user_id": "U1", "channel_id": "C1"}) + "&payload=%7B",
            FORM,
            "payload",
        ),
    ],
)
def test_shapes_bolt_or_a_listener_would_fail_on_are_named(body: str, content_type: str, problem: str) -> None:
    found = payload_problem(body, content_type)
    assert found is not None and problem in found, found


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps({**MENTION, "event": {**MENTION["event"], "x": nested(MAX_DEPTH - 3)}}), JSON),
        (json.dumps(MENTION), "application/json; charset=utf-8"),
        (json.dumps(MENTION), "APPLICATION/JSON"),
        (json.dumps({**MENTION, "authorizations": [{"enterprise_id": None, "team_id": "T1", "user_id": "U9", "is_bot": True}]}), JSON),
        (json.dumps({**MENTION, "team_id": None, "event": {**MENTION["event"], "team": "T1"}}), JSON),
        (json.dumps({**MENTION, "event": {"type": "team_join", "user": {"id": "U2", "name": "new"}}}), JSON),  # not ours, but sound
        (json.dumps({"type": "app_rate_limited", "team_id": "T1", "minute_rate_limited": 1518467820}), JSON),
        ("payload=" + quote(json.dumps(VIEW_SUBMISSION)), FORM),
        ("payload=" + quote(json.dumps(MESSAGE_SHORTCUT)), "application/x-www-form-urlencoded; charset=utf-8"),
        (
            "payload="
            + quote(
                json.dumps(
                    {"type": "block_suggestion", "user": {"id": "U1"}, "team": {"id": "T1"}, "action_id": "practice", "value": "wmc"}
                )
            ),
            FORM,
        ),
    ],
)
def test_sound_payloads_of_every_kind_pass(body: str, content_type: str) -> None:
    assert payload_problem(body, content_type) is None


def test_media_types_ignore_case_and_parameters() -> None:
    assert media_type(" Application/JSON ; charset=UTF-8") == "application/json"
    assert media_type("") == ""
