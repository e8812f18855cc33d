"""Socket Mode end to end: `serve` (bot/server.py) with SLACK_APP_TOKEN set, against a real WebSocket server on 127.0.0.1 standing in for
Slack's Socket Mode endpoint (no monkeypatching of the SDK). The fake Web API hands out its ws:// URL from
apps.connections.open; the WebSocket server sends a slash command and a button press as Slack's envelopes and records
the bot's acknowledgements."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import slack_settings
from fake_slack import TEAM_ID, FakeSlack

from bot import server
from bot.wiring import Runtime
from handlers import Context, Request, dispatch
from index import ModelIndex
from model_data import Model
from store import Store, make_engine, sqlite_url, upgrade
from tests.conftest import Clock

websockets_sync = pytest.importorskip("websockets.sync.server")

APP_TOKEN = "xapp-test-not-a-real-token"
CHANNEL = "C0SOCKET"
RECV_TIMEOUT = 20.0  # a generous bound so a broken bot fails the test instead of hanging it; never a timing assertion


class SocketFakeSlack(FakeSlack):
    """The fake Web API, also answering apps.connections.open with the local WebSocket server's URL."""

    socket_url = ""
    opened_with: list[str | None]

    def __init__(self) -> None:
        super().__init__()
        self.opened_with = []

    def _answer(self, method: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        if method == "apps.connections.open":
            self.opened_with.append(token)
            return {"ok": True, "url": self.socket_url}
        return super()._answer(method, body, token)


@dataclass
class Script:
    """What the fake Socket Mode endpoint sends, and what it heard back."""

    fake: FakeSlack
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    finished: threading.Event = field(default_factory=threading.Event)

    def envelope(self, ws: Any, envelope_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        ws.send(
            json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": kind != "events_api"})
        )
        while True:
            frame = json.loads(ws.recv(timeout=RECV_TIMEOUT))
            if frame.get("envelope_id") == envelope_id:
                self.acks[envelope_id] = frame
                return frame

    def run(self, ws: Any) -> None:
        try:
            ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0FAKE"}}))
            command = {
                "token": "legacy-verification-token", "team_id": TEAM_ID, "team_domain": "fake", "channel_id": CHANNEL,
                "channel_name": "socket", "user_id": "U0ALICE", "user_name": "alice", "command": "/cmmi",
                "text": "what does WMC.SP1.6 require", "api_app_id": "A0FAKE",
                "response_url": self.fake.response_url("socket-cmd"), "trigger_id": "trigger.socket.1",
            }  # fmt: skip
            answer = self.envelope(ws, "env-command-1", "slash_commands", command).get("payload") or {}
            buttons = [e for b in answer.get("blocks") or [] if b.get("type") == "actions" for e in b.get("elements") or []]
            logs = [b for b in buttons if str(b.get("action_id", "")).startswith("cmmi:log_evidence:")]
            if not logs:
                self.problems.append(f"no Log evidence button in the command's acknowledgement: {answer}")
                return
            press = {
                "type": "block_actions", "user": {"id": "U0ALICE", "username": "alice", "team_id": TEAM_ID}, "api_app_id": "A0FAKE",
                "token": "legacy-verification-token", "trigger_id": "trigger.socket.2", "team": {"id": TEAM_ID, "domain": "fake"},
                "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": CHANNEL, "is_ephemeral": True},
                "channel": {"id": CHANNEL, "name": "socket"}, "response_url": self.fake.response_url("socket-press"),
                "actions": [{"action_id": logs[0]["action_id"], "block_id": "b1", "type": "button", "value": logs[0]["value"],
                             "action_ts": "1700000001.000200"}],
            }  # fmt: skip
            self.envelope(ws, "env-press-1", "interactive", press)
            self.fake.wait_for("views.open", timeout=RECV_TIMEOUT)
        except Exception as exc:  # reported by the test, which then fails with it
            self.problems.append(f"{type(exc).__name__}: {exc}")
        finally:
            self.finished.set()
            # Stays connected until the bot closes: the bot, not the endpoint, ends the session here.
            try:
                for _ in ws:
                    pass
            except Exception:
                pass


@pytest.fixture
def store_ctx(model: Model, index: ModelIndex, tmp_path: Path) -> Iterator[Context]:
    engine = make_engine(sqlite_url(tmp_path / "socket.db"))
    upgrade(engine)
    yield Context(model=model, index=index, store=Store(engine, Clock()))
    engine.dispose()


def test_serve_over_socket_mode_answers_a_command_in_its_ack_and_a_button_opens_the_form(store_ctx: Context) -> None:
    dispatch(
        Request(text="group add Socket Desk", user_id="U0ALICE", workspace_id=f"slack:{TEAM_ID}", channel_id=CHANNEL, transport="slack"),
        store_ctx,
    )
    before = set(threading.enumerate())
    with SocketFakeSlack() as fake:
        script = Script(fake)
        endpoint = websockets_sync.serve(script.run, "127.0.0.1", 0)
        host, port = endpoint.socket.getsockname()[:2]
        fake.socket_url = f"ws://{host}:{port}/link/?ticket=fake-ticket&app_id=A0FAKE"
        endpoint_thread = threading.Thread(target=endpoint.serve_forever, daemon=True)
        endpoint_thread.start()

        def stop_when_done() -> None:
            script.finished.wait(timeout=60)  # a bound for a bot that never connects; the test then fails on what is missing
            os.kill(os.getpid(), signal.SIGTERM)  # as a service manager stops it

        stopper = threading.Thread(target=stop_when_done, daemon=True)
        stopper.start()
        try:
            settings = slack_settings(fake.api_url, SLACK_SIGNING_SECRET="", SLACK_APP_TOKEN=APP_TOKEN)
            assert server.serve(Runtime(settings, store_ctx)) == 0  # as `cmmi-bot serve` runs it; SIGTERM ends it cleanly
        finally:
            endpoint.shutdown()
            endpoint_thread.join(timeout=10)
            stopper.join(timeout=10)
        assert script.problems == []
        assert fake.opened_with == [APP_TOKEN]  # the app-level token, not the bot token, opens the connection

        command_ack = script.acks["env-command-1"]
        answer = command_ack["payload"]
        assert answer["response_type"] == "ephemeral"
        assert answer["text"] == "WMC.SP1.6 Conduct Progress Reviews"  # the answer itself, in the acknowledgement
        assert "You asked: what does WMC.SP1.6 require" in json.dumps(answer["blocks"])
        assert "Log evidence" in json.dumps(answer)

        assert script.acks["env-press-1"]["envelope_id"] == "env-press-1"
        [opened] = fake.calls("views.open")
        assert opened.body["trigger_id"] == "trigger.socket.2"
        fields = {b["block_id"]: b["element"] for b in opened.body["view"]["blocks"] if b["type"] == "input"}
        assert fields["practice"]["initial_option"]["value"] == "WMC.SP1.6"  # the form for the practice asked about
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers put back
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=10)  # one still winding down gets its chance; one that never ends fails below
    left = [t.name for t in threading.enumerate() if t not in before]
    assert left == [], f"threads left running: {left}"  # the Socket Mode client's threads included, daemon or not
