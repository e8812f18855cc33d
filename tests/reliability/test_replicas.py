"""Two real `cmmi-bot serve` replicas on one PostgreSQL database, against one fake Slack on 127.0.0.1.

A Slack retry that reaches the other replica is not answered twice; evidence adds spread over both are stored once each;
both schedulers running send each digest once. Each replica's /readyz and /metrics answer, and agree with what happened."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from store import Store, make_engine
from tests.conftest import TABLES

sys.path.insert(0, str(Path(__file__).parents[1] / "bot" / "slack"))
from fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack

SECRET = "replica-signing-secret"
WORKSPACE = f"slack:{TEAM_ID}"
ADDS = 100


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    """The run's PostgreSQL database, emptied: the replicas share it."""
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return postgres_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def replica(name: str, db_url: str, fake: FakeSlack, tmp_path: Path) -> Iterator[str]:
    """A real `cmmi-bot serve` process on 127.0.0.1 with its scheduler on; yields its base URL once /readyz says ready."""
    port = free_port()
    home = tmp_path / name
    home.mkdir()
    env = {
        **os.environ,
        "CMMI_DATABASE_URL": db_url, "XDG_DATA_HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "SLACK_BOT_TOKEN": "xoxb-replica-not-real", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url,
        "CMMI_HTTP_HOST": "127.0.0.1", "CMMI_HTTP_PORT": str(port), "CMMI_DIGEST_CHECK_SECONDS": "0.2",
        "CMMI_RECOVER_AFTER_SECONDS": "30", "CMMI_LOG_FORMAT": "json", "CMMI_LOG_LEVEL": "INFO",
    }  # fmt: skip
    for var in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "CLIENT_ID", "CLIENT_SECRET", "CMMI_TEAMS_NO_AUTH"):
        env.pop(var, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if get(url + "/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        assert process.poll() is None, process.communicate(timeout=10)
        yield url
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr[-3000:]
        lines = stderr.splitlines()
        records = [json.loads(line) for line in lines]  # JSON logs: every line one object, start-up notices included
        assert any(r["level"] == "NOTICE" and "Slack HTTP mode on" in r["message"] for r in records), lines[:5]
        assert all(r["level"] != "ERROR" for r in records), [r for r in records if r["level"] == "ERROR"]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def metric(url: str, name: str, **labels: str) -> float:
    body = get(url + "/metrics")[1]
    return sum(
        s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def signed_post(url: str, body: str, content_type: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    request = urllib.request.Request(
        url + "/slack/events",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def command(url: str, text_: str, n: int, fake: FakeSlack) -> tuple[int, str]:
    body = urlencode(
        {"team_id": TEAM_ID, "channel_id": "C0REPLICA", "user_id": f"U{n % 7:04d}", "command": "/cmmi", "text": text_,
         "response_url": fake.response_url(f"r{n}"), "trigger_id": f"replica.{n}", "api_app_id": "A0FAKE"}
    )  # fmt: skip
    return signed_post(url, body, "application/x-www-form-urlencoded")


def prepare(db_url: str) -> Store:
    store = Store(make_engine(db_url))
    group = store.groups.add(workspace_id=WORKSPACE, name="Replica Desk", actor="U0ADMIN")
    store.groups.bind_channel(workspace_id=WORKSPACE, channel_id="C0REPLICA", group_id=group.id, actor="U0ADMIN")
    return store


def evidence_links(store: Store) -> list[str]:
    with store.engine.connect() as c:
        return [r[0] for r in c.execute(text("SELECT link FROM evidence WHERE workspace_id = :ws"), {"ws": WORKSPACE})]


def test_an_event_retried_on_the_other_replica_is_answered_once(pg_url: str, tmp_path: Path) -> None:
    store = prepare(pg_url)
    event = {
        "type": "app_mention", "user": "U0ALICE", "channel": "C0REPLICA", "ts": "1700000000.000100",
        "text": f"<@{BOT_USER_ID}> evidence add WMC.SP1.6 https://wiki.example.com/replica/event minutes",
    }  # fmt: skip
    body = json.dumps(
        {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0FAKE", "event": event, "type": "event_callback",
         "event_id": "Ev0REPLICA1", "event_time": int(time.time()),
         "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}]}
    )  # fmt: skip
    with FakeSlack() as fake, replica("a", pg_url, fake, tmp_path) as a, replica("b", pg_url, fake, tmp_path) as b:
        assert signed_post(a, body, "application/json")[0] == 200
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert signed_post(b, body, "application/json", retry)[0] == 200  # acknowledged, and nothing more
        fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == "C0REPLICA", timeout=30)
        fake.quiet_for(1.5)
        answers = [c for c in fake.calls("chat.postMessage") if c.body.get("channel") == "C0REPLICA"]
        assert len(answers) == 1, answers
        assert "Logged evidence" in json.dumps(answers[0].body)
        assert metric(b, "cmmi_deliveries_total", result="retry") == 1 and metric(b, "cmmi_deliveries_total", result="new") == 0
        assert metric(a, "cmmi_deliveries_total", result="new") == 1
        assert metric(a, "cmmi_requests_total", command="evidence", outcome="ok") == 1
        assert metric(b, "cmmi_requests_total", command="evidence") == 0
    assert evidence_links(store) == ["https://wiki.example.com/replica/event"]
    store.engine.dispose()


def test_evidence_adds_alternating_between_replicas_are_each_stored_once(pg_url: str, tmp_path: Path) -> None:
    store = prepare(pg_url)
    with FakeSlack() as fake, replica("a", pg_url, fake, tmp_path) as a, replica("b", pg_url, fake, tmp_path) as b:

        def add(n: int) -> tuple[int, str]:
            return command((a, b)[n % 2], f"evidence add WMC.SP1.{1 + n % 7} https://wiki.example.com/replica/{n} add {n}", n, fake)

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(add, range(ADDS)))
        served = [metric(url, "cmmi_requests_total", command="evidence", outcome="ok") for url in (a, b)]
    assert [status for status, _ in answers] == [200] * ADDS
    assert all("Logged evidence" in body for _, body in answers)
    links = evidence_links(store)
    assert sorted(links) == sorted(f"https://wiki.example.com/replica/{n}" for n in range(ADDS))  # each once, none lost
    assert served == [ADDS / 2, ADDS / 2]  # both replicas did their half
    with store.engine.connect() as c:
        audits = c.execute(text("SELECT count(*) FROM audit_log WHERE action = 'evidence.add'")).scalar_one()
    assert audits == ADDS
    store.engine.dispose()


@pytest.mark.calendar
def test_both_schedulers_running_send_a_due_digest_once(pg_url: str, tmp_path: Path) -> None:
    store = prepare(pg_url)
    now = datetime.now(UTC)
    slot = now - timedelta(minutes=2)  # due two minutes ago: on time, not late
    store.clock = lambda: now - timedelta(days=7)  # subscribed a week ago, before the slot
    sub = store.digests.subscribe(
        workspace_id=WORKSPACE,
        channel_id="C0DIGEST",
        transport="slack",
        weekday=slot.weekday(),
        local_time=slot.strftime("%H:%M"),
        timezone="UTC",
        group_id=None,
        level=2,
        quiet_full=True,
        address=None,
        actor="U0ADMIN",
    )
    with FakeSlack() as fake, ExitStack() as replicas:
        urls = [replicas.enter_context(replica(name, pg_url, fake, tmp_path)) for name in ("a", "b")]
        fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == "C0DIGEST", timeout=30)
        fake.quiet_for(2.0)  # ten more rounds of both schedulers
        posts = [c for c in fake.calls("chat.postMessage") if c.body.get("channel") == "C0DIGEST"]
        sent = [metric(url, "cmmi_digests_total", outcome="sent") for url in urls]
    assert len(posts) == 1, posts
    assert sorted(sent) == [0, 1]  # one replica sent it; the other found it taken
    with store.engine.connect() as c:
        rows = c.execute(text("SELECT status FROM digest_delivery WHERE subscription_id = :s"), {"s": sub.id}).scalars().all()
    assert rows == ["sent"]
    store.engine.dispose()
