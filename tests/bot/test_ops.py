"""Operations: /healthz, /readyz and /metrics over real HTTP on 127.0.0.1, the metrics the edge and scheduler keep, JSON logs."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot import edge, ops
from bot import server as bot_server
from bot.http import http_server
from bot.logs import log_handler
from bot.settings import load_settings
from bot.wiring import Runtime
from bot.work import Work
from handlers import Context, Request
from store import Store, make_engine


@contextmanager
def serving(ctx: Context) -> Iterator[str]:
    """ops_app on a real uvicorn server on 127.0.0.1; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = http_server(ops.ops_app(ctx), "127.0.0.1", sock.getsockname()[1])
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers.get("Content-Type", "")


def sample(body: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition (0 when absent)."""
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_healthz_and_readyz_answer_when_the_database_is_at_head(db_ctx: Context) -> None:
    with serving(db_ctx) as url:
        assert get(url + "/healthz")[:2] == (200, "ok")
        assert get(url + "/readyz")[:2] == (200, "ready")


def test_readyz_is_503_with_the_reason_when_the_database_is_behind(db_ctx: Context, store: Store) -> None:
    with store.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    try:
        with serving(db_ctx) as url:
            status, body, _ = get(url + "/readyz")
            assert get(url + "/healthz")[0] == 200  # alive all the same: restarting it would not help
    finally:
        with store.engine.begin() as c:
            c.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": ops.migration_head()})
    assert status == 503
    assert body == f"not ready: database at migration 0005, this version needs {ops.migration_head()}: run cmmi-bot db upgrade"


def test_readyz_is_503_when_the_database_is_unreachable(ctx: Context) -> None:
    engine = make_engine("postgresql+psycopg://cmmi:secret-password@127.0.0.1:9/cmmi")  # nothing listens on port 9
    try:
        unreachable = Context(model=ctx.model, index=ctx.index, store=Store(engine))
        with serving(unreachable) as url:
            status, body, _ = get(url + "/readyz")
    finally:
        engine.dispose()
    assert status == 503 and body.startswith("not ready: database unreachable: ")
    assert "secret-password" not in body


def test_metrics_count_requests_by_transport_command_and_outcome_without_user_text(db_ctx: Context, monkeypatch) -> None:
    with serving(db_ctx) as url:
        before = get(url + "/metrics")[1]
        edge.run(
            Request("what is the zqxjunique process", user_id="U", workspace_id="W", channel_id="C", transport="slack"), db_ctx, kind="t"
        )
        edge.run(
            Request("evidence add NOPE.SP9 zqxjunique", user_id="U", workspace_id="W", channel_id="C", transport="slack"), db_ctx, kind="t"
        )
        monkeypatch.setattr(edge, "dispatch", lambda request, ctx: 1 / 0)
        edge.run(Request("status zqxjunique", user_id="U", workspace_id="W", channel_id="C", transport="teams"), db_ctx, kind="t")
        status, after, content_type = get(url + "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    assert "zqxjunique" not in after  # no user text in any label

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("cmmi_requests_total", transport="slack", command="ask", outcome="ok") == 1
    assert grew("cmmi_requests_total", transport="slack", command="evidence", outcome="user_error") == 1
    assert grew("cmmi_requests_total", transport="teams", command="status", outcome="error") == 1
    assert grew("cmmi_request_duration_seconds_count", transport="slack", command="ask") == 1
    assert sample(after, "cmmi_in_flight", kind="request") == 0
    for outcome in ops.DIGEST_OUTCOMES:  # present from the start, so alerts and rate() see them
        assert f'cmmi_digests_total{{outcome="{outcome}"}}' in after


def test_database_errors_are_counted_by_kind(store: Store) -> None:
    ops.watch_database(store.engine)
    ops.watch_database(store.engine)  # once per engine, however often it is asked
    before = ops.DATABASE_ERRORS.labels("IntegrityError")._value.get()
    payload = {"kind": "event"}
    assert store.inbox.receive(key="k1", transport="slack", workspace_id="W", kind="event", payload=payload, owner="o")
    assert not store.inbox.receive(key="k1", transport="slack", workspace_id="W", kind="event", payload=payload, owner="o")
    assert ops.DATABASE_ERRORS.labels("IntegrityError")._value.get() == before + 1


def test_an_unreachable_database_counts_as_an_operational_error() -> None:
    engine = make_engine("postgresql+psycopg://cmmi@127.0.0.1:9/cmmi")
    ops.watch_database(engine)
    before = ops.DATABASE_ERRORS.labels("OperationalError")._value.get()
    try:
        with pytest.raises(Exception):  # noqa: B017 - whichever wrapper; the count is what is checked
            Store(engine).groups.find(workspace_id="W", name="x")
    finally:
        engine.dispose()
    assert ops.DATABASE_ERRORS.labels("OperationalError")._value.get() == before + 1


def test_digest_outcomes_map_onto_the_five_labels() -> None:
    values = {o: ops.DIGESTS.labels(o)._value.get() for o in ops.DIGEST_OUTCOMES}
    ops.count_digests({"sent": 2, "recovered": 1, "sent late": 1, "skipped": 1, "retry": 1, "error": 1, "disabled": 1,
                       "paused": 1, "taken by another": 5, "no transport": 3}.items())  # fmt: skip
    grown = {o: ops.DIGESTS.labels(o)._value.get() - values[o] for o in ops.DIGEST_OUTCOMES}
    assert grown == {"sent": 3, "late": 1, "skipped": 1, "failed": 2, "paused": 2}


def test_work_after_the_ack_is_in_flight_until_it_finishes() -> None:
    gauge = ops.IN_FLIGHT.labels("work")
    start, release = gauge._value.get(), threading.Event()
    work = Work(threads=2)
    work.submit(release.wait)
    work.submit(release.wait)
    assert gauge._value.get() == start + 2
    release.set()
    assert work.drain(30)
    assert gauge._value.get() == start


def test_command_labels_are_command_words_or_ask() -> None:
    assert ops.command_label("evidence add WMC.SP1.6 my secret note") == "evidence"
    assert ops.command_label("help me find the incident practice") == "ask"
    assert ops.command_label("help evidence") == "help"
    assert ops.command_label("") == "ask"
    assert ops.transport_label("slack") == "slack" and ops.transport_label("a user's text") == "other"


def test_json_logs_carry_one_request_id_through_a_command(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    handler = log_handler(load_settings({"CMMI_LOG_FORMAT": "json"}), stream)
    logger = logging.getLogger("cmmi_bot")
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "level", logging.INFO)

    def noisy(request: Request, ctx: Context) -> None:
        logging.getLogger("cmmi_bot.handlers").info("first step for token xoxb-1234567890-abcdef")
        logging.getLogger("cmmi_bot.store").info("second step")
        raise RuntimeError("boom")

    try:
        logging.getLogger("cmmi_bot.x").info("outside any request")
        monkeypatch.setattr(edge, "dispatch", noisy)
        failed = [edge.run(Request("GP2.8", transport="slack"), ctx, kind="test") for _ in range(2)]
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 7 and all(set(line) >= {"time", "level", "logger", "message", "request_id"} for line in lines)
    assert lines[0]["request_id"] is None
    first, second = lines[1:4], lines[4:7]
    refs = [(o.notice or "").split("error reference ")[1].split(")")[0] for o in failed]
    for request_lines, ref in zip((first, second), refs, strict=True):
        assert [line["request_id"] for line in request_lines] == [ref] * 3  # every line of the command, and its error reference
    assert refs[0] != refs[1]
    assert first[0]["message"] == "first step for token [redacted]"
    assert first[2]["level"] == "ERROR" and "RuntimeError: boom" in first[2]["exception"]


def test_text_logs_stay_the_default() -> None:
    stream = io.StringIO()
    handler = log_handler(load_settings({}), stream)
    handler.handle(logging.LogRecord("cmmi_bot.x", logging.WARNING, __file__, 1, "plain %s", ("words",), None))
    assert stream.getvalue().rstrip().endswith("WARNING cmmi_bot.x plain words")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_socket_mode_serves_the_probes_and_metrics_on_cmmi_http_port_when_it_is_set(db_ctx: Context, monkeypatch) -> None:
    import os
    import signal
    import sys
    from pathlib import Path

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    sys.path.insert(0, str(Path(__file__).parent / "slack"))
    from fake_slack import FakeSlack

    port, seen = free_port(), []

    def connect(self: SocketModeHandler) -> None:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                seen.extend([get(base + "/healthz")[:2], get(base + "/readyz")[:2], get(base + "/metrics")[0]])
                break
            except OSError:
                time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(SocketModeHandler, "connect", connect)
    monkeypatch.setattr(SocketModeHandler, "close", lambda self: None)
    with FakeSlack() as fake:
        settings = load_settings(
            {"SLACK_BOT_TOKEN": "xoxb-ops-test", "SLACK_APP_TOKEN": "xapp-ops-test", "SLACK_API_URL": fake.api_url,
             "CMMI_HTTP_HOST": "127.0.0.1", "CMMI_HTTP_PORT": str(port), "CMMI_DIGEST_CHECK_SECONDS": "0"}
        )  # fmt: skip
        assert bot_server.serve(Runtime(settings, db_ctx)) == 0
    assert seen == [(200, "ok"), (200, "ready"), 200]
    with pytest.raises(OSError):  # stopped with the bot
        get(f"http://127.0.0.1:{port}/healthz")


def test_without_cmmi_http_port_socket_mode_opens_no_port(ctx: Context) -> None:
    with bot_server.ops_server(load_settings({}), ctx) as server:
        assert server is None
