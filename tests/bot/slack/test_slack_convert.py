"""Payload conversion, and the manifest staying true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.slack import app as slack_app
from bot.slack import convert
from bot.slack.listeners import commands
from bot.slack.listeners import views as view_listeners

MANIFEST = (Path(slack_app.__file__).parent / "manifest.yaml").read_text(encoding="utf-8")


def test_slash_command_becomes_a_request() -> None:
    body = {"text": "  what is CAM &amp; IRP &lt;really&gt;  ", "user_id": "U1", "team_id": "T1", "channel_id": "C1", "command": "/cmmi"}
    request = convert.from_command(body)
    assert request.text == "what is CAM & IRP <really>"  # Slack's escaping undone; render escapes again
    assert (request.user_id, request.workspace_id, request.channel_id, request.thread_id) == ("U1", "slack:T1", "C1", None)
    assert request.transport == "slack" and request.is_admin is False


def test_unescaping_keeps_typed_entities() -> None:
    assert convert.unescape("&amp;lt; is how you write &lt;") == "&lt; is how you write <"


def test_mentions_of_the_bot_are_stripped_and_others_kept() -> None:
    body = {"team_id": "T1", "event": {"text": "<@UBOT> ask <@UBOT|cmmi> about <@U2>", "user": "U1", "channel": "C1", "ts": "5.0"}}
    request = convert.from_mention(body, "UBOT")
    assert request.text == "ask about <@U2>"
    assert (request.workspace_id, request.channel_id, request.thread_id) == ("slack:T1", "C1", "5.0")
    assert convert.strip_mention("<@UXYZ> GP2.8 <@UABC>", None) == "GP2.8 <@UABC>"


@pytest.mark.parametrize(
    ("raw", "command"),
    [
        ("<!here> evidence list", "evidence list"),
        ("  <!channel><@U2|bob> <#C1|ops> <!subteam^S1|@leads> gaps ML2", "gaps ML2"),
        ("evidence list <!here>", "evidence list <!here>"),  # after the command word it is the command's business
        ("<https://wiki.example.com|wiki> is it evidence?", "<https://wiki.example.com|wiki> is it evidence?"),  # a link is content
        ("", "help"),
        (" <!here> ", "help"),
        ("what is CAM &amp; IRP", "what is CAM & IRP"),
    ],
)
def test_command_text_drops_markup_before_the_command_word(raw: str, command: str) -> None:
    assert convert.command_text(raw) == command


def test_a_bare_mention_and_an_empty_command_mean_help() -> None:
    mention = {"team_id": "T1", "event": {"text": "<@UBOT>", "user": "U1", "channel": "C1", "ts": "5.0"}}
    assert convert.from_mention(mention, "UBOT").text == "help"
    assert convert.from_command({"text": "", "user_id": "U1", "team_id": "T1", "channel_id": "C1"}).text == "help"
    mention["event"]["text"] = "<@UBOT> <!here> evidence list"
    assert convert.from_mention(mention, "UBOT").text == "evidence list"


def test_threads() -> None:
    assert convert.thread_of({"ts": "2.0", "thread_ts": "1.0"}) == "1.0"
    assert convert.thread_of({"ts": "2.0"}) == "2.0"
    dm = {"team_id": "T1", "event": {"text": "GP2.8", "user": "U1", "channel": "D1", "ts": "2.0"}}
    assert convert.from_direct_message(dm, "UBOT").thread_id is None
    dm["event"]["thread_ts"] = "1.0"
    assert convert.from_direct_message(dm, "UBOT").thread_id == "1.0"


def test_share_press_becomes_a_request_with_the_buttons_text() -> None:
    body = {"user": {"id": "U1", "team_id": "T1"}, "team": {"id": "T1"}, "channel": {"id": "C1"}}
    request = convert.from_share(body, "what is CAM <b>")
    assert (request.text, request.user_id, request.workspace_id, request.channel_id) == ("what is CAM <b>", "U1", "slack:T1", "C1")


@pytest.mark.parametrize(
    ("event", "answered"),
    [
        ({"channel_type": "im", "user": "U1", "text": "hi"}, True),
        ({"channel_type": "im", "user": "U1", "subtype": "message_changed"}, False),
        ({"channel_type": "im", "bot_id": "B1", "user": "U1"}, False),
        ({"channel_type": "channel", "user": "U1"}, False),
        ({"channel_type": "im"}, False),
    ],
)
def test_which_messages_are_direct_messages(event: dict, answered: bool) -> None:
    assert convert.is_direct_message(event) is answered


def manifest_list(key: str) -> list[str]:
    """The items of a YAML list under `key:` in the manifest (enough YAML for this file)."""
    lines = MANIFEST.split(f"{key}:\n", 1)[1].splitlines()
    indent = len(lines[0]) - len(lines[0].lstrip())
    items = []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(line) - len(line.lstrip()) != indent or not line.lstrip().startswith("- "):
            break
        items.append(line.strip()[2:].split(" #")[0].strip())
    return items


def test_manifest_matches_what_the_app_listens_for() -> None:
    assert re.search(rf"^\s+- command: {re.escape(commands.COMMAND)}$", MANIFEST, re.M)
    assert re.search(r"^\s+usage_hint: \S", MANIFEST, re.M)
    assert re.search(rf"^\s+callback_id: {view_listeners.LOG_EVIDENCE_SHORTCUT}$", MANIFEST, re.M)
    assert re.search(r"^\s+- name: Log as CMMI evidence$", MANIFEST, re.M)
    assert re.search(r"^\s+type: message$", MANIFEST, re.M)
    assert set(manifest_list("bot_events")) == {"app_mention", "message.im", "app_home_opened"}
    scopes = set(manifest_list("bot"))
    assert {"commands", "chat:write", "app_mentions:read", "im:history", "im:read", "im:write", "users:read"} <= scopes
    assert "chat:write.public" in scopes  # Share in a public channel the bot has not joined
    assert re.search(r"^  interactivity:\n    is_enabled: true$", MANIFEST, re.M)
    assert re.search(r"^    home_tab_enabled: true$", MANIFEST, re.M)
    assert re.search(r"^  socket_mode_enabled: true$", MANIFEST, re.M)
    assert MANIFEST.count("# request_url: https://cmmi.example.com/slack/events") == 2  # HTTP mode: one switch away
