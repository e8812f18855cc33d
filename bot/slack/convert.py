"""Convert Slack payloads (slash commands, button presses, events) into transport-neutral handler Requests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from handlers import Request

TRANSPORT = "slack"
# Stored workspace IDs carry their transport, so a Slack team and a Teams tenant with the same ID never share data.
WORKSPACE_PREFIX = "slack:"


def workspace_id(team_id: object) -> str:
    """cmmi-bot's workspace ID for a Slack team ID: 'slack:T0123', or '' when there is none (dispatch refuses that)."""
    return f"{WORKSPACE_PREFIX}{team_id}" if isinstance(team_id, str) and team_id else ""


def team_id(workspace_id: str) -> str:
    """The Slack team ID of one of cmmi-bot's workspace IDs: what Slack's Web API and the OAuth installation store know."""
    return workspace_id.removeprefix(WORKSPACE_PREFIX)


def unescape(text: str) -> str:
    """Undo Slack's escaping of &, < and > so the core sees what the person typed (render.escape redoes it).
    &amp; goes last, so typed text such as '&amp;lt;' stays as typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """Remove mentions of the bot (<@UBOT> or <@UBOT|name>) from message text; other markup stays as it is."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    else:  # without the bot's ID, only a mention at the very start can be taken to be addressed to it
        text = re.sub(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>", " ", text)
    return " ".join(text.split())


# Markup Slack puts in a message for a special mention (<!here>, <!subteam^S1|@ops>), a person (<@U1>) or a channel
# (<#C1|ops>). Before the command word it only addresses people: "@cmmi-bot @here evidence list" is `evidence list`.
_LEADING_MARKUP = re.compile(r"^(?:\s*<[!@#][^<>]*>)+")
EMPTY_MEANS = "help"  # an empty /cmmi or a bare mention


def command_text(raw: str) -> str:
    """What a person typed, as cmmi-bot's command line: Slack's escaping undone, markup before the command word dropped;
    `help` when nothing is left."""
    return unescape(_LEADING_MARKUP.sub("", raw)).strip() or EMPTY_MEANS


def thread_of(event: Mapping[str, Any]) -> str | None:
    """The thread a reply to this message belongs in: its own thread if it is in one, else a new one under it."""
    return event.get("thread_ts") or event.get("ts")


def from_command(body: Mapping[str, Any]) -> Request:
    """A /cmmi slash command: its text is the command line."""
    return Request(
        text=command_text(body.get("text") or ""),
        user_id=body["user_id"],
        workspace_id=workspace_id(body.get("team_id")),
        channel_id=body.get("channel_id") or "",
        transport=TRANSPORT,
    )


def from_share(body: Mapping[str, Any], value: str) -> Request:
    """A press of "Share in channel": the button carries the command text of the answer being shared.
    The value came back from Slack exactly as we sent it, so it is not unescaped."""
    user = body.get("user") or {}
    team = body.get("team") or {}
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    return Request(
        text=value,
        user_id=user.get("id") or "",
        workspace_id=workspace_id(team.get("id") or user.get("team_id")),
        channel_id=channel.get("id") or container.get("channel_id") or "",
        transport=TRANSPORT,
    )


def from_action(body: Mapping[str, Any], command: str) -> Request:
    """A press of a button (or a pick in a menu) the core asked for: its command, run as the presser. On the Home tab,
    which has no channel, the person's own ID stands for the place (what they do there concerns only them)."""
    user = body.get("user") or {}
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    channel_id = channel.get("id") or container.get("channel_id") or user.get("id") or ""
    return Request(
        text=command,
        user_id=user.get("id") or "",
        workspace_id=workspace_of(body),
        channel_id=channel_id,
        thread_id=(body.get("message") or {}).get("thread_ts"),
        transport=TRANSPORT,
        via="action",
    )


def workspace_of(body: Mapping[str, Any]) -> str:
    """The workspace of an interactive payload (shortcut, modal): its team, else the user's team."""
    team = body.get("team") or {}
    user = body.get("user") or {}
    return workspace_id(team.get("id") or user.get("team_id") or body.get("team_id"))


def from_modal(body: Mapping[str, Any], channel_id: str) -> Request:
    """A submitted "Log as CMMI evidence" modal: who submitted it, for the channel of the message it logs."""
    user = body.get("user") or {}
    return Request(
        text="evidence add (Log as CMMI evidence)",
        user_id=user.get("id") or "",
        workspace_id=workspace_of(body),
        channel_id=channel_id,
        transport=TRANSPORT,
    )


def _from_message(body: Mapping[str, Any], bot_user_id: str | None, thread_id: str | None) -> Request:
    event = body["event"]
    return Request(
        text=command_text(strip_mention(event.get("text") or "", bot_user_id)),
        user_id=event.get("user") or "",
        workspace_id=workspace_id(body.get("team_id") or event.get("team")),
        channel_id=event.get("channel") or "",
        thread_id=thread_id,
        transport=TRANSPORT,
    )


def from_mention(body: Mapping[str, Any], bot_user_id: str | None) -> Request:
    """An app_mention event: the text without the bot's mention; the answer goes in the message's thread."""
    return _from_message(body, bot_user_id, thread_of(body["event"]))


def from_direct_message(body: Mapping[str, Any], bot_user_id: str | None) -> Request:
    """A direct message to the bot: answered in the DM itself, in a thread only if the message was in one."""
    return _from_message(body, bot_user_id, body["event"].get("thread_ts"))


# Conversations whose messages cmmi-bot hears (besides DMs): public and private channels and group DMs, for follow-ups
# in threads it answered. Each is one event in the manifest: message.channels, message.groups, message.mpim.
THREAD_CHANNEL_TYPES = ("channel", "group", "mpim")


def is_thread_reply(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """A person's new reply in a channel thread that does not mention the bot (a mention comes as app_mention too)."""
    return (
        event.get("channel_type") in THREAD_CHANNEL_TYPES
        and event.get("subtype") in (None, "thread_broadcast")  # "also send to channel" is still a reply in the thread
        and not event.get("bot_id")
        and bool(event.get("user"))
        and bool(event.get("thread_ts"))
        and event.get("thread_ts") != event.get("ts")
        and not (bot_user_id and f"<@{bot_user_id}" in str(event.get("text") or ""))
    )


def from_thread_reply(body: Mapping[str, Any]) -> Request:
    """A reply in a thread, answered in that thread. Its text is kept whole: one that starts by addressing someone else
    (<@U…>, <!here>) is for them, and is no follow-up."""
    event = body["event"]
    return Request(
        text=" ".join(unescape(str(event.get("text") or "")).split()),
        user_id=event.get("user") or "",
        workspace_id=workspace_id(body.get("team_id") or event.get("team")),
        channel_id=event.get("channel") or "",
        thread_id=event.get("thread_ts"),
        transport=TRANSPORT,
    )


def is_direct_message(event: Mapping[str, Any]) -> bool:
    """A person's new message in a DM with the bot: not an edit, deletion or join (they have a subtype), not a bot's."""
    return event.get("channel_type") == "im" and not event.get("subtype") and not event.get("bot_id") and bool(event.get("user"))
