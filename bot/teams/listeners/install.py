"""The welcome: when cmmi-bot is added to a personal chat, a group chat or a team, it says what it does and how to start."""

from __future__ import annotations

from typing import Any

from bot.teams import convert, render
from bot.teams.listeners.base import Deps, delivery_key, dump, finish, in_thread, receive, send
from handlers.support.welcome import welcome


def bot_was_added(activity: dict[str, Any]) -> bool:
    """A conversationUpdate whose membersAdded names the bot itself (people joining later are not welcomed)."""
    bot_id = (activity.get("recipient") or {}).get("id")
    return bool(bot_id) and any(isinstance(m, dict) and m.get("id") == bot_id for m in activity.get("membersAdded") or ())


async def on_conversation_update(deps: Deps, activity_ctx: Any) -> None:
    activity = dump(activity_ctx.activity)
    if not bot_was_added(activity):
        return
    request = convert.request_for(activity, "welcome", via="action")
    key = delivery_key(activity)
    recorded = await in_thread(receive, deps, key, request, "welcome")
    if recorded is False:
        return
    await send(activity_ctx, render.welcome_message(welcome()))
    await in_thread(finish, deps, key, recorded)
