"""Slack payloads with missing or wrong-typed fields get a 400 that names the problem, never a 500,
and cause nothing to be sent; unsigned ones still get a 401."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest

from handlers import Context
from tests.reliability.conftest import Served, serve_slack

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


def status_and_text(served: Served, body: str, content_type: str, sign: bool = True) -> tuple[int, str]:
    try:
        if sign:
            return served.exchange(body, content_type)
        request = urllib.request.Request(served.url, data=body.encode(), headers={"Content-Type": content_type}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


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


def test_unsigned_garbage_is_401(served: Served) -> None:
    served.fake.reset()
    assert status_and_text(served, "{not json", JSON, sign=False)[0] == 401
    assert served.fake.calls() == []


def test_a_command_without_text_is_an_empty_question(served: Served) -> None:
    served.fake.reset()
    body = urlencode(
        {"command": "/cmmi", "team_id": "T0FAKE", "user_id": "U1", "channel_id": "C1", "response_url": served.fake.response_url("empty")}
    )
    status, text = status_and_text(served, body, FORM)
    assert status == 200 and "Please type a question" in text  # the answer rides on the acknowledgement
