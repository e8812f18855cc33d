"""The Slack API misbehaves for a while (429 with Retry-After, 500): replies are retried and
delivered once each, neither lost nor duplicated."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.settings import load_settings
from bot.slack.app import build_app
from bot.slack.server import http_app, http_server
from handlers import Context

sys.path.insert(0, str(Path(__file__).parents[1] / "bot" / "slack"))
from fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack

SECRET = "fault-test-signing-secret"


@pytest.fixture
def app_url(ctx: Context):
    with FakeSlack() as fake:
        settings = load_settings(
            {"SLACK_BOT_TOKEN": "xoxb-fault-test-not-real", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        server = http_server(http_app(build_app(settings, ctx)), "127.0.0.1", sock.getsockname()[1])
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            yield fake, f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


def mention(url: str, n: int) -> int:
    body = json.dumps(
        {
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0FAKE", "type": "event_callback", "event_id": f"EvFault{n:05d}{time.time_ns()}",
            "event_time": int(time.time()),
            "event": {"type": "app_mention", "user": "U0ALICE", "text": f"<@{BOT_USER_ID}> GP2.{1 + n % 9}", "ts": f"1700000{n:03d}.000100", "channel": "C0GENERAL"},
        }
    )  # fmt: skip
    ts = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def delivered_threads(fake: FakeSlack) -> list[str]:
    return sorted(c.body.get("thread_ts") for c in fake.calls("chat.postMessage"))


def test_rate_limited_for_a_while(app_url) -> None:
    fake, url = app_url
    fake.rate_limit("chat.postMessage", times=4, retry_after=1)
    assert [mention(url, n) for n in range(4)] == [200] * 4
    fake.wait_for("chat.postMessage", count=4, timeout=30)
    fake.quiet_for(1.5)
    assert delivered_threads(fake) == sorted(f"1700000{n:03d}.000100" for n in range(4))
    assert len([c for c in fake.calls("chat.postMessage", ok_only=False) if c.status == 429]) == 4


def test_server_errors_are_retried(app_url) -> None:
    fake, url = app_url
    fake._fail("chat.postMessage", 1, 500, "internal_error", {})
    assert mention(url, 1) == 200
    fake.wait_for("chat.postMessage", count=1, timeout=30)
    fake.quiet_for(1.0)
    assert delivered_threads(fake) == ["1700000001.000100"]
