"""Messages: what people type (in personal chat, or with @cmmi in a channel or group chat) and the card buttons they press.

Each message is recorded (unique by activity ID) before it is handled, so a connector retry is a no-op; the Teams SDK
answers the HTTP request only after this has run, so anything written is committed before Teams hears back."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from bot import edge
from bot.teams import convert, render
from bot.teams.listeners import files
from bot.teams.listeners.base import (
    NOT_OFFERED,
    Deps,
    announcement_names,
    delivery_key,
    dump,
    finish,
    in_thread,
    kind_named,
    post,
    receive,
    remember_people,
    reply_message,
    run,
    send,
)
from handlers import Reply, Request
from handlers.support.actions import permits

log = logging.getLogger("cmmi_bot.teams")

CHANNEL, GROUP_CHAT = "channel", "groupChat"


def incoming(activity: dict[str, Any]) -> Request | str | None:
    """The request a message carries: a pressed button's command (checked against what its kind may carry), what was
    typed, or None when it is not for the bot. A string: the refusal to say instead."""
    value = activity.get("value")
    if isinstance(value, dict) and render.DATA_KEY in value:
        pressed = convert.pressed(value, render.DATA_KEY)
        if pressed is None or not permits(*pressed):
            log.warning("refused a %s action whose command its kind cannot carry", kind_named(pressed))
            return NOT_OFFERED
        return convert.request_for(activity, pressed[1], via="action")
    request = convert.from_activity(activity)
    if request is not None and convert.is_personal(activity):
        request = as_dashboard(request)
    return request


def as_dashboard(request: Request) -> Request:
    """`status` in a personal chat is the dashboard (Slack's App Home): readiness, top gaps, your evidence, filters.
    With --chart it stays the report, which carries the heatmap (the dashboard has none)."""
    words = request.text.split()
    charted = any(w.lower() == "--chart" for w in words)
    if words and words[0].lower() == "status" and not charted and (len(words) == 1 or words[1].lower().startswith("--group")):
        return replace(request, text=" ".join(["home", *words[1:]]))
    return request


async def on_message(deps: Deps, activity_ctx: Any) -> None:
    activity = dump(activity_ctx.activity)
    await in_thread(remember_people, deps, activity)
    request = incoming(activity)
    if request is None:
        return
    if isinstance(request, str):
        await send(activity_ctx, render.notice(request))
        return
    key = delivery_key(activity)
    recorded = await in_thread(receive, deps, key, request, "message")
    if recorded is False:
        log.info("skipped a Teams message already taken")
        return
    outcome = await in_thread(run, deps, request, "message", key if recorded else None)
    try:
        await answer(deps, activity_ctx, activity, request, outcome)
    except Exception:
        # Left open in the record: the person may see the answer twice after a restart, never none.
        edge.apology("message answer", "teams")
        return
    await in_thread(finish, deps, key, recorded)


async def answer(deps: Deps, activity_ctx: Any, activity: dict[str, Any], request: Request, outcome: edge.Outcome) -> None:
    reply = outcome.reply
    attached = reply.attachments if reply is not None else ()
    documents = tuple(a for a in attached if not render.is_picture(a))
    if reply is not None and documents:
        await files.offer(deps, activity_ctx, activity, request, replace(reply, attachments=documents))
    elif reply is not None and attached:
        await show_pictures(deps, activity_ctx, activity, request, reply, outcome)
    else:
        await send(activity_ctx, await in_thread(reply_message, deps, request, outcome, activity))
    if reply is not None and reply.announce:
        await announce(deps, activity_ctx, activity, request, reply)


async def show_pictures(
    deps: Deps, activity_ctx: Any, activity: dict[str, Any], request: Request, reply: Reply, outcome: edge.Outcome
) -> None:
    """A reply with a picture (status --chart): in a personal chat the picture goes inline beside the card; in a channel
    or group chat the card is answered for everyone and the picture is offered in the personal chat."""
    message = await in_thread(reply_message, deps, request, outcome, activity)
    if convert.is_personal(activity):
        for part in render.with_pictures(message, reply.attachments):
            await send(activity_ctx, part)
        return
    await send(activity_ctx, message)
    bot_id = str((request.address or {}).get("botId") or "")
    await send(activity_ctx, render.pictures_elsewhere(reply, bot_id=bot_id, command=request.text))


async def announce(deps: Deps, activity_ctx: Any, activity: dict[str, Any], request: Request, reply: Any) -> None:
    """A channel-wide change is said in the channel for everyone (a new post at its top level, not in the thread where it
    was typed), naming who made it. A personal chat has no one else to tell."""
    scope = (activity.get("conversation") or {}).get("conversationType")
    if scope not in (CHANNEL, GROUP_CHAT):
        return
    names = await in_thread(announcement_names, deps, request, reply, activity)
    message = render.announcement(reply.announce, request.user_id, names)
    try:
        await post(activity_ctx.api, request.address or {}, request.channel_id, message)
    except Exception as exc:
        log.warning("could not post an announcement in a Teams %s (%s)", scope, type(exc).__name__)
