"""Stopping the server mid-burst loses nothing it acknowledged: a real `cmmi-bot serve` process takes 300 evidence adds from
20 clients and gets SIGTERM (or kill -9) in the middle, on SQLite and PostgreSQL.

Every add that got an HTTP 200 is stored once; nothing is stored twice; every add that got no 200 is either not stored or
answered (after kill -9, by the restarted server, through its response_url); evidence and audit log agree. Only 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from bot.slack.listeners.commands import STILL_WORKING
from store import Store, make_engine

sys.path.insert(0, str(Path(__file__).parents[1] / "bot" / "slack"))
from fake_slack import RESPONSE_URL, TEAM_ID, FakeSlack

ROOT = Path(__file__).resolve().parents[2]
SECRET = "shutdown-signing-secret"
ADDS, CLIENTS, STOP_AFTER = 300, 20, 100  # the signal goes once this many adds were answered
LOGGED = re.compile(r"Logged evidence #(\d+)")
WORKSPACE = f"slack:{TEAM_ID}"  # Slack workspaces are stored under their transport


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(db_url: str, fake: FakeSlack, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """A real `cmmi-bot serve` process on 127.0.0.1; yields it and its base URL once /healthz answers."""
    port = free_port()
    env = {
        **os.environ,
        "CMMI_DATABASE_URL": db_url, "XDG_DATA_HOME": str(tmp_path), "SLACK_BOT_TOKEN": "xoxb-shutdown-not-real",
        "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url, "CMMI_HTTP_HOST": "127.0.0.1", "CMMI_HTTP_PORT": str(port),
        "CMMI_DIGEST_CHECK_SECONDS": "0.3", "CMMI_RECOVER_AFTER_SECONDS": "2", "CMMI_SHUTDOWN_GRACE_SECONDS": "10",
    }  # fmt: skip
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "CLIENT_ID", "CLIENT_SECRET", "CMMI_TEAMS_NO_AUTH"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.05)
        assert process.poll() is None, process.communicate(timeout=10)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


@dataclass
class Burst:
    statuses: dict[int, int]  # add number -> HTTP status (0: no answer: refused, reset or timed out)
    bodies: dict[int, str]


def burst(url: str, fake: FakeSlack, stop: threading.Event) -> Burst:
    """300 signed evidence adds from 20 clients; `stop` is set once STOP_AFTER of them were answered."""
    verifier = SignatureVerifier(SECRET)
    statuses: dict[int, int] = {}
    bodies: dict[int, str] = {}
    lock = threading.Lock()

    def send(n: int) -> None:
        body = urlencode(
            {
                "team_id": TEAM_ID, "channel_id": "C0BURST", "user_id": f"U{n % 20:04d}", "command": "/cmmi",
                "text": f"evidence add WMC.SP1.{1 + n % 7} https://wiki.example.com/burst/{n} burst {n}",
                "response_url": fake.response_url(f"r{n}"), "trigger_id": f"burst.{n}", "api_app_id": "A0FAKE",
            }
        )  # fmt: skip
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
        }
        request = urllib.request.Request(url + "/slack/events", data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                status, text_ = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text_ = exc.code, ""
        except (OSError, http.client.HTTPException):  # refused, reset, or cut off mid-response by kill -9: no answer
            status, text_ = 0, ""
        with lock:
            statuses[n], bodies[n] = status, text_
            if sum(1 for s in statuses.values() if s == 200) >= STOP_AFTER:
                stop.set()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(send, range(ADDS)))
    return Burst(statuses, bodies)


def stored_links(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as c:
            return [r[0] for r in c.execute(text("SELECT link FROM evidence WHERE workspace_id = :ws"), {"ws": WORKSPACE})]
    finally:
        engine.dispose()


def audit_agrees(db_url: str) -> tuple[int, int]:
    """(evidence rows, evidence.add audit rows): written in one transaction, so always equal."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as c:
            rows = c.execute(text("SELECT count(*) FROM evidence")).scalar_one()
            audits = c.execute(text("SELECT count(*) FROM audit_log WHERE action = 'evidence.add'")).scalar_one()
            return int(rows), int(audits)
    finally:
        engine.dispose()


def open_deliveries(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        return Store(engine).inbox.open_count()
    finally:
        engine.dispose()


def prepare(db_url: str) -> None:
    engine = make_engine(db_url)
    store = Store(engine)
    group = store.groups.add(workspace_id=WORKSPACE, name="Burst Desk", actor="U0ADMIN")
    store.groups.bind_channel(workspace_id=WORKSPACE, channel_id="C0BURST", group_id=group.id, actor="U0ADMIN")
    engine.dispose()


def link(n: int) -> str:
    return f"https://wiki.example.com/burst/{n}"


def check(result: Burst, db_url: str, fake: FakeSlack) -> dict[str, int]:
    links = stored_links(db_url)
    assert len(links) == len(set(links)), f"{len(links) - len(set(links))} evidence item(s) stored twice"
    stored = set(links)
    acknowledged = {n for n, s in result.statuses.items() if s == 200}
    confirmed = {n for n in acknowledged if LOGGED.search(result.bodies[n])}
    # Under load an add can take longer than the ack may wait: "working on it" now, the confirmation through
    # response_url later. One that could not be recorded first is refused ("nothing was recorded") and not stored.
    working = {n for n in acknowledged if STILL_WORKING in result.bodies[n]}
    refused = {n for n in acknowledged if "nothing was recorded" in result.bodies[n]}
    other = acknowledged - confirmed - working - refused
    assert not other, f"{len(other)} acknowledgement(s) neither confirmed, promised nor refused: {result.bodies[min(other)][:300]}"
    answered_late = {int(c.path.rsplit("/r", 1)[1]) for c in fake.calls(RESPONSE_URL)}  # the answer, or "carried out before the restart"
    confirmed_late = {int(c.path.rsplit("/r", 1)[1]) for c in fake.calls(RESPONSE_URL) if LOGGED.search(json.dumps(c.body))}
    lost = {n for n in confirmed | working if link(n) not in stored} | (working - confirmed_late - answered_late)
    assert not lost, f"{len(lost)} acknowledged add(s) were not stored or not answered (first: {sorted(lost)[:5]})"
    assert not {n for n in refused if link(n) in stored}, "an add refused with 'nothing was recorded' was stored"
    unacknowledged = set(range(ADDS)) - acknowledged
    silent = {n for n in unacknowledged if link(n) in stored and n not in answered_late}
    assert not silent, f"{len(silent)} add(s) got no 200, were stored, and were never answered (first: {sorted(silent)[:5]})"
    rows, audits = audit_agrees(db_url)
    assert rows == audits, f"{rows} evidence rows but {audits} evidence.add audit rows: something was half-written"
    return {
        "acknowledged": len(acknowledged), "stored": len(stored), "not acknowledged": len(unacknowledged),
        "answered after restart": len(answered_late & unacknowledged), "acknowledged but lost": len(lost),
        "working on it, answered later": len(working), "refused, not stored": len(refused),
    }  # fmt: skip


def test_sigterm_mid_burst_finishes_what_was_acknowledged_and_exits_0(db_url: str, tmp_path: Path) -> None:
    prepare(db_url)
    with FakeSlack() as fake, serving(db_url, fake, tmp_path) as (process, url):
        stop = threading.Event()
        stopper = threading.Thread(target=lambda: stop.wait(120) and process.send_signal(signal.SIGTERM), daemon=True)
        stopper.start()
        result = burst(url, fake, stop)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr[-2000:]
        assert "Traceback" not in stderr, stderr[-2000:]
        figures = check(result, db_url, fake)
        assert open_deliveries(db_url) == 0  # every recorded command was answered before the exit
    print(f"SIGTERM mid-burst: {json.dumps(figures)}")
    assert figures["acknowledged"] >= STOP_AFTER and figures["acknowledged but lost"] == 0


def test_kill_9_mid_burst_loses_nothing_acknowledged_and_a_restart_finishes_the_rest(db_url: str, tmp_path: Path) -> None:
    prepare(db_url)
    with FakeSlack() as fake:
        with serving(db_url, fake, tmp_path) as (process, url):
            stop = threading.Event()
            stopper = threading.Thread(target=lambda: stop.wait(120) and process.kill(), daemon=True)
            stopper.start()
            result = burst(url, fake, stop)
            process.wait(timeout=30)
            assert process.returncode == -signal.SIGKILL
        with serving(db_url, fake, tmp_path):  # the restart finishes what the killed process left open
            deadline = time.monotonic() + 60
            while open_deliveries(db_url) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert open_deliveries(db_url) == 0, "the restarted server did not finish the open deliveries"
            figures = check(result, db_url, fake)
    print(f"kill -9 mid-burst: {json.dumps(figures)}")
    assert figures["acknowledged"] >= STOP_AFTER and figures["acknowledged but lost"] == 0
