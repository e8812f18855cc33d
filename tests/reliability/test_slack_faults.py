"""The Slack API misbehaves for a while (429 with Retry-After, 500): replies are retried and
delivered once each, neither lost nor duplicated."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers import Context
from tests.reliability.conftest import Served, serve_slack

sys.path.insert(0, str(Path(__file__).parents[1] / "bot" / "slack"))
from fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack


@pytest.fixture
def served(ctx: Context) -> Iterator[Served]:
    with serve_slack(ctx) as served:
        yield served


def mention(served: Served, n: int) -> int:
    body = json.dumps(
        {
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0FAKE", "type": "event_callback", "event_id": f"EvFault{n:05d}{time.time_ns()}",
            "event_time": int(time.time()),
            "event": {"type": "app_mention", "user": "U0ALICE", "text": f"<@{BOT_USER_ID}> GP2.{1 + n % 9}", "ts": f"1700000{n:03d}.000100", "channel": "C0GENERAL"},
        }
    )  # fmt: skip
    return served.post(body, "application/json")


def delivered_threads(fake: FakeSlack) -> list[str]:
    return sorted(c.body.get("thread_ts") for c in fake.calls("chat.postMessage"))


def test_rate_limited_for_a_while(served: Served) -> None:
    fake = served.fake
    fake.rate_limit("chat.postMessage", times=4, retry_after=1)
    assert [mention(served, n) for n in range(4)] == [200] * 4
    fake.wait_for("chat.postMessage", count=4, timeout=30)
    fake.quiet_for(1.5)
    assert delivered_threads(fake) == sorted(f"1700000{n:03d}.000100" for n in range(4))
    assert len([c for c in fake.calls("chat.postMessage", ok_only=False) if c.status == 429]) == 4


def test_server_errors_are_retried(served: Served) -> None:
    fake = served.fake
    fake._fail("chat.postMessage", 1, 500, "internal_error", {})
    assert mention(served, 1) == 200
    fake.wait_for("chat.postMessage", count=1, timeout=30)
    fake.quiet_for(1.0)
    assert delivered_threads(fake) == ["1700000001.000100"]
