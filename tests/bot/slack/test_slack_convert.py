"""Payload conversion, and the manifest staying true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.slack import app as slack_app
from bot.slack import convert, oauth, server
from bot.slack.listeners import commands
from bot.slack.listeners import views as view_listeners
from bot.slack.oauth import BOT_SCOPES

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


THREAD = {"channel_type": "channel", "user": "U1", "text": "and its goal?", "ts": "2.0", "thread_ts": "1.0", "channel": "C1"}


@pytest.mark.parametrize(
    ("change", "heard"),
    [
        ({}, True),
        ({"channel_type": "group"}, True),
        ({"channel_type": "mpim"}, True),
        ({"subtype": "thread_broadcast"}, True),  # "also send to channel" is a reply in the thread too
        ({"channel_type": "im"}, False),  # a DM is a command, handled as one
        ({"thread_ts": None}, False),  # not in a thread
        ({"thread_ts": "2.0"}, False),  # the thread's first message
        ({"subtype": "message_changed"}, False),
        ({"bot_id": "B1"}, False),
        ({"user": None}, False),
        ({"text": "<@UBOT> and its goal?"}, False),  # a mention: app_mention answers it
    ],
)
def test_which_messages_are_replies_in_a_thread(change: dict, heard: bool) -> None:
    assert convert.is_thread_reply({**THREAD, **change}, "UBOT") is heard


def test_a_thread_reply_keeps_its_text_whole() -> None:
    request = convert.from_thread_reply({"team_id": "T1", "event": {**THREAD, "text": "<@U2> and its goal &amp; more"}})
    assert (request.text, request.thread_id, request.channel_id, request.workspace_id) == (
        "<@U2> and its goal & more",
        "1.0",
        "C1",
        "slack:T1",
    )


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


SLACK_CODE = sorted((Path(slack_app.__file__).parent).rglob("*.py"))
README = (Path(slack_app.__file__).parents[2] / "README.md").read_text(encoding="utf-8")
# The scope each Web API method the code calls needs (docs.slack.dev, each method's "Required scopes"). A method the
# code starts to call that is not here fails the test until its scope is looked up and put in the manifest.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat_postMessage": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    "chat_update": ("chat:write",),
    "chat_getPermalink": (),
    "conversations_open": ("im:write",),  # a DM with one person
    "conversations_history": ("channels:history", "groups:history"),  # the digest check, in public and private channels
    "files_upload_v2": ("files:write",),
    "users_info": ("users:read",),
    "views_open": (),
    "views_publish": (),
    "send_dict": (),  # a post to a response_url (WebhookClient): no token, no scope
}
EVENT_SCOPES = {
    "app_home_opened": (),
    "app_mention": ("app_mentions:read",),
    "message.im": ("im:history",),
    "message.channels": ("channels:history",),
    "message.groups": ("groups:history",),
    "message.mpim": ("mpim:history",),
}
MESSAGE_EVENTS = {"im": "message.im", "channel": "message.channels", "group": "message.groups", "mpim": "message.mpim"}


def code_events() -> set[str]:
    """The events the listeners take: app.event(...) in register(), `message` as one event per conversation type heard."""
    source = (Path(slack_app.__file__).parent / "listeners" / "__init__.py").read_text(encoding="utf-8")
    events = set(re.findall(r'app\.event\("([a-z_]+)"\)', source))
    if "message" in events:
        events.remove("message")
        events |= {MESSAGE_EVENTS[t] for t in ("im", *convert.THREAD_CHANNEL_TYPES)}  # is_direct_message and is_thread_reply
    return events


def code_methods() -> set[str]:
    """The Web API methods the code calls: every call is client.method(...) on a WebClient."""
    calls: set[str] = set()
    for path in SLACK_CODE:
        calls |= set(re.findall(r"client\.([a-z]+_[A-Za-z0-9_]+)\(", path.read_text("utf-8")))
    return calls


def test_manifest_declares_every_event_and_scope_the_code_uses_and_no_others() -> None:
    events = code_events()
    assert events == {"app_home_opened", "app_mention", "message.im", "message.channels", "message.groups", "message.mpim"}
    assert set(manifest_list("bot_events")) == events
    methods = code_methods()
    assert methods <= set(METHOD_SCOPES), f"look up the scopes of {methods - set(METHOD_SCOPES)} and add them here and to the manifest"
    needed = {scope for m in methods for scope in METHOD_SCOPES[m]} | {scope for e in events for scope in EVENT_SCOPES[e]}
    needed |= {"commands"}  # /cmmi and the message shortcut
    needed |= {"chat:write.public"}  # Share and announcements post in public channels the bot has not joined
    assert set(manifest_list("bot")) == needed
    assert list(BOT_SCOPES) == manifest_list("bot")  # what OAuth installs ask for


def test_manifest_matches_what_the_app_listens_for() -> None:
    assert re.search(rf"^\s+- command: {re.escape(commands.COMMAND)}$", MANIFEST, re.M)
    assert re.search(r"^\s+usage_hint: \S", MANIFEST, re.M)
    assert re.search(rf"^\s+callback_id: {view_listeners.LOG_EVIDENCE_SHORTCUT}$", MANIFEST, re.M)
    assert re.search(r"^\s+- name: Log as CMMI evidence$", MANIFEST, re.M)
    assert re.search(r"^\s+type: message$", MANIFEST, re.M)
    assert re.search(r"^  interactivity:\n    is_enabled: true$", MANIFEST, re.M)
    assert re.search(r"^    home_tab_enabled: true$", MANIFEST, re.M)
    assert re.search(r"^  socket_mode_enabled: true$", MANIFEST, re.M)


def manifest_urls() -> dict[str, str]:
    """The URLs left commented in the manifest for HTTP mode and OAuth, by the key each goes under once uncommented."""
    where = {
        "features.slash_commands[].url": r"  slash_commands:\n    - command: /cmmi\n      # url: (\S+)\n",
        "settings.event_subscriptions.request_url": r"  event_subscriptions:\n    # request_url: (\S+)\n",
        "settings.interactivity.request_url": r"  interactivity:\n    is_enabled: true\n    # request_url: (\S+)\n",
        "settings.interactivity.message_menu_options_url": r"    # request_url: \S+\n    # message_menu_options_url: (\S+)\n",
        "oauth_config.redirect_urls": r"oauth_config:\n  # redirect_urls:\n  #   - (\S+)\n",
    }
    found = {key: re.search(pattern, MANIFEST) for key, pattern in where.items()}
    assert all(found.values()), [key for key, f in found.items() if not f]
    assert MANIFEST.count("https://cmmi.example.com") == len(where)  # and no other URL to fill in
    return {key: f.group(1) for key, f in found.items() if f}


def test_http_mode_request_urls_in_the_readme_agree_with_the_manifest_and_the_server() -> None:
    urls = manifest_urls()
    request_urls = {k: v for k, v in urls.items() if not k.startswith("oauth_config")}
    assert set(request_urls) == {
        "features.slash_commands[].url",
        "settings.event_subscriptions.request_url",
        "settings.interactivity.request_url",
        "settings.interactivity.message_menu_options_url",
    }
    assert set(request_urls.values()) == {"https://cmmi.example.com" + server.EVENTS_PATH}  # one endpoint for all four
    assert urls["oauth_config.redirect_urls"] == "https://cmmi.example.com" + oauth.REDIRECT_PATH
    rows = {
        line.split("|")[1].strip(" `"): line.split("|")[3].strip(" `") for line in README.splitlines() if line.strip().startswith("| `")
    }
    documented = {key: url for key, url in rows.items() if key.startswith(("features.", "settings."))}
    assert documented == {key: url.replace("https://cmmi.example.com", "https://YOUR-HOST") for key, url in request_urls.items()}
    assert "uncomment the four request URLs" in README and "four request URLs" in MANIFEST
    assert f"`oauth_config.redirect_urls`:\n   `https://YOUR-HOST{oauth.REDIRECT_PATH}`" in README
