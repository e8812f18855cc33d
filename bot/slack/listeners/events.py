"""Events: @mentions, direct messages and App Home. Recorded (unique by event ID) before the ack, answered after it.

The record is what makes a redelivered event (X-Slack-Retry-Num), on this replica or another, a no-op."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot import edge
from bot.slack import convert, render, views
from bot.slack.listeners.base import Deps, deps_of
from handlers import Reply, Request, Section

log = logging.getLogger("cmmi_bot.slack")


def app_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if str(event.get("channel", "")).startswith("D"):
        return  # a mention inside a DM is answered as a direct message, once
    take(deps_of(context), body, convert.from_mention(body, context.bot_user_id), client)


def message(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    # Every message event is acknowledged; only a person's new DM to the bot gets an answer.
    if convert.is_direct_message(event):
        take(deps_of(context), body, convert.from_direct_message(body, context.bot_user_id), client)


def take(deps: Deps, body: dict[str, Any], request: Request, client: WebClient) -> None:
    """Record the event, then answer it after the ack; a redelivery of a recorded event is skipped."""
    key = f"slack:event:{body.get('event_id')}"
    reply_to = {"channel": request.channel_id, "thread": request.thread_id}
    recorded = deps.deliveries.receive(key, request, kind="event", reply_to=reply_to)
    if recorded is False:
        log.info("skipped event %s: already taken", body.get("event_id"))
        return
    deps.work.submit(answer, deps, request, client, key if recorded else None)


def answer(deps: Deps, request: Request, client: WebClient, key: str | None) -> None:
    try:
        outcome = edge.run(deps.who(request, client), deps.ctx, kind="message", key=key)
        if outcome.reply is None and request.channel_id.startswith(("C", "G")):
            # What to type instead is for the person who typed it, not the whole channel.
            client.chat_postEphemeral(
                channel=request.channel_id, user=request.user_id, thread_ts=request.thread_id, **render.notice(outcome.notice or "")
            )
        else:
            text = render.message(outcome.reply) if outcome.reply else render.notice(outcome.notice or "")
            client.chat_postMessage(channel=request.channel_id, thread_ts=request.thread_id, **text)
    except Exception:
        edge.apology("message answer", "slack")
        return
    if key:
        deps.deliveries.done(key)


def app_home_opened(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return  # the Messages tab: nothing to draw
    deps_of(context).work.submit(publish_home, deps_of(context), convert.workspace_of(body), event["user"], client)


def publish_home(deps: Deps, workspace_id: str, user_id: str, client: WebClient, command: str = "home") -> None:
    """Draw (or redraw) a person's Home tab: the `home` dashboard, or what went wrong in its place."""
    try:
        request = Request(text=command, user_id=user_id, workspace_id=workspace_id, channel_id=user_id, transport=convert.TRANSPORT)
        outcome = edge.run(deps.who(request, client), deps.ctx, kind="App Home")
        reply = outcome.reply or Reply(text=outcome.notice or "", sections=(Section(body=outcome.notice or ""),))
        client.views_publish(user_id=user_id, view=views.home(reply))
    except Exception:
        edge.apology("App Home", "slack")
