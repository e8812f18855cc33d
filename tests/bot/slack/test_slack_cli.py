"""`cmmi-bot serve` and `make run` (cmmi-bot run) with Slack: real processes, settings from the environment and .env."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BOT_TOKEN, SIGNING_SECRET, SlackSender
from fake_slack import FakeSlack

from bot import cli, console
from bot.settings import load_settings
from bot.wiring import Runtime
from handlers import Context

SLACK_NAMES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "CMMI_HTTP_HOST", "CMMI_HTTP_PORT")


def clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The parent's environment without any Slack settings, with a private data folder, plus `values`."""
    env = {k: v for k, v in os.environ.items() if k not in SLACK_NAMES and not k.startswith("SLACK_")}
    return {**env, "XDG_DATA_HOME": str(tmp_path / "data"), "CMMI_DATABASE_URL": "", **values}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_reads_dotenv_lets_the_environment_win_and_refuses_a_bad_port(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"SLACK_BOT_TOKEN={BOT_TOKEN}\nSLACK_SIGNING_SECRET=from-dotenv\nCMMI_HTTP_PORT=dotenv-port\n")
    env = clean_env(tmp_path, CMMI_HTTP_PORT="environment-port")
    out = subprocess.run([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    # the token and secret came from .env (else the complaint would be about them); the port from the environment
    assert "CMMI_HTTP_PORT must be a port number (0-65535), not 'environment-port'" in out.stderr
    assert "Traceback" not in out.stderr and BOT_TOKEN not in out.stderr


def test_serve_without_a_signing_secret_refuses_to_start(tmp_path: Path) -> None:
    env = clean_env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN)
    out = subprocess.run([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "HTTP mode needs SLACK_SIGNING_SECRET" in out.stderr
    assert "Traceback" not in out.stderr


def test_run_serves_slack_over_http_when_configured(tmp_path: Path) -> None:
    """`make run` runs `cmmi-bot run`: with Slack credentials it serves Slack, end to end, and stops on Ctrl-C."""
    port = free_port()
    with FakeSlack() as fake:
        env = clean_env(
            tmp_path,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.api_url,
            CMMI_HTTP_HOST="127.0.0.1",
            CMMI_HTTP_PORT=str(port),
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            sender = SlackSender(f"http://127.0.0.1:{port}", fake)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if sender.get("/healthz").status == 200:
                        break
                except OSError:
                    time.sleep(0.05)
            assert process.poll() is None, process.communicate(timeout=10)
            assert sender.get("/healthz").body == "ok"
            sent = sender.command("GP2.8", response="from-run")
            assert sent.status == 200 and sent.message["text"] == "GP2.8 Monitor and Control the Process"
            assert [c.method for c in fake.calls("auth.test")] == ["auth.test"]
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                _, stderr = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                _, stderr = process.communicate(timeout=5)
    assert process.returncode == 0, stderr
    assert "Slack HTTP mode on http://127.0.0.1:" in stderr
    assert "Traceback" not in stderr and BOT_TOKEN not in stderr


def test_run_is_the_console_without_slack_credentials(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SLACK_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)  # a bot token alone is not enough to reach Slack
    chosen: list[str] = []
    monkeypatch.setattr(console, "run", lambda ctx: chosen.append("console") or 0)  # imported by cmd_run when it runs
    monkeypatch.setattr(cli, "cmd_serve", lambda args, ctx: chosen.append("slack") or 0)
    assert cli.cmd_run(argparse.Namespace(), Runtime(load_settings(), ctx)) == 0  # the runtime reads the environment once
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test-not-a-real-token")
    assert cli.cmd_run(argparse.Namespace(), Runtime(load_settings(), ctx)) == 0
    assert chosen == ["console", "slack"]
