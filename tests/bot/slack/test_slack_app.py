"""The Slack app over real HTTP on 127.0.0.1: signed requests in, what users would see recorded by the fake Slack."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
from conftest import BOT_TOKEN, SlackSender
from fake_slack import BOT_USER_ID, RESPONSE_URL, FakeSlack

from bot import edge
from bot.slack import render
from bot.slack.listeners import commands
from bot.slack.listeners import views as view_listeners


def all_text(message: dict[str, Any]) -> str:
    return json.dumps({"text": message.get("text"), "blocks": message.get("blocks")}, ensure_ascii=False)


def shown_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") in {"mrkdwn", "plain_text"} else []
        return own + [t for v in node.values() for t in shown_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in shown_texts(v)]
    return []


def share_button(message: dict[str, Any]) -> dict[str, Any]:
    [button] = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == render.SHARE_ACTION]
    return button


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_a_slash_question_is_answered_privately_with_the_ack_with_a_share_button(slack: SlackSender, fake_slack: FakeSlack) -> None:
    sent = slack.command("what does WMC.SP1.6 require", response="q1")
    assert sent.status == 200
    answer = sent.message  # the answer goes back with the acknowledgement: no second round trip
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "WMC.SP1.6 Conduct Progress Reviews"
    assert answer["blocks"][0]["elements"][0]["text"] == "You asked: what does WMC.SP1.6 require"
    assert answer["blocks"][1] == {"type": "header", "text": {"type": "plain_text", "text": "WMC.SP1.6 Conduct Progress Reviews"}}
    assert "Periodically review the work progress" in all_text(answer)
    button = share_button(answer)
    assert button["action_id"] == render.SHARE_ACTION and button["value"] == "what does WMC.SP1.6 require"
    fake_slack.quiet_for(0.2)
    assert fake_slack.calls(RESPONSE_URL) == [] and fake_slack.calls("chat.postMessage") == []  # nothing else, nothing public


def test_slow_work_is_acknowledged_in_time_and_answered_through_response_url(
    slack: SlackSender, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real_dispatch = edge.dispatch

    def slow(request, ctx):
        assert release.wait(timeout=10), "the test never released the work"
        return real_dispatch(request, ctx)

    monkeypatch.setattr(edge, "dispatch", slow)
    monkeypatch.setattr(commands, "ACK_WITHIN", 0.2)
    try:
        sent = slack.command("GP2.8", response="slow")  # returns while the answer is still being worked out
        assert sent.status == 200 and sent.message["text"] == commands.STILL_WORKING
        assert fake_slack.calls(RESPONSE_URL) == []
    finally:
        release.set()
    [post] = fake_slack.wait_for(RESPONSE_URL, where=lambda c: c.path.endswith("/slow"))
    assert post.body["text"] == "GP2.8 Monitor and Control the Process"


def test_pressing_share_posts_the_answer_to_the_channel_and_removes_the_private_copy(slack: SlackSender, fake_slack: FakeSlack) -> None:
    value = share_button(slack.command("what does WMC.SP1.6 require", channel="C0SHARE", response="q2").message)["value"]

    pressed = slack.press(render.SHARE_ACTION, value, user="U0ALICE", channel="C0SHARE", response="press2")
    assert pressed.status == 200
    [message] = fake_slack.wait_for("chat.postMessage")
    assert message.token == BOT_TOKEN
    assert message.body["channel"] == "C0SHARE"
    assert message.body["text"] == "WMC.SP1.6 Conduct Progress Reviews"
    assert message.body["blocks"][0]["elements"][0]["text"] == "<@U0ALICE> asked: what does WMC.SP1.6 require"
    assert "Periodically review the work progress" in all_text(message.body)
    assert render.SHARE_ACTION not in buttons(message.body)  # no Share button on the shared copy; its next steps stay
    [deleted] = fake_slack.wait_for(RESPONSE_URL, where=lambda c: c.path.endswith("/press2"))
    assert deleted.body.get("delete_original") is True


def test_share_where_the_bot_is_not_a_member_explains_how_to_fix_it(slack: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.refuse("chat.postMessage", "not_in_channel")
    slack.press(render.SHARE_ACTION, "GP2.8", channel="C0PRIVATE", response="press3")
    [notice] = fake_slack.wait_for(RESPONSE_URL, where=lambda c: c.path.endswith("/press3"))
    assert "Invite me first" in notice.body["text"]
    assert notice.body["response_type"] == "ephemeral" and notice.body.get("replace_original") is False
    assert fake_slack.calls("chat.postMessage") == []


def test_help_is_private_and_has_no_share_button(slack: SlackSender, fake_slack: FakeSlack) -> None:
    answer = slack.command("help", response="help").message
    assert answer["response_type"] == "ephemeral"
    text = all_text(answer)
    assert "ask QUESTION" in text and "help [COMMAND]" in text
    assert not any(b["type"] == "actions" for b in answer["blocks"])


def test_a_user_error_is_a_friendly_private_message(slack: SlackSender, fake_slack: FakeSlack) -> None:
    answer = slack.command("help nosuch", response="error").message
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("There is no command 'nosuch'")


@pytest.mark.parametrize("typed", ["", "   "])
def test_an_empty_slash_command_shows_help(slack: SlackSender, fake_slack: FakeSlack, typed: str) -> None:
    answer = slack.command(typed, response="empty").message
    assert answer["response_type"] == "ephemeral" and answer["text"] == "cmmi-bot commands"


def test_an_unexpected_error_is_logged_once_and_the_user_gets_a_reference(
    slack: SlackSender, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(request, ctx):
        raise RuntimeError("boom: secret internals")

    monkeypatch.setattr(edge, "dispatch", broken)
    with caplog.at_level(logging.ERROR):
        answer = slack.command("GP2.8", response="broken").message
    text = answer["text"]
    assert text.startswith("Sorry, something went wrong on my side (error reference ")
    assert "boom" not in all_text(answer) and "Traceback" not in all_text(answer)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]  # from any logger, Bolt's included
    assert len(errors) == 1 and errors[0].name == "cmmi_bot.edge" and errors[0].exc_info is not None
    ref = text.split("error reference ")[1].split(")")[0]
    assert ref in errors[0].getMessage()


def test_a_mention_is_answered_in_a_thread(slack: SlackSender, fake_slack: FakeSlack) -> None:
    event = {
        "type": "app_mention",
        "user": "U0BOB",
        "text": f"<@{BOT_USER_ID}> what does WMC.SP1.6 require",
        "ts": "1700000100.000100",
        "channel": "C0MENTION",
        "event_ts": "1700000100.000100",
    }
    assert slack.event(event).status == 200
    [message] = fake_slack.wait_for("chat.postMessage")
    assert message.body["channel"] == "C0MENTION"
    assert message.body["thread_ts"] == "1700000100.000100"
    assert message.body["text"] == "WMC.SP1.6 Conduct Progress Reviews"
    assert "Share in channel" not in all_text(message.body)


def test_a_mention_inside_a_thread_answers_in_that_thread(slack: SlackSender, fake_slack: FakeSlack) -> None:
    event = {
        "type": "app_mention",
        "user": "U0BOB",
        "text": f"which PA covers disaster recovery? <@{BOT_USER_ID}>",
        "ts": "1700000200.000200",
        "thread_ts": "1700000150.000150",
        "channel": "C0MENTION",
        "event_ts": "1700000200.000200",
    }
    slack.event(event)
    [message] = fake_slack.wait_for("chat.postMessage")
    assert message.body["thread_ts"] == "1700000150.000150"
    assert message.body["text"].startswith("SCON ")


def test_a_bare_mention_shows_help_in_the_thread(slack: SlackSender, fake_slack: FakeSlack) -> None:
    event = {"type": "app_mention", "user": "U0BOB", "text": f" <@{BOT_USER_ID}> ", "ts": "1700000300.000300", "channel": "C0MENTION"}
    slack.event(event)
    [answer] = fake_slack.wait_for("chat.postMessage")
    assert answer.body["channel"] == "C0MENTION" and answer.body["thread_ts"] == "1700000300.000300"
    assert answer.body["text"] == "cmmi-bot commands" and "ask QUESTION" in all_text(answer.body)


def test_a_command_after_other_mentions_still_runs(slack: SlackSender, fake_slack: FakeSlack) -> None:
    text = f"<@{BOT_USER_ID}> <!here> <@U0CAROL> <#C0OPS|ops> <!subteam^S0TEAM|@leads> help evidence"
    slack.event({"type": "app_mention", "user": "U0BOB", "text": text, "ts": "1700000310.000310", "channel": "C0MENTION"})
    [answer] = fake_slack.wait_for("chat.postMessage")
    assert answer.body["text"].startswith("evidence add|list|show|remove")  # `help evidence`, not a question about "here"


def test_a_direct_message_is_answered_in_the_dm(slack: SlackSender, fake_slack: FakeSlack) -> None:
    event = {"type": "message", "channel_type": "im", "user": "U0CAROL", "text": "GP2.8", "ts": "1700000400.000400", "channel": "D0CAROL"}
    assert slack.event(event).status == 200
    [message] = fake_slack.wait_for("chat.postMessage")
    assert message.body["channel"] == "D0CAROL"
    assert "thread_ts" not in message.body  # a DM is answered in the conversation itself
    assert message.body["text"] == "GP2.8 Monitor and Control the Process"


def test_bot_messages_edits_and_channel_messages_are_ignored(slack: SlackSender, fake_slack: FakeSlack) -> None:
    ignored = [
        {"type": "message", "channel_type": "im", "bot_id": "B0OTHER", "text": "GP2.8", "ts": "1.1", "channel": "D0X"},
        {"type": "message", "channel_type": "im", "user": BOT_USER_ID, "text": "GP2.8", "ts": "1.2", "channel": "D0X"},
        {
            "type": "message",
            "subtype": "message_changed",
            "channel_type": "im",
            "channel": "D0X",
            "ts": "1.3",
            "message": {"text": "GP2.8"},
        },
        {"type": "message", "channel_type": "channel", "user": "U0CAROL", "text": "GP2.8", "ts": "1.4", "channel": "C0X"},
        {"type": "app_home_opened", "user": "U0CAROL", "channel": "D0X", "tab": "messages"},  # only the Home tab is drawn
    ]
    for event in ignored:
        assert slack.event(event).status == 200
    fake_slack.quiet_for(0.3)
    assert [c.method for c in fake_slack.calls()] == []


def test_a_redelivered_event_is_processed_once(slack: SlackSender, fake_slack: FakeSlack) -> None:
    event = {"type": "message", "channel_type": "im", "user": "U0DAN", "text": "GP2.8", "ts": "1700000500.000500", "channel": "D0DAN"}
    body = slack.event_body(event, event_id="Ev0RETRY01")
    assert slack.post(body, "application/json").status == 200
    assert slack.post(body, "application/json", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}).status == 200
    assert slack.post(body, "application/json", headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}).status == 200
    fake_slack.wait_for("chat.postMessage")
    fake_slack.quiet_for(0.3)
    assert len(fake_slack.calls("chat.postMessage")) == 1
    # a different event with the same text is new work
    slack.event(event, event_id="Ev0RETRY02")
    fake_slack.wait_for("chat.postMessage", count=2)


def test_a_rate_limited_post_is_delivered_once_after_retry_after(slack: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    event = {"type": "message", "channel_type": "im", "user": "U0EVE", "text": "GP2.8", "ts": "1700000600.000600", "channel": "D0EVE"}
    slack.event(event)
    [delivered] = fake_slack.wait_for("chat.postMessage", timeout=6)
    attempts = fake_slack.calls("chat.postMessage", ok_only=False)
    assert [c.status for c in attempts] == [429, 200]
    assert delivered.body == attempts[0].body  # the same message, sent again
    fake_slack.quiet_for(0.2)
    assert len(fake_slack.calls("chat.postMessage")) == 1


HOSTILE = "<!channel> <@U123> <https://evil.example|click>"
# Slack escapes &, < and > in what people type before it reaches an app.
TYPED = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def assert_never_live(message: dict[str, Any]) -> None:
    for text in [message["text"], *shown_texts(message["blocks"])]:
        assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil" not in text, text


def test_typed_mentions_and_links_come_back_escaped_in_every_text(slack: SlackSender, fake_slack: FakeSlack) -> None:
    answer = slack.command(f"what does WMC.SP1.6 require {TYPED}", response="hostile").message
    assert_never_live(answer)
    assert "You asked: what does WMC.SP1.6 require &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt;" in all_text(answer)

    slack.press(render.SHARE_ACTION, share_button(answer)["value"], response="hostile-share")
    [shared] = fake_slack.wait_for("chat.postMessage")
    assert_never_live(shared.body)
    assert "&lt;!channel&gt;" in shared.body["blocks"][0]["elements"][0]["text"]

    error = slack.command("help &lt;!channel&gt;", response="hostile-help").message  # a user error that repeats what was typed
    assert_never_live(error)
    assert "&lt;!channel&gt;" in error["text"]


def test_real_mention_markup_in_a_mention_is_never_echoed_live(slack: SlackSender, fake_slack: FakeSlack) -> None:
    event = {
        "type": "app_mention",
        "user": "U0BOB",
        "text": f"<@{BOT_USER_ID}> help <!channel>",
        "ts": "1700000700.000700",
        "channel": "C0M",
    }
    slack.event(event)
    [hint] = fake_slack.wait_for("chat.postEphemeral")
    assert_never_live(hint.body)
    assert "&lt;!channel&gt;" in hint.body["text"]


def test_the_log_evidence_shortcut_without_a_database_opens_a_modal_saying_so(slack: SlackSender, fake_slack: FakeSlack) -> None:
    payload = {
        "type": "message_action",
        "callback_id": view_listeners.LOG_EVIDENCE_SHORTCUT,
        "trigger_id": "t1",
        "team": {"id": "T0FAKE"},
        "user": {"id": "U0ALICE"},
        "channel": {"id": "C0GENERAL"},
        "message": {"type": "message", "text": "postmortem notes", "ts": "1700000800.000800"},
        "message_ts": "1700000800.000800",
        "response_url": fake_slack.response_url("shortcut"),
    }
    from urllib.parse import urlencode

    assert slack.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded").status == 200
    [opened] = fake_slack.wait_for("views.open")
    assert opened.body["trigger_id"] == "t1"
    shown = json.dumps(opened.body["view"])
    assert "Evidence storage is not set up" in shown and "submit" not in opened.body["view"]  # no database: the modal says so


def test_url_verification_handshake(slack: SlackSender) -> None:
    body = json.dumps({"token": "t", "challenge": "challenge-123", "type": "url_verification"})
    sent = slack.post(body, "application/json")
    assert sent.status == 200 and "challenge-123" in sent.body
