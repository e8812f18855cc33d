"""Slack payloads with missing or wrong-typed fields get a 400 that names the problem, never a 500,
and cause nothing to be sent; unsigned ones still get a 401."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from urllib.parse import quote, urlencode, urlsplit

import pytest
from slack_sdk.signature import SignatureVerifier

from handlers import Context
from tests.reliability.conftest import SECRET, Served, serve_slack

EVENT = {
    "type": "event_callback",
    "team_id": "T0FAKE",
    "event_id": "EvBad1",
    "event": {"type": "app_mention", "text": "hi", "user": "U1", "channel": "C1", "ts": "1.1"},
}
FORM, JSON = "application/x-www-form-urlencoded", "application/json"


@pytest.fixture(scope="module")
def served(ctx: Context) -> Iterator[Served]:
    with serve_slack(ctx) as served:
        yield served


def status_and_text(served: Served, body: str, content_type: str | None, sign: bool = True) -> tuple[int, str]:
    """POST body, signed as Slack signs unless sign=False; content_type None sends no Content-Type header at all."""
    headers = {} if content_type is None else {"Content-Type": content_type}
    if sign:
        ts = str(int(time.time()))
        headers |= {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
        }
    url = urlsplit(served.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=15)  # urllib would add a Content-Type of its own
    try:
        connection.request("POST", url.path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        ("{not json", JSON, "not valid JSON"),
        ("[1, 2, 3]", JSON, "JSON object"),
        (json.dumps({**EVENT, "event": "oops"}), JSON, "event must be an object"),
        (json.dumps({**EVENT, "event": {**EVENT["event"], "text": 42}}), JSON, "event.text must be a string"),
        (json.dumps({**EVENT, "event": {**EVENT["event"], "channel": None}}), JSON, "event.channel is missing"),
        ("payload=%7Bnot", FORM, "payload"),
        ("payload=" + quote(json.dumps({"type": "block_actions", "user": "U1"})), FORM, "payload.user must be an object"),
        (urlencode({"command": "/cmmi", "text": "help", "team_id": "T0FAKE", "channel_id": "C1"}), FORM, "user_id is missing"),
        (urlencode({"command": "/cmmi", "text": "help", "user_id": "U1", "channel_id": "C1"}), FORM, "team_id is missing"),
    ],
)
def test_malformed_signed_payloads_get_400_and_nothing_happens(served: Served, body: str, content_type: str, problem: str) -> None:
    served.fake.reset()
    status, text = status_and_text(served, body, content_type)
    assert status == 400
    assert problem in text
    time.sleep(0.2)
    assert [c.method for c in served.fake.calls()] == []


def interaction(payload: dict) -> str:
    return "payload=" + quote(json.dumps(payload))


VIEW = {"type": "modal", "callback_id": "log_evidence_modal", "private_metadata": '{"channel":"C1","ts":"1.1"}'}
SUBMISSION = {"type": "view_submission", "user": {"id": "U1", "team_id": "T0FAKE"}, "team": {"id": "T0FAKE"}, "view": VIEW}
DEEP = '{"type": "event_callback", "event_id": "EvDeep", "event": {"type": "app_mention", "x": ' + "[" * 100_000 + "]" * 100_000 + "}}"


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (DEEP, JSON, "nested more than"),
        (
            json.dumps(
                {
                    **EVENT,
                    "event": {
                        "type": "app_mention",
                        "x": [
                            [
                                [
                                    [
                                        [
                                            [
                                                [
                                                    [
                                                        [
                                                            [
                                                                [
                                                                    [
                                                                        [
                                                                            [
                                                                                [
                                                                                    [
                                                                                        [
                                                                                            [
                                                                                                [
                                                                                                    [
                                                                                                        [
                                                                                                            [
                                                                                                                [
                                                                                                                    [
                                                                                                                        [
                                                                                                                            [
                                                                                                                                [
                                                                                                                                    [
                                                                                                                                        [
                                                                                                                                            [
                                                                                                                                                [
                                                                                                                                                    [
                                                                                                                                                        [
                                                                                                                                                            [
                                                                                                                                                                [
                                                                                                                                                                    [
                                                                                                                                                                        [
                                                                                                                                                                            [
                                                                                                                                                                                [
                                                                                                                                                                                    [
                                                                                                                                                                                        [
                                                                                                                                                                                            [
                                                                                                                                                                                                [
                                                                                                                                                                                                    [
                                                                                                                                                                                                        [
                                                                                                                                                                                                            [
                                                                                                                                                                                                                [
                                                                                                                                                                                                                    [
                                                                                                                                                                                                                        [
                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                                                1
                                                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                ]
                                                                                                                                                                                                            ]
                                                                                                                                                                                                        ]
                                                                                                                                                                                                    ]
                                                                                                                                                                                                ]
                                                                                                                                                                                            ]
                                                                                                                                                                                        ]
                                                                                                                                                                                    ]
                                                                                                                                                                                ]
                                                                                                                                                                            ]
                                                                                                                                                                        ]
                                                                                                                                                                    ]
                                                                                                                                                                ]
                                                                                                                                                            ]
                                                                                                                                                        ]
                                                                                                                                                    ]
                                                                                                                                                ]
                                                                                                                                            ]
                                                                                                                                        ]
                                                                                                                                    ]
                                                                                                                                ]
                                                                                                                            ]
                                                                                                                        ]
                                                                                                                    ]
                                                                                                                ]
                                                                                                            ]
                                                                                                        ]
                                                                                                    ]
                                                                                                ]
                                                                                            ]
                                                                                        ]
                                                                                    ]
                                                                                ]
                                                                            ]
                                                                        ]
                                                                    ]
                                                                ]
                                                            ]
                                                        ]
                                                    ]
                                                ]
                                            ]
                                        ]
                                    ]
                                ]
                            ]
                        ],
                    },
                }
            ),
            JSON,
            "nested more than",
        ),
        ("payload=" + quote(DEEP), FORM, "nested more than"),
        (json.dumps({**EVENT, "event": "oops"}), "text/plain", "Content-Type"),
        (json.dumps({**EVENT, "event": "oops"}), "APPLICATION/JSON", "event must be an object"),
        (json.dumps({**EVENT, "event": "oops"}), "application/json; charset=utf-8", "event must be an object"),
        (json.dumps({**EVENT, "event": "oops"}), "", "Content-Type"),
        (json.dumps({**EVENT, "event": "oops"}), None, "Content-Type"),
        (json.dumps({**EVENT, "event": "oops"}), FORM, "application/json"),
        (json.dumps({**EVENT, "authorizations": {"team_id": "T0FAKE"}}), JSON, "authorizations must be a list"),
        (json.dumps({**EVENT, "authorizations": [1]}), JSON, "authorizations[0] must be an object"),
        (json.dumps({**EVENT, "authorizations": "T0FAKE"}), JSON, "authorizations must be a list"),
        (json.dumps({**EVENT, "enterprise": 5}), JSON, "enterprise must be"),
        (json.dumps({**EVENT, "team_id": None, "event": {**EVENT["event"], "team": None}}), JSON, "team_id is missing"),
        (
            interaction({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T0FAKE"}, "actions": [1]}),
            FORM,
            "actions[0] must be an object",
        ),
        (interaction({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T0FAKE"}, "actions": []}), FORM, "actions is empty"),
        (
            interaction({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": 7}]}),
            FORM,
            "actions[0].action_id must be a string",
        ),
        (json.dumps({"type": "block_actions", "user": {"id": "U1"}, "actions": [1]}), JSON, "actions[0] must be an object"),
        (interaction({**SUBMISSION, "view": {**VIEW, "state": [1]}}), FORM, "view.state must be an object"),
        (interaction({**SUBMISSION, "view": {**VIEW, "state": {"values": "x"}}}), FORM, "view.state.values must be an object"),
        (
            interaction({**SUBMISSION, "view": {**VIEW, "state": {"values": {"practice": [1]}}}}),
            FORM,
            "view.state.values.practice must be an object",
        ),
        (interaction({**SUBMISSION, "view": {**VIEW, "state": {"values": {"practice": {"practice": "WMC"}}}}}), FORM, "must be an object"),
        (
            interaction({**SUBMISSION, "view": {**VIEW, "state": {"values": {"note": {"note": {"value": 3}}}}}}),
            FORM,
            "value must be a string",
        ),
        (
            interaction({**SUBMISSION, "view": {**VIEW, "state": {"values": {"group": {"group": {"selected_option": "1"}}}}}}),
            FORM,
            "selected_option must be an object",
        ),
        (interaction({**SUBMISSION, "view": "modal"}), FORM, "view must be an object"),
        (interaction({**SUBMISSION, "view": {"type": "modal"}}), FORM, "view.callback_id is missing"),
        (interaction({**SUBMISSION, "response_urls": {"response_url": "x"}}), FORM, "response_urls must be a list"),
        (interaction({"type": "message_action", "callback_id": 1, "user": {"id": "U1"}}), FORM, "callback_id must be a string"),
        (interaction({"type": "block_suggestion", "action_id": ["practice"], "user": {"id": "U1"}}), FORM, "action_id must be a string"),
        ("payload=" + quote("{}") + "&payload=" + quote(json.dumps({"type": "block_actions", "actions": [1]})), FORM, "actions[0]"),
    ],
)
def test_signed_payloads_bolt_would_fail_on_get_400_naming_the_problem(served: Served, body: str, content_type: str, problem: str) -> None:
    served.fake.reset()
    status, text = status_and_text(served, body, content_type)
    assert (status, problem in text) == (400, True), text[:300]
    time.sleep(0.2)
    assert [c.method for c in served.fake.calls()] == []


def test_a_sound_event_with_an_upper_case_content_type_is_handled(served: Served) -> None:
    served.fake.reset()
    body = json.dumps({**EVENT, "event_id": "EvUpper", "event": {**EVENT["event"], "text": "help"}})
    assert status_and_text(served, body, "APPLICATION/JSON; charset=UTF-8")[0] == 200
    assert served.fake.wait_for("chat.postMessage", timeout=10)


def test_unsigned_garbage_is_401(served: Served) -> None:
    served.fake.reset()
    assert status_and_text(served, "{not json", JSON, sign=False)[0] == 401
    assert served.fake.calls() == []


def test_a_command_without_text_shows_help(served: Served) -> None:
    served.fake.reset()
    body = urlencode(
        {"command": "/cmmi", "team_id": "T0FAKE", "user_id": "U1", "channel_id": "C1", "response_url": served.fake.response_url("empty")}
    )
    status, text = status_and_text(served, body, FORM)
    assert status == 200 and "cmmi-bot commands" in text  # help, riding on the acknowledgement
