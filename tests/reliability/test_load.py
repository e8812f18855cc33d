"""Load on loopback: 2,000 slash commands from 20 concurrent clients against the real Slack app,
on SQLite and on PostgreSQL. Every request is answered; every acknowledged evidence add is stored
exactly once; nothing is stored that was not acknowledged. Only 127.0.0.1 is addressed."""

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
from tests.reliability.conftest import Served, serve_slack

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
    group = db_ctx.store.add_group(WORKSPACE, "Service Desk", "U0ADMIN")
    db_ctx.store.bind_channel(WORKSPACE, "C0LOAD", group.id, "U0ADMIN")
    with serve_slack(db_ctx) as served:
        yield served


def test_two_thousand_commands_from_twenty_clients(served: Served, db_ctx: Context) -> None:
    fake = served.fake
    adds = {n for n in range(REQUESTS) if n % 3 == 0}

    def send(n: int) -> int:
        text = (
            f"evidence add WMC.SP1.{1 + n % 7} https://wiki.example.com/load/{n} load {n}" if n in adds else QUESTIONS[n % len(QUESTIONS)]
        )
        body = urlencode(
            {
                "team_id": TEAM_ID, "channel_id": "C0LOAD", "user_id": f"U{n % 25:04d}", "command": "/cmmi", "text": text,
                "response_url": fake.response_url(f"r{n}"), "trigger_id": f"t{n}", "api_app_id": "A0FAKE",
            }
        )  # fmt: skip
        return served.post(body, "application/x-www-form-urlencoded")

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        statuses = list(pool.map(send, range(REQUESTS), timeout=600))
    assert statuses == [200] * REQUESTS
    fake.wait_for(RESPONSE_URL, count=REQUESTS, timeout=300)
    fake.quiet_for(0.5)
    by_request: dict[str, list[str]] = {}
    for call in fake.calls(RESPONSE_URL):
        by_request.setdefault(call.path.rsplit("/", 1)[1], []).append(json.dumps(call.body))
    assert sorted(by_request) == sorted(f"r{n}" for n in range(REQUESTS))
    assert all(len(bodies) == 1 for bodies in by_request.values()), "a request was answered twice"
    acknowledged = set()
    for n in adds:
        found = LOGGED.search(by_request[f"r{n}"][0])
        assert found, by_request[f"r{n}"][0][:300]
        acknowledged.add(int(found.group(1)))
    stored = db_ctx.store.list_evidence(WORKSPACE)
    assert {e.id for e in stored} == acknowledged
    assert len(stored) == len(adds)
    assert {e.link for e in stored} == {f"https://wiki.example.com/load/{n}" for n in adds}
