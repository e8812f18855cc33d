"""What a serving process writes to its log, read from a real `cmmi-bot serve` at DEBUG: no token, secret or OAuth code
at any level, and nothing a user typed at INFO or above. Slack (OAuth, several workspaces) and Teams in one process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from conftest import SIGNING_SECRET, SlackSender
from fake_slack import FakeSlack
from test_slack_oauth import CLIENT_ID, CLIENT_SECRET, get, start_install

from store import sqlite_url
from tests.bot.teams.conftest import SDK_WARNINGS, TeamsSender
from tests.bot.teams.fake_connector import FakeConnector

pytestmark = SDK_WARNINGS

TEAM = "T0LOGS"
TEAM_TOKEN = "xoxb-logs-installed-token-4Fq9"
INSTALL_CODE = "oauth-code-granted-7Hk2"
REFUSED_CODE = "oauth-code-refused-3Jd8"
TYPED = (  # what users type: none of it may reach a log line at INFO or above
    "Secret-Group-Qx1",
    "https://wiki.example.com/secret-link-Qx2",
    "secret-note-Qx3",
    "secret-question-Qx4",
    "teams-secret-note-Qx5",
)
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def records(stderr: str) -> list[tuple[str, str]]:
    """(level, text) per log record; traceback and other continuation lines belong to the record above them."""
    found: list[tuple[str, str]] = []
    for line in stderr.splitlines():
        match = RECORD.match(line)
        if match:
            found.append((match.group(1), line))
        elif found:
            found[-1] = (found[-1][0], found[-1][1] + "\n" + line)
    return found


def serve(tmp_path: Path, fake: FakeSlack, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CMMI_"))}
    env.update(
        XDG_DATA_HOME=str(tmp_path / "data"),
        CMMI_DATABASE_URL=sqlite_url(tmp_path / "logs.db"),
        CMMI_LOG_LEVEL="DEBUG",
        CMMI_HTTP_HOST="127.0.0.1",
        CMMI_HTTP_PORT=str(port),
        CMMI_DIGEST_CHECK_SECONDS="0",
        CMMI_TEAMS_NO_AUTH="1",
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def exercise(base_url: str, fake: FakeSlack, connector: FakeConnector) -> None:
    """An installation, a refused OAuth exchange, Slack commands and a Teams message, each carrying something secret."""
    state, cookie = start_install(base_url)
    assert get(base_url + "/slack/oauth_redirect?" + urlencode({"code": INSTALL_CODE, "state": state}), cookie).status == 200
    state, cookie = start_install(base_url)
    refused = get(base_url + "/slack/oauth_redirect?" + urlencode({"code": REFUSED_CODE, "state": state}), cookie)
    assert refused.status != 200 and fake.calls("oauth.v2.access", ok_only=False)[-1].body["code"] == REFUSED_CODE
    slack = SlackSender(base_url, fake)
    group, link, note, question, teams_note = TYPED
    for n, text in enumerate([f"group add {group}", f"group use {group}", f"evidence add WMC.SP1.6 {link} {note}", question], 1):
        sent = slack.command(text, team=TEAM, response=f"r{n}")
        assert sent.status == 200 and sent.message.get("text")  # answered with the acknowledgement
    teams = TeamsSender(base_url, connector)
    assert teams.post(teams.activity(f"evidence add WMC.SP1.6 https://wiki.example.com/t {teams_note}")).status == 200
    connector.wait_for(1)


def test_a_serving_process_logs_no_secrets_and_nothing_typed_at_info(tmp_path: Path) -> None:
    port = free_port()
    with FakeSlack() as fake, FakeConnector() as connector:
        fake.grant(INSTALL_CODE, TEAM, TEAM_TOKEN)
        process = serve(tmp_path, fake, port)
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    if get(base_url + "/healthz").status == 200:
                        break
                except OSError:
                    time.sleep(0.05)
            assert process.poll() is None, process.communicate(timeout=10)
            exercise(base_url, fake, connector)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                _, stderr = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                _, stderr = process.communicate(timeout=5)
    logged = records(stderr)
    # The log was on, at every level, and saw these requests: otherwise the checks below would prove nothing.
    assert any(level == "DEBUG" for level, _ in logged)
    access = [text for level, text in logged if level == "INFO" and " uvicorn.access " in text]
    assert any('"GET /slack/oauth_redirect' in text for text in access)
    assert not [text for text in access if "?" in text]  # no query strings: whatever they carry
    assert any(level == "WARNING" and "oauth.v2.access" in text for level, text in logged)  # Bolt's refused exchange
    assert any(TYPED[2] in text for level, text in logged if level == "DEBUG")  # typed text may appear at DEBUG only
    for secret in (TEAM_TOKEN, CLIENT_SECRET, SIGNING_SECRET, INSTALL_CODE, REFUSED_CODE):
        assert secret not in stderr
    for typed in TYPED:
        assert not [text for level, text in logged if level != "DEBUG" and typed in text], typed
    assert "[redacted]" in stderr
