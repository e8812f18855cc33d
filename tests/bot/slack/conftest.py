"""Fixtures for the Slack adapter: a fake Slack Web API, the real app served over HTTP on 127.0.0.1, and a signed-request sender."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from blockkit import ack_problems
from fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack
from slack_sdk.signature import SignatureVerifier

from bot.http import http_server
from bot.settings import Settings, load_settings
from bot.slack.app import build_app
from bot.slack.server import http_app
from handlers import Context

_IDS = itertools.count(1)
SIGNING_SECRET = "test-signing-secret-not-a-real-one"
BOT_TOKEN = "xoxb-test-not-a-real-token"


def slack_settings(api_url: str, **overrides: str) -> Settings:
    values = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api_url, **overrides}
    return load_settings(values)


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@dataclass
class Served:
    url: str
    server: Any


@contextmanager
def serving(bolt_app: Any) -> Iterator[Served]:
    """Serve a Bolt app in HTTP mode with uvicorn in a background thread on 127.0.0.1 until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = http_server(http_app(bolt_app, signing_secret=SIGNING_SECRET), "127.0.0.1", port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the HTTP server did not start"
    try:
        yield Served(url=f"http://127.0.0.1:{port}", server=server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def slack_server(fake_slack: FakeSlack, ctx: Context) -> Iterator[Served]:
    """The real Bolt app in HTTP mode, served by uvicorn in a background thread on 127.0.0.1."""
    with serving(build_app(slack_settings(fake_slack.api_url), ctx)) as served:
        yield served


@dataclass
class Sent:
    status: int
    body: str
    seconds: float

    @property
    def message(self) -> dict[str, Any]:
        """The message that went back with the acknowledgement (a command's answer), or {} for an empty ack."""
        return json.loads(self.body) if self.body else {}


class SlackSender:
    """Sends requests to the app the way Slack does: signed with the signing secret over v0:{timestamp}:{body}."""

    def __init__(self, base_url: str, fake: FakeSlack, secret: str = SIGNING_SECRET) -> None:
        self.base_url = base_url
        self.fake = fake
        self.verifier = SignatureVerifier(secret)

    def post(
        self,
        body: str,
        content_type: str,
        *,
        path: str = "/slack/events",
        timestamp: int | None = None,
        signature: str | None = None,
        signed: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Sent:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            all_headers["X-Slack-Request-Timestamp"] = ts
            all_headers["X-Slack-Signature"] = signature or self.verifier.generate_signature(timestamp=ts, body=body)
        request = urllib.request.Request(self.base_url + path, data=body.encode("utf-8"), headers=all_headers, method="POST")
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                sent = Sent(response.status, response.read().decode("utf-8"), time.perf_counter() - start)
        except urllib.error.HTTPError as exc:
            return Sent(exc.code, exc.read().decode("utf-8"), time.perf_counter() - start)
        if sent.status == 200 and response.headers.get_content_type() == "application/json":
            self.fake.note_problems(ack_problems(sent.body))  # an ack's body is shown to people too
        return sent

    def get(self, path: str) -> Sent:
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
                return Sent(response.status, response.read().decode("utf-8"), time.perf_counter() - start)
        except urllib.error.HTTPError as exc:
            return Sent(exc.code, exc.read().decode("utf-8"), time.perf_counter() - start)

    def next_id(self, prefix: str) -> str:
        # Unique for the whole run: the app remembers event IDs across tests, as it would across deliveries.
        return f"{prefix}{next(_IDS):06d}"

    def command_body(
        self, text: str, *, user: str = "U0ALICE", channel: str = "C0GENERAL", response: str = "cmd", team: str = TEAM_ID
    ) -> str:
        return urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": team,
                "team_domain": "fake",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": "alice",
                "command": "/cmmi",
                "text": text,
                "api_app_id": "A0FAKE",
                "response_url": self.fake.response_url(response),
                "trigger_id": self.next_id("trigger."),
            }
        )

    def command(self, text: str, **kwargs: str) -> Sent:
        return self.post(self.command_body(text, **kwargs), "application/x-www-form-urlencoded")

    def press(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        response: str = "press",
        block_id: str = "b1",
        menu: bool = False,
        home: bool = False,
    ) -> Sent:
        """A press of a button (or a pick in a menu, `menu`) in a message, or on the Home tab (`home`: no channel, no
        response_url), as Slack posts it."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": "button",
            "value": value,
            "action_ts": "1700000001.000200",
        }
        if menu:
            action = {**action, "type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}
            del action["value"]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": "alice", "team_id": TEAM_ID},
            "api_app_id": "A0FAKE",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": channel, "is_ephemeral": True},
            "trigger_id": self.next_id("trigger."),
            "team": {"id": TEAM_ID, "domain": "fake"},
            "channel": {"id": channel, "name": "general"},
            "response_url": self.fake.response_url(response),
            "actions": [action],
        }
        if home:
            payload["container"] = {"type": "view", "view_id": "V0HOME"}
            payload["view"] = {"id": "V0HOME", "type": "home", "callback_id": "", "private_metadata": ""}
            del payload["channel"], payload["response_url"]
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def interactive(self, payload: dict[str, Any]) -> Sent:
        """An interactive payload (shortcut, options request, view submission) as Slack posts it: form-encoded JSON."""
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        return json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM_ID,
                "api_app_id": "A0FAKE",
                "event": event,
                "type": "event_callback",
                "event_id": event_id or self.next_id("Ev"),
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            }
        )

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None) -> Sent:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return self.post(self.event_body(event, event_id), "application/json", headers=headers)


@pytest.fixture(autouse=True)
def block_kit_checked(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that talks to the fake Slack fails if anything it made the app send is Block Kit Slack would refuse."""
    yield
    if "fake_slack" in request.fixturenames:
        problems = request.getfixturevalue("fake_slack").take_problems()
        assert not problems, "Slack would have refused what the app sent:\n" + "\n".join(problems)


@pytest.fixture
def slack(slack_server: Served, fake_slack: FakeSlack) -> SlackSender:
    """A sender for one test; the fake starts each test with no calls recorded and no failures queued."""
    fake_slack.reset()
    return SlackSender(slack_server.url, fake_slack)
