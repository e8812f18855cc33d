"""Benchmark of memory: a real `cmmi-bot serve` process's resident memory before and after 10,000 requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import BIN, ROOT, Bench, Stats


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def serving_memory() -> list[Bench]:
    """Resident memory of a real `cmmi-bot serve` (Slack HTTP mode, SQLite) after 10,000 mixed requests
    (questions, evidence adds, status), beside the same process idle after start-up."""
    import socket
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode

    from slack_sdk.signature import SignatureVerifier

    sys.path.insert(0, str(ROOT / "tests" / "bot" / "slack"))
    from fake_slack import FakeSlack

    secret, total = "bench-signing-secret", 10_000
    texts = ["what does WMC.SP1.6 require", "how do we track customer requests?", "which PA covers disaster recovery?", "status", "GP2.8"]
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as folder:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {
            **os.environ, "SLACK_BOT_TOKEN": "xoxb-bench-not-real", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fake.api_url,
            "CMMI_HTTP_HOST": "127.0.0.1", "CMMI_HTTP_PORT": str(port), "XDG_DATA_HOME": folder, "CMMI_LOG_LEVEL": "WARNING",
        }  # fmt: skip
        env.pop("SLACK_APP_TOKEN", None)
        proc = subprocess.Popen([str(BIN / "cmmi-bot"), "serve"], cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                        break
                except OSError:
                    time.sleep(0.1)
            verifier = SignatureVerifier(secret)

            def send(n: int) -> bool:
                text = (
                    f"evidence add WMC.SP1.{1 + n % 7} https://wiki.example.com/mem/{n} n{n} --group Desk"
                    if n % 4 == 0
                    else texts[n % len(texts)]
                )
                body = urlencode(
                    {
                        "team_id": "T0FAKE",
                        "channel_id": "C0MEM",
                        "user_id": f"U{n % 30}",
                        "command": "/cmmi",
                        "text": text,
                        "response_url": fake.response_url(f"m{n}"),
                    }
                )
                ts = str(int(time.time()))
                sig = verifier.generate_signature(timestamp=ts, body=body)
                headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
                req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=15) as response:
                    return bool(json.loads(response.read() or b"{}").get("text"))

            send(1)  # the group for evidence adds
            group = urlencode(
                {
                    "team_id": "T0FAKE",
                    "channel_id": "C0MEM",
                    "user_id": "U1",
                    "command": "/cmmi",
                    "text": "group add Desk",
                    "response_url": fake.response_url("g"),
                }
            )
            ts = str(int(time.time()))
            urllib.request.urlopen(
                urllib.request.Request(
                    f"http://127.0.0.1:{port}/slack/events", data=group.encode(), method="POST",
                    headers={"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=group)},
                ),
                timeout=15,
            ).read()  # fmt: skip
            time.sleep(1.0)
            idle = _rss_kib(proc.pid)
            with ThreadPoolExecutor(max_workers=8) as pool:
                answered = sum(pool.map(send, range(total), timeout=900))
            if answered != total:  # a command's answer rides on its acknowledgement
                raise RuntimeError(f"{total - answered} of {total} requests got no answer with their acknowledgement")
            time.sleep(1.0)
            after = _rss_kib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            if proc.stderr:
                proc.stderr.close()
    notes = (f"RSS idle {idle / 1024:.1f} MiB -> {after / 1024:.1f} MiB after {total:,} requests (+{(after - idle) / 1024:.1f} MiB)",)
    return [
        Bench(
            "serve.rss_after_10k_requests",
            Stats.of([after * 1_000_000]),
            "same process idle after start",
            Stats.of([idle * 1_000_000]),
            unit="KiB",
            notes=notes,
        )
    ]
