"""Convert Teams message activities (as JSON dictionaries) into transport-neutral handler Requests."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
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


def from_activity(activity: Mapping[str, Any]) -> Request | None:
    """A message to the bot as a Request, or None when it is not addressed to the bot (a channel message without
    its mention) or carries no text (a card or file only)."""
    if not is_personal(activity) and not mentions_bot(activity):
        return None
    text = command_text(activity)
    if not text:
        return None
    sender = _dict(activity.get("from"))
    conversation_id = str(_dict(activity.get("conversation")).get("id") or "")
    return Request(
        text=text,
        user_id=str(sender.get("aadObjectId") or sender.get("id") or ""),
        workspace_id=workspace_id(activity),
        channel_id=base_conversation_id(conversation_id),
        thread_id=conversation_id if _THREAD_SUFFIX in conversation_id else None,
        transport=TRANSPORT,
        timezone=activity.get("localTimezone") or None,
        address=reference(activity),
    )
