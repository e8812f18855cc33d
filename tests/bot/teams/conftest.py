"""Fixtures for the Teams adapter: a fake Bot Connector, the real endpoint served over HTTP on 127.0.0.1, an activity sender."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.http import http_server
from bot.settings import Settings, load_settings
from bot.teams.server import http_app, teams_routes
from handlers import Context
from tests.bot.teams.fake_connector import FakeConnector

TENANT = "tenant-0001"
BOT_ID = "28:bot-app-id"
BOT_NAME = "cmmi"
CHANNEL = "19:general0001@thread.tacv2"
_IDS = itertools.count(1)
# The SDK warns at import (ExperimentalWarning, a FutureWarning) and each time it builds an API client for an activity
# (DeprecationWarning for its own bot client); the Teams test modules ignore exactly those two.
SDK_WARNINGS = [
    pytest.mark.filterwarnings("ignore:The bot client is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.* is in preview and may change in the future:FutureWarning"),
]


def teams_settings(**values: str) -> Settings:
    return load_settings({"CMMI_HTTP_HOST": "127.0.0.1", **values})


@dataclass
class Served:
    url: str
    server: Any
    thread: threading.Thread
    sock: socket.socket

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def start(routes: list) -> Served:
    """Serve the routes (plus /healthz) with uvicorn in a background thread on 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = http_server(http_app(routes), "127.0.0.1", sock.getsockname()[1])
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the HTTP server did not start"
    return Served(f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread, sock)


@dataclass
class Sent:
    status: int
    body: str


class TeamsSender:
    """Posts activities to the endpoint the way the Bot Connector does (without its token unless given one)."""

    def __init__(self, base_url: str, connector: FakeConnector) -> None:
        self.base_url, self.connector = base_url, connector

    def post_raw(self, body: bytes, headers: dict[str, str] | None = None) -> Sent:
        request = urllib.request.Request(
            self.base_url + "/api/messages", data=body, headers={"Content-Type": "application/json", **(headers or {})}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Sent(response.status, response.read().decode())
        except urllib.error.HTTPError as exc:
            return Sent(exc.code, exc.read().decode())

    def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> Sent:
        sent = self.post_raw(json.dumps(activity).encode(), headers)
        if sent.body.startswith("{"):
            self.connector.check_cards(json.loads(sent.body), f"answer to {activity.get('type')} {activity.get('name', '')}".strip())
        return sent

    def invoke(self, name: str, value: dict[str, Any], *, personal: bool = True, conversation: str | None = None, **who: Any) -> Sent:
        """An invoke activity (a dialog opening or submission, the message extension, a file consent answer) as Teams sends it."""
        activity = self.activity("", personal=personal, conversation=conversation, **who)
        activity.update(type="invoke", name=name, value=value)
        for key in ("text", "textFormat"):
            activity.pop(key, None)
        return self.post(activity)

    def activity(
        self,
        text: str,
        *,
        personal: bool = True,
        mention: bool = False,
        user: str = "29:alice",
        aad: str | None = "aad-alice",
        conversation: str | None = None,
    ) -> dict[str, Any]:
        message_id = f"17000000{next(_IDS):05d}"
        if personal:
            conv = {"id": conversation or "a:personal-alice", "conversationType": "personal", "tenantId": TENANT}
        else:
            conv = {
                "id": conversation or f"{CHANNEL};messageid={message_id}",
                "conversationType": "channel",
                "isGroup": True,
                "tenantId": TENANT,
            }
        sender = {"id": user, "name": "Alice", **({"aadObjectId": aad} if aad else {})}
        activity: dict[str, Any] = {
            "type": "message",
            "id": message_id,
            "timestamp": "2026-11-24T09:00:00.000Z",
            "channelId": "msteams",
            "serviceUrl": self.connector.service_url,
            "from": sender,
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "conversation": conv,
            "text": text,
            "textFormat": "plain",
            "locale": "en-US",
            "localTimezone": "Europe/Berlin",
            "channelData": {"tenant": {"id": TENANT}},
        }
        if mention:
            activity["entities"] = [{"type": "mention", "text": f"<at>{BOT_NAME}</at>", "mentioned": {"id": BOT_ID, "name": BOT_NAME}}]
        if not personal:
            activity["channelData"].update({"teamsChannelId": CHANNEL, "channel": {"id": CHANNEL}, "team": {"id": CHANNEL}})
        return activity

    def get(self, path: str) -> Sent:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
                return Sent(response.status, response.read().decode())
        except urllib.error.HTTPError as exc:
            return Sent(exc.code, exc.read().decode())


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeConnector]:
    with FakeConnector() as fake:
        yield fake


@pytest.fixture(autouse=True)
def cards_are_valid(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every Adaptive Card a Teams test sends (posted to the fake connector, or answered to an invoke) is valid 1.5."""
    yield
    if "connector" in request.fixturenames:
        errors = request.getfixturevalue("connector").card_errors
        assert errors == [], "invalid Adaptive Cards were sent:\n" + "\n".join(errors[:20])


@pytest.fixture
def serve_teams_with(connector: FakeConnector) -> Iterator:
    """Start the real Teams endpoint for a context and settings; stopped after the test."""
    started: list[Served] = []

    def serve(ctx: Context, settings: Settings | None = None) -> TeamsSender:
        served = start(teams_routes(settings or teams_settings(CMMI_TEAMS_NO_AUTH="1"), ctx))
        started.append(served)
        connector.reset()
        return TeamsSender(served.url, connector)

    yield serve
    for served in started:
        served.stop()


@pytest.fixture(scope="module")
def module_server(connector: FakeConnector, ctx: Context) -> Iterator[Served]:
    served = start(teams_routes(teams_settings(CMMI_TEAMS_NO_AUTH="1"), ctx))
    yield served
    served.stop()


@pytest.fixture
def teams(module_server: Served, connector: FakeConnector) -> TeamsSender:
    """A sender to the no-auth endpoint with the store-less context; the fake starts each test empty."""
    connector.reset()
    return TeamsSender(module_server.url, connector)
