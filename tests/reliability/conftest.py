"""The real Slack app served over HTTP on 127.0.0.1 against the fake Web API, and a signed sender."""

from __future__ import annotations

import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

from bot.http import http_server
from bot.settings import load_settings
from bot.slack.app import build_app
from bot.slack.server import http_app
from handlers import Context

sys.path.insert(0, str(Path(__file__).parents[1] / "bot" / "slack"))
from fake_slack import FakeSlack

SECRET = "reliability-signing-secret"


@dataclass
class Served:
    fake: FakeSlack
    url: str  # the Bolt endpoint, /slack/events

    def post(self, body: str, content_type: str, timeout: float = 15) -> int:
        """POST as Slack does: signed over v0:{timestamp}:{body}. Returns the status."""
        return self.exchange(body, content_type, timeout)[0]

    def exchange(self, body: str, content_type: str, timeout: float = 15) -> tuple[int, str]:
        """POST as Slack does; returns (status, response body): a command's answer rides on its acknowledgement."""
        ts = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
        }
        request = urllib.request.Request(self.url, data=body.encode(), headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")


def short_difference(expected: set, got: set, what: str, first: int = 5) -> str:
    """A failure message that stays short whatever the sizes: counts and the first few differences."""
    missing, extra = sorted(expected - got), sorted(got - expected)
    return f"{what}: expected {len(expected)}, got {len(got)}; missing {len(missing)} (first: {missing[:first]}), unexpected {len(extra)} (first: {extra[:first]})"


@contextmanager
def serve_slack(ctx: Context) -> Iterator[Served]:
    with FakeSlack() as fake:
        settings = load_settings(
            {"SLACK_BOT_TOKEN": "xoxb-reliability-not-real", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        server = http_server(http_app(build_app(settings, ctx), signing_secret=SECRET), "127.0.0.1", sock.getsockname()[1])
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "the HTTP server did not start"
        try:
            yield Served(fake, f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events")
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()
