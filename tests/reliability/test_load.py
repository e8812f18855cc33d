"""Load on loopback: 2,000 slash commands from 20 concurrent clients against the real Slack app,
on SQLite and on PostgreSQL. Every request is answered, with its acknowledgement; every acknowledged
evidence add is stored exactly once; nothing is stored that was not acknowledged. Only 127.0.0.1 is
addressed. Failure messages stay short: counts and the first few differences."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from handlers import Context
from tests.reliability.conftest import Served, serve_slack, short_difference

sys.path.insert(0, str(Path(__file__).parents[1] / "bot" / "slack"))
from fake_slack import RESPONSE_URL, TEAM_ID

REQUESTS, CLIENTS = 2000, 20
QUESTIONS = [
    "what does WMC.SP1.6 require",
    "how do we track customer requests?",
    "which PA covers disaster recovery?",
    "practices of IRP",
    "GP2.8",
]
LOGGED = re.compile(r"Logged evidence #(\d+)")
WORKSPACE = f"slack:{TEAM_ID}"  # what the store keeps for the fake team


@pytest.fixture
def served(db_ctx: Context) -> Iterator[Served]:
    group = db_ctx.store.groups.add(workspace_id=WORKSPACE, name="Service Desk", actor="U0ADMIN")
    db_ctx.store.groups.bind_channel(workspace_id=WORKSPACE, channel_id="C0LOAD", group_id=group.id, actor="U0ADMIN")
    with serve_slack(db_ctx) as served:
        yield served


def test_two_thousand_commands_from_twenty_clients(served: Served, db_ctx: Context) -> None:
    fake = served.fake
    adds = {n for n in range(REQUESTS) if n % 3 == 0}

    def send(n: int) -> tuple[int, str]:
        text = (
            f"evidence add WMC.SP1.{1 + n % 7} https://wiki.example.com/load/{n} load {n}" if n in adds else QUESTIONS[n % len(QUESTIONS)]
        )
        body = urlencode(
            {
                "team_id": TEAM_ID, "channel_id": "C0LOAD", "user_id": f"U{n % 25:04d}", "command": "/cmmi", "text": text,
                "response_url": fake.response_url(f"r{n}"), "trigger_id": f"t{n}", "api_app_id": "A0FAKE",
            }
        )  # fmt: skip
        return served.exchange(body, "application/x-www-form-urlencoded")

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        replies = list(pool.map(send, range(REQUESTS), timeout=600))
    answered = {n for n, (status, body) in enumerate(replies) if status == 200 and json.loads(body or "{}").get("text")}
    assert answered == set(range(REQUESTS)), short_difference(set(range(REQUESTS)), answered, "requests answered with their ack")
    fake.quiet_for(0.5)
    late = {c.path.rsplit("/", 1)[1] for c in fake.calls(RESPONSE_URL)}
    assert not late, f"{len(late)} answer(s) went through response_url instead of the ack (first: {sorted(late)[:5]})"
    acknowledged = set()
    for n in sorted(adds):
        found = LOGGED.search(replies[n][1])
        assert found, f"add {n} was not confirmed: {replies[n][1][:300]}"
        acknowledged.add(int(found.group(1)))
    stored = db_ctx.store.evidence.list(workspace_id=WORKSPACE)
    assert {e.id for e in stored} == acknowledged, short_difference(acknowledged, {e.id for e in stored}, "stored evidence")
    assert len(stored) == len(adds), f"{len(stored)} stored for {len(adds)} adds"
    links = {e.link for e in stored}
    expected_links = {f"https://wiki.example.com/load/{n}" for n in adds}
    assert links == expected_links, short_difference(expected_links, links, "stored links")
    assert db_ctx.store.inbox.open_count() == 0  # every recorded command was answered and closed
