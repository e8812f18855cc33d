"""Serving: request signatures, /healthz, body limits, the Web API base URL, and refusing to start half-configured."""

from __future__ import annotations

import os
import signal
import time

import pytest
from conftest import BOT_TOKEN, SlackSender, slack_settings
from fake_slack import FakeSlack

from bot import server as bot_server
from bot.http import MAX_BODY_BYTES
from bot.settings import ConfigError, Settings
from bot.slack import server
from bot.slack.app import api_base_url, build_app
from bot.wiring import Runtime
from handlers import Context


def assert_nothing_happened(fake: FakeSlack) -> None:
    fake.quiet_for(0.3)  # long enough for a listener that was wrongly started to reach the fake
    assert fake.calls(ok_only=False) == []


@pytest.mark.parametrize(
    "how",
    ["bad signature", "signed with another secret", "no signature headers", "timestamp 301 s old", "body changed after signing"],
)
def test_unverified_requests_get_401_and_do_nothing(slack: SlackSender, fake_slack: FakeSlack, how: str) -> None:
    body = slack.command_body("what does WMC.SP1.6 require", response="forged")
    form = "application/x-www-form-urlencoded"
    if how == "bad signature":
        sent = slack.post(body, form, signature="v0=" + "0" * 64)
    elif how == "signed with another secret":
        sent = SlackSender(slack.base_url, fake_slack, secret="someone-elses-secret").post(body, form)
    elif how == "no signature headers":
        sent = slack.post(body, form, signed=False)
    elif how == "timestamp 301 s old":
        old = int(time.time()) - 301
        sent = slack.post(body, form, timestamp=old, signature=slack.verifier.generate_signature(timestamp=str(old), body=body))
    else:
        signature = slack.verifier.generate_signature(timestamp=str(int(time.time())), body=body)
        sent = slack.post(body.replace("WMC.SP1.6", "GP2.8"), form, signature=signature)
    assert sent.status == 401
    assert_nothing_happened(fake_slack)


def serve(settings: Settings, ctx: Context) -> int:
    return bot_server.serve(Runtime(settings, ctx))


def test_a_forged_event_does_not_use_up_its_event_id(slack: SlackSender, fake_slack: FakeSlack) -> None:
    event = {"type": "message", "channel_type": "im", "user": "U0FRANK", "text": "GP2.8", "ts": "1700000900.000900", "channel": "D0FRANK"}
    body = slack.event_body(event, event_id="Ev0FORGED1")
    assert slack.post(body, "application/json", signature="v0=" + "1" * 64).status == 401
    assert_nothing_happened(fake_slack)
    assert slack.post(body, "application/json").status == 200  # the genuine delivery is still handled
    fake_slack.wait_for("chat.postMessage")


def test_a_correctly_signed_request_is_accepted(slack: SlackSender, fake_slack: FakeSlack) -> None:
    sent = slack.command("GP2.8", response="genuine")
    assert sent.status == 200 and sent.message["text"] == "GP2.8 Monitor and Control the Process"


def test_healthz(slack: SlackSender) -> None:
    sent = slack.get("/healthz")
    assert (sent.status, sent.body) == (200, "ok")


def test_only_post_is_served_on_the_events_path_and_huge_bodies_are_refused(slack: SlackSender, fake_slack: FakeSlack) -> None:
    assert slack.get("/slack/events").status == 405
    assert slack.get("/elsewhere").status == 404
    assert slack.post("x" * (MAX_BODY_BYTES + 1), "application/json").status == 413
    assert_nothing_happened(fake_slack)


@pytest.mark.parametrize("url", ["{api}", "{api_no_slash}"])
def test_the_web_api_client_follows_slack_api_url(ctx: Context, url: str) -> None:
    with FakeSlack() as fake:
        api = url.format(api=fake.api_url, api_no_slash=fake.api_url.rstrip("/"))
        app = build_app(slack_settings(api), ctx)
        [auth] = fake.calls("auth.test")  # Bolt checks the token at construction, against the fake
        assert auth.token == BOT_TOKEN
        assert app.client.base_url == fake.api_url
        assert api_base_url("https://slack.com/api") == "https://slack.com/api/"


def test_http_mode_refuses_to_start_without_a_signing_secret(ctx: Context) -> None:
    settings = slack_settings("http://127.0.0.1:9/api/", SLACK_SIGNING_SECRET="")
    with pytest.raises(server.SlackConfigError, match="HTTP mode needs SLACK_SIGNING_SECRET"):
        serve(settings, ctx)


def test_serve_refuses_without_a_bot_token_or_with_a_bad_port(ctx: Context) -> None:
    with pytest.raises(server.SlackConfigError, match="SLACK_BOT_TOKEN is not set"):
        serve(slack_settings("http://127.0.0.1:9/api/", SLACK_BOT_TOKEN=""), ctx)
    with pytest.raises(ConfigError, match="CMMI_HTTP_PORT must be a port number"):
        serve(slack_settings("http://127.0.0.1:9/api/", CMMI_HTTP_PORT="http"), ctx)


def test_a_rejected_bot_token_is_a_clear_error(ctx: Context) -> None:
    with FakeSlack() as fake:
        fake.refuse("auth.test", "invalid_auth")
        with pytest.raises(server.SlackConfigError, match="Slack did not accept SLACK_BOT_TOKEN") as raised:
            serve(slack_settings(fake.api_url), ctx)
        assert BOT_TOKEN not in str(raised.value)


def test_unreachable_slack_is_a_clear_error(ctx: Context) -> None:
    with FakeSlack() as fake:
        url = fake.api_url
    # the fake has stopped: nothing listens there now
    with pytest.raises(server.SlackConfigError, match="Could not reach the Slack Web API"):
        serve(slack_settings(url), ctx)


def test_socket_mode_when_an_app_token_is_set_until_sigterm(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    started, closed = [], []

    def connect(self: SocketModeHandler) -> None:
        started.append((self.app_token, self.client.web_client.base_url))
        os.kill(os.getpid(), signal.SIGTERM)  # as a service manager stops it

    monkeypatch.setattr(SocketModeHandler, "connect", connect)
    monkeypatch.setattr(SocketModeHandler, "close", lambda self: closed.append(True))
    with FakeSlack() as fake:
        settings = slack_settings(fake.api_url, SLACK_SIGNING_SECRET="", SLACK_APP_TOKEN="xapp-test-not-a-real-token")
        assert serve(settings, ctx) == 0  # a clean exit: SIGTERM was handled, not fatal
    assert started == [("xapp-test-not-a-real-token", fake.api_url)]  # no signing secret needed; same Web API URL
    assert closed == [True]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers put back


@pytest.mark.parametrize(
    ("bot", "app", "secret", "expected"),
    [("", "", "", False), ("xoxb-t", "", "", False), ("", "xapp-t", "s", False), ("xoxb-t", "xapp-t", "", True), ("xoxb-t", "", "s", True)],
)
def test_slack_is_configured_with_a_bot_token_and_a_way_in(bot: str, app: str, secret: str, expected: bool) -> None:
    from bot.settings import load_settings

    settings = load_settings({"SLACK_BOT_TOKEN": bot, "SLACK_APP_TOKEN": app, "SLACK_SIGNING_SECRET": secret})
    assert settings.slack_configured is expected
