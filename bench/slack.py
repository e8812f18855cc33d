"""Benchmarks of the Slack transport: slash commands at 50 per second, and two replicas on PostgreSQL under load."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.common import BIN, ROOT, Bench, Stats, store_context
from handlers import Context, Request
from store import Store, make_engine, upgrade


def slack_round_trip() -> list[Bench]:
    """Slash commands over loopback at 50 requests per second against the real app, each answered with its HTTP 200.

    slack.slash_answer_50rps: a signed /cmmi question in, the answer back with the acknowledgement. Floor: a bare Bolt
    app that only acks (Bolt's defaults), its requests interleaved with ours.
    slack.write_ack_50rps: evidence adds, each committed before its acknowledgement (p99 is the figure: Slack allows
    3 s). Beside it, the design before it, measured the same way in the same run: a Bolt app that acknowledges first
    and stores afterwards in its thread pool (so an add could be acknowledged and then lost)."""
    import socket
    import threading
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode

    from slack_bolt import App
    from slack_sdk import WebClient
    from slack_sdk.signature import SignatureVerifier

    from bot import edge
    from bot.http import http_server
    from bot.settings import load_settings
    from bot.slack import render
    from bot.slack.app import api_base_url, build_app
    from bot.slack.listeners.base import respond
    from bot.slack.server import http_app

    sys.path.insert(0, str(ROOT / "tests" / "bot" / "slack"))
    from fake_slack import FakeSlack

    secret, count, rate, timeout = "bench-signing-secret", 500, 50.0, 10.0
    texts = (
        "what does WMC.SP1.6 require",
        "GP2.8",
        "how do we track customer requests?",
        "IRP.SP2.1",
        "which PA covers disaster recovery?",
    )
    verifier = SignatureVerifier(secret)

    def start(app_: object) -> tuple[object, threading.Thread, socket.socket, str]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        srv = http_server(http_app(app_, signing_secret=secret), "127.0.0.1", sock.getsockname()[1])
        thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.01)
        if not srv.started:
            raise RuntimeError("the benchmark server did not start")
        return srv, thread, sock, f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"

    def post(url: str, text: str, response_url: str, trigger: str) -> tuple[int, str]:
        """(nanoseconds to the HTTP 200, its body)."""
        body = urlencode(
            {"team_id": "T0BENCH", "channel_id": "C0BENCH", "user_id": "U0BENCH", "command": "/cmmi", "text": text,
             "response_url": response_url, "trigger_id": trigger, "api_app_id": "A0BENCH"}
        )  # fmt: skip
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
        }
        request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
        sent = time.perf_counter_ns()
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read().decode()
            if response.status != 200:
                raise OSError(f"HTTP {response.status}")
        return time.perf_counter_ns() - sent, answer

    def paced(one: Callable[[int], None]) -> None:
        start_at = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            for i in range(count):
                delay = start_at + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, i)

    def ack_first_app(settings: object, ctx: Context) -> App:
        """The earlier design: acknowledge at once, store and answer afterwards in Bolt's thread pool."""
        app_ = App(name="ack-first", client=WebClient(token="xoxb-bench", base_url=api_base_url(fake.api_url)), signing_secret=secret)

        def command(ack: object, body: dict) -> None:
            ack()  # type: ignore[operator]
            request = Request(
                text=body["text"], user_id=body["user_id"], workspace_id=f"slack:{body['team_id']}", channel_id=body["channel_id"]
            )
            outcome = edge.run(request, ctx, kind="slash command")
            message = render.message(outcome.reply) if outcome.reply else render.notice(outcome.notice or "")
            respond(body["response_url"], message)

        app_.command("/cmmi")(command)
        return app_

    results: list[Bench] = []
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as folder:
        settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fake.api_url})
        ctx, store = store_context(Path(folder))
        group = store.groups.add(
            workspace_id="slack:T0BENCH", name="Bench Desk", actor="U0BENCH"
        )  # Slack workspaces are stored under their transport
        store.groups.bind_channel(workspace_id="slack:T0BENCH", channel_id="C0BENCH", group_id=group.id, actor="U0BENCH")
        bare = App(name="bare", client=WebClient(token="xoxb-bench", base_url=api_base_url(fake.api_url)), signing_secret=secret)
        bare.command("/cmmi")(lambda ack: ack())  # Bolt's defaults: what a minimal Bolt app costs
        servers = [start(build_app(settings, ctx)), start(bare), start(ack_first_app(settings, ctx))]
        (_, _, _, our_url), (_, _, _, bare_url), (_, _, _, old_url) = servers
        for i in range(20):  # warm-up: connections, caches, users.info for the one user
            post(our_url, texts[i % len(texts)], fake.response_url("warm"), f"warm{i}")
            post(bare_url, texts[i % len(texts)], fake.response_url("bare"), f"warmb{i}")
        time.sleep(0.5)
        gc.collect()
        answers: list[int] = []
        floors: list[int] = []
        errors: Counter = Counter()

        def ask(i: int) -> None:
            try:
                took, body = post(our_url, texts[i % len(texts)], fake.response_url(f"q{i}"), f"q{i}")
                if json.loads(body or "{}").get("text"):
                    answers.append(took)
                floors.append(post(bare_url, texts[i % len(texts)], fake.response_url("bare"), f"b{i}")[0])
            except OSError as exc:
                errors[type(exc).__name__] += 1

        paced(ask)
        writes: list[int] = []
        old_writes: list[int] = []

        def add(i: int) -> None:
            try:
                took, body = post(our_url, f"evidence add WMC.SP1.{1 + i % 7} https://wiki.example.com/w/{i} bench", "", f"w{i}")
                if "Logged evidence" in body:
                    writes.append(took)
            except OSError as exc:
                errors[type(exc).__name__] += 1

        def add_ack_first(i: int) -> None:
            try:
                text = f"evidence add WMC.SP1.{1 + i % 7} https://wiki.example.com/old/{i} bench"
                old_writes.append(post(old_url, text, fake.response_url(f"old{i}"), f"o{i}")[0])
            except OSError as exc:
                errors[type(exc).__name__] += 1

        # Each design gets the same 50 adds a second on its own: interleaved, both would write to the one SQLite file at
        # 100 a second and each would be measured under the other's load.
        paced(add)
        time.sleep(1.0)
        paced(add_ack_first)
        time.sleep(1.0)  # let the ack-first app finish what it acknowledged before its database goes away
        for srv, thread, sock, _ in servers:
            srv.should_exit = True
            thread.join(timeout=10)
            sock.close()
        store.engine.dispose()
    for label, got in (("questions", answers), ("evidence adds", writes)):
        if count - len(got) > count // 100:
            raise RuntimeError(f"{count - len(got)} of {count} {label} got no answer with their ack ({dict(errors)})")
    results.append(
        Bench(
            "slack.slash_answer_50rps",
            Stats.of(answers),
            "bare Bolt app ack (HTTP 200)",
            Stats.of(floors),
            target=20.0,
            notes=(f"{count} signed /cmmi questions at {rate:.0f}/s over 127.0.0.1, each answered with its HTTP 200",),
        )
    )
    results.append(
        Bench(
            "slack.write_ack_50rps",
            Stats.of(writes),
            "ack-first design, same adds (the earlier app)",
            Stats.of(old_writes),
            target=3000.0,
            notes=(
                f"{count} evidence adds at {rate:.0f}/s on SQLite, each committed before its acknowledgement; compare p99 with Slack's 3 s",
                "the floor acknowledged before storing: an add it acknowledged could be lost if the process stopped",
                f"ack p99: {Stats.of(writes).p99:.1f} ms committed first vs {Stats.of(old_writes).p99:.1f} ms ack-first",
            ),
        )
    )
    return results


LOAD_RATE, LOAD_SECONDS = 50.0, 60.0  # the load: 50 mixed requests per second for 60 s over two replicas
POSTGRES_ADMIN_URL = os.environ.get("CMMI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def replicas_under_load() -> list[Bench]:
    """Two real `cmmi-bot serve` replicas on one PostgreSQL database, with their schedulers, behind no proxy: 50 mixed
    signed requests per second for 60 s, alternating between them (questions, evidence adds and status as /cmmi, and
    @mentions as events). The figure is each request's acknowledgement (its HTTP 200; a command's answer rides on it);
    an error is anything but a 200 with an answer, or a mention never answered. Floor: GET /healthz on the same replica,
    interleaved with the requests, so both see the same load."""
    import socket
    import urllib.error
    import urllib.request
    import uuid
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode

    from slack_sdk.signature import SignatureVerifier
    from sqlalchemy import text as sql

    sys.path.insert(0, str(ROOT / "tests" / "bot" / "slack"))
    from fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack

    secret, workspace = "bench-signing-secret", f"slack:{TEAM_ID}"
    admin = make_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"cmmi_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sql(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise RuntimeError(f"PostgreSQL is needed for the two-replica load and could not be reached: {type(exc).__name__}") from None
    db_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    verifier = SignatureVerifier(secret)
    processes: list[subprocess.Popen] = []
    try:
        engine = make_engine(db_url)
        upgrade(engine)
        store = Store(engine)
        group = store.groups.add(workspace_id=workspace, name="Load Desk", actor="U0LOAD")
        store.groups.bind_channel(workspace_id=workspace, channel_id="C0LOAD", group_id=group.id, actor="U0LOAD")
        with FakeSlack() as fake, tempfile.TemporaryDirectory() as folder:
            urls = []
            for replica in ("a", "b"):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    port = probe.getsockname()[1]
                home = Path(folder) / replica
                home.mkdir()
                env = {
                    **os.environ, "CMMI_DATABASE_URL": db_url, "XDG_DATA_HOME": str(home), "XDG_CACHE_HOME": str(Path(folder) / "cache"),
                    "SLACK_BOT_TOKEN": "xoxb-bench-not-real", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fake.api_url,
                    "CMMI_HTTP_HOST": "127.0.0.1", "CMMI_HTTP_PORT": str(port), "CMMI_LOG_LEVEL": "WARNING",
                }  # fmt: skip
                for var in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "CLIENT_ID", "CLIENT_SECRET"):
                    env.pop(var, None)
                processes.append(
                    subprocess.Popen([str(BIN / "cmmi-bot"), "serve"], cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                )
                urls.append(f"http://127.0.0.1:{port}")
            for url in urls:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                            if response.status == 200:
                                break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise RuntimeError("a replica did not become ready") from None
                        time.sleep(0.1)

            def signed(url: str, body: str, content_type: str) -> tuple[int, str, int]:
                ts = str(int(time.time()))
                headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
                           "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body)}  # fmt: skip
                request = urllib.request.Request(url + "/slack/events", data=body.encode(), headers=headers, method="POST")
                sent = time.perf_counter_ns()
                try:
                    with urllib.request.urlopen(request, timeout=15) as response:
                        answer = response.read().decode()
                        return response.status, answer, time.perf_counter_ns() - sent
                except urllib.error.HTTPError as exc:
                    return exc.code, "", time.perf_counter_ns() - sent

            questions = ("what does WMC.SP1.6 require", "how do we track customer requests?", "which PA covers disaster recovery?", "GP2.8")
            acks: list[int] = []
            floors: list[int] = []
            kinds: Counter = Counter()
            errors: Counter = Counter()
            mentions: list[str] = []

            def one(n: int) -> None:
                url = urls[n % 2]
                shape = n % 10
                try:
                    if shape in (0, 1):  # a mention, answered in its thread after the ack
                        event = {"type": "app_mention", "user": f"U{n % 40:04d}", "channel": "C0LOAD", "ts": f"1700000000.{n:06d}",
                                 "text": f"<@{BOT_USER_ID}> {questions[n % len(questions)]}"}  # fmt: skip
                        body = json.dumps({"token": "t", "team_id": TEAM_ID, "api_app_id": "A0BENCH", "event": event, "type": "event_callback",
                                           "event_id": f"Ev{n:08d}", "event_time": int(time.time()),
                                           "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}]})  # fmt: skip
                        status, answer, took = signed(url, body, "application/json")
                        ok, kind = status == 200, "mention"
                        mentions.append(event["ts"])
                    else:
                        if shape < 5:
                            text, kind = f"evidence add WMC.SP1.{1 + n % 7} https://wiki.example.com/load/{n} load {n}", "evidence add"
                        elif shape < 6:
                            text, kind = "status ML2", "status"
                        else:
                            text, kind = questions[n % len(questions)], "question"
                        body = urlencode({"team_id": TEAM_ID, "channel_id": "C0LOAD", "user_id": f"U{n % 40:04d}", "command": "/cmmi",
                                          "text": text, "response_url": fake.response_url(f"l{n}"), "trigger_id": f"load.{n}",
                                          "api_app_id": "A0BENCH"})  # fmt: skip
                        status, answer, took = signed(url, body, "application/x-www-form-urlencoded")
                        ok = status == 200 and bool(json.loads(answer or "{}").get("text")) and "Sorry, something went wrong" not in answer
                    if not ok:
                        errors[f"{kind}: HTTP {status}"] += 1
                    acks.append(took)
                    kinds[kind] += 1
                    sent = time.perf_counter_ns()
                    with urllib.request.urlopen(url + "/healthz", timeout=15) as response:
                        response.read()
                    floors.append(time.perf_counter_ns() - sent)
                except OSError as exc:
                    errors[type(exc).__name__] += 1

            total = int(LOAD_RATE * LOAD_SECONDS)
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=32) as pool:
                for n in range(total):
                    delay = started + n / LOAD_RATE - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    pool.submit(one, n)
            elapsed = time.perf_counter() - started
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                answered = {c.body.get("thread_ts") for c in fake.calls("chat.postMessage") if c.body.get("channel") == "C0LOAD"}
                if answered >= set(mentions):
                    break
                time.sleep(0.2)
            unanswered = len(set(mentions) - answered)
            if unanswered:
                errors["mention never answered"] += unanswered
            with engine.connect() as conn:
                stored = conn.execute(sql("SELECT count(*) FROM evidence")).scalar_one()
            if stored != kinds["evidence add"]:
                errors["evidence adds stored != acknowledged"] += abs(stored - kinds["evidence add"])
            for process in processes:
                process.terminate()
            for process in processes:
                _, stderr = process.communicate(timeout=60)
                if process.returncode != 0 or b"Traceback" in stderr:
                    errors["replica exit"] += 1
        engine.dispose()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        with admin.connect() as conn:
            conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    value = Stats.of(acks)
    notes = (
        f"{len(acks)} requests in {elapsed:.1f} s over 2 replicas ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); "
        f"errors: {sum(errors.values())}{' ' + str(dict(errors)) if errors else ''}",
        f"ack p99 {value.p99:.1f} ms (target < 300 ms, with 0 errors)",
    )
    return [Bench("replicas.load_50rps_60s", value, "GET /healthz, same replica, interleaved", Stats.of(floors), target=None, notes=notes)]
