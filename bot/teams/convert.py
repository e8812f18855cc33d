"""Convert Teams message activities (as JSON dictionaries) into transport-neutral handler Requests."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from handlers import Request

TRANSPORT = "teams"
# Stored workspace IDs carry their transport, so a Teams tenant and a Slack team with the same ID never share data.
WORKSPACE_PREFIX = "teams:"
PERSONAL = "personal"
_AT_TAG = re.compile(r"<at(?:\s[^>]*)?>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_THREAD_SUFFIX = ";messageid="


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def tenant_of(activity: Mapping[str, Any]) -> str:
    """The Teams tenant: cmmi-bot's workspace."""
    tenant = _dict(_dict(activity.get("channelData")).get("tenant")).get("id")
    return str(tenant or _dict(activity.get("conversation")).get("tenantId") or "")


def workspace_id(activity: Mapping[str, Any]) -> str:
    """cmmi-bot's workspace ID for the activity's tenant: 'teams:<tenant>', or '' when it names none (dispatch refuses that).
    Conversation references keep the bare tenant ID: that is what Teams knows."""
    tenant = tenant_of(activity)
    return f"{WORKSPACE_PREFIX}{tenant}" if tenant else ""


def base_conversation_id(conversation_id: str) -> str:
    """A channel thread's conversation ID is the channel's ID plus ';messageid=ROOT'; the channel is what a group is bound to."""
    return conversation_id.split(_THREAD_SUFFIX, 1)[0]


def is_personal(activity: Mapping[str, Any]) -> bool:
    return _dict(activity.get("conversation")).get("conversationType") == PERSONAL


def mentions_bot(activity: Mapping[str, Any]) -> bool:
    bot_id = _dict(activity.get("recipient")).get("id")
    return any(
        _dict(e).get("type") == "mention" and _dict(_dict(e).get("mentioned")).get("id") == bot_id for e in activity.get("entities") or ()
    )


def command_text(activity: Mapping[str, Any]) -> str:
    """The text after the bot's mention, as the person typed it.

    The bot's own mention (its entity's text, e.g. '<at>cmmi</at>') is removed; other people's mentions keep
    their names. Teams sends typed '<', '>' and '&' as HTML entities, which are undone last so typed text
    such as '<at>' reaches the core as text and can never become a tag here."""
    text = str(activity.get("text") or "")
    bot_id = _dict(activity.get("recipient")).get("id")
    for entity in activity.get("entities") or ():
        entity = _dict(entity)
        mentioned = _dict(entity.get("mentioned"))
        if entity.get("type") == "mention" and bot_id and mentioned.get("id") == bot_id:
            tag = entity.get("text") or (f"<at>{mentioned['name']}</at>" if mentioned.get("name") else "")
            if tag:
                text = text.replace(str(tag), " ")
    text = _AT_TAG.sub(lambda m: m.group(1), text)
    return " ".join(html.unescape(text).split())


def reference(activity: Mapping[str, Any]) -> dict[str, Any]:
    """What is needed to post in this conversation later (a conversation reference), as plain JSON.

    For a channel the reference is the channel itself, not the thread the command came from, so a digest
    starts a new post in the channel."""
    conversation = _dict(activity.get("conversation"))
    recipient = _dict(activity.get("recipient"))
    return {
        "channelId": activity.get("channelId") or "msteams",
        "serviceUrl": activity.get("serviceUrl") or "",
        "conversationId": base_conversation_id(str(conversation.get("id") or "")),
        "conversationType": conversation.get("conversationType") or "",
        "tenantId": tenant_of(activity),
        "botId": recipient.get("id") or "",
        "botName": recipient.get("name") or "",
    }


def user_id(account: Mapping[str, Any]) -> str:
    """A person's ID as cmmi-bot keeps it: the AAD object ID (the same in every chat), else the Teams user ID."""
    return str(account.get("aadObjectId") or account.get("id") or "")


def request_for(activity: Mapping[str, Any], text: str, *, form: dict[str, str] | None = None, via: str = "typed") -> Request:
    """A Request from this activity's sender, tenant and conversation."""
    conversation_id = str(_dict(activity.get("conversation")).get("id") or "")
    return Request(
        text=text,
        user_id=user_id(_dict(activity.get("from"))),
        workspace_id=workspace_id(activity),
        channel_id=base_conversation_id(conversation_id),
        thread_id=conversation_id if _THREAD_SUFFIX in conversation_id else None,
        transport=TRANSPORT,
        timezone=activity.get("localTimezone") or None,
        address=reference(activity),
        form=form,
        via=via,
    )


def from_activity(activity: Mapping[str, Any]) -> Request | None:
    """A message to the bot as a Request, or None when it is not addressed to the bot (a channel message without
    its mention) or carries no text (a card or file only)."""
    if not is_personal(activity) and not mentions_bot(activity):
        return None
    text = command_text(activity)
    if not text:
        return None
    return request_for(activity, text)


def pressed(value: Any, key: str) -> tuple[str, str] | None:
    """A pressed card button's kind and command from its Action.Submit data (`value[key]`), with a menu's chosen value put
    in its place; None when the data is not a button of ours. The command is not trusted: the caller checks it."""
    data = _dict(_dict(value).get(key))
    kind, command = data.get("kind"), data.get("command")
    if not isinstance(kind, str) or not isinstance(command, str):
        return None
    choice = data.get("choice")
    if choice is not None:
        chosen = _dict(value).get(choice) if isinstance(choice, str) else None
        if not isinstance(chosen, str) or not chosen or "{value}" not in command:
            return None
        command = command.replace("{value}", chosen)
    return kind, command


def people(activity: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(user ID, display name) for the sender and everyone mentioned, the bot itself left out."""
    bot_id = _dict(activity.get("recipient")).get("id")
    found: list[tuple[str, str]] = []
    sender = _dict(activity.get("from"))
    if sender.get("name"):
        found.append((user_id(sender), str(sender["name"])))
    for entity in activity.get("entities") or ():
        mentioned = _dict(_dict(entity).get("mentioned"))
        if _dict(entity).get("type") == "mention" and mentioned.get("id") != bot_id and mentioned.get("name"):
            found.append((user_id(mentioned), str(mentioned["name"])))
    return [(who, name) for who, name in found if who]


class _Text(HTMLParser):
    """The words of a Teams message's HTML body: tags dropped, line and paragraph breaks kept, entities undone."""

    BREAKS = frozenset({"br", "p", "div", "li", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(content: str) -> str:
    parser = _Text()
    parser.feed(content)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def message_payload(value: Any) -> tuple[str, str]:
    """The link to a message and its text, from a message extension's messagePayload (HTML bodies as plain words)."""
    payload = _dict(_dict(value).get("messagePayload"))
    body = _dict(payload.get("body"))
    content = str(body.get("content") or "")
    text = html_text(content) if str(body.get("contentType") or "html").lower() == "html" else content.strip()
    return str(payload.get("linkToMessage") or ""), text
