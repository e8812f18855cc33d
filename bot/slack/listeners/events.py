"""Events: @mentions, direct messages, follow-ups in threads the bot answered, and App Home. Recorded (unique by event ID)
before the ack, answered after it.

The record is what makes a redelivered event (X-Slack-Retry-Num), on this replica or another, a no-op. A reply in a
channel thread is recorded only once it is known to be a follow-up in a thread with a context: the bot hears every
message in the channels it is in, and ordinary conversation costs one pattern match, no database write."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot import edge
from bot.slack import convert, render
from bot.slack.listeners.base import Deps, after_change, announce, deps_of, in_channel, publish_home, upload, with_note
from handlers import Reply, Request
from handlers.support import followup
from store import StoreUnavailable

log = logging.getLogger("cmmi_bot.slack")


def app_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if str(event.get("channel", "")).startswith("D"):
        return  # a mention inside a DM is answered as a direct message, once
    take(deps_of(context), body, convert.from_mention(body, context.bot_user_id), client)


def message(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    # Every message event is acknowledged; a person's new DM to the bot is answered, and a follow-up in a thread.
    if convert.is_direct_message(event):
        take(deps_of(context), body, convert.from_direct_message(body, context.bot_user_id), client)
    elif convert.is_thread_reply(event, context.bot_user_id):
        thread_reply(deps_of(context), body, convert.from_thread_reply(body), client)


def thread_reply(deps: Deps, body: dict[str, Any], request: Request, client: WebClient) -> None:
    """A reply in a channel thread without a mention: answered when it is a follow-up, in a thread the bot answered about
    an element in. Anything else is left alone; only a follow-up costs a database read."""
    store = deps.ctx.store
    if store is None or followup.recognise(request.text) is None or not request.thread_id:
        return
    try:
        topic = store.threads.topic(workspace_id=request.workspace_id, channel_id=request.channel_id, thread_id=request.thread_id)
    except StoreUnavailable:
        log.warning("could not look up a thread's context: the database is unavailable")
        return
    if topic is not None:
        take(deps, body, request, client, element=topic.element_id)


def take(deps: Deps, body: dict[str, Any], request: Request, client: WebClient, element: str | None = None) -> None:
    """Record the event, then answer it after the ack; a redelivery of a recorded event is skipped. `element`: what the
    thread of a follow-up is about (kept with the record, so a restart resolves it the same way)."""
    key = f"slack:event:{body.get('event_id')}"
    reply_to = {"channel": request.channel_id, "thread": request.thread_id, **({"element": element} if element else {})}
    recorded = deps.deliveries.receive(key, request, kind="event", reply_to=reply_to)
    if recorded is False:
        log.info("skipped event %s: already taken", body.get("event_id"))
        return
    deps.work.submit(answer, deps, request, client, key if recorded else None, element)


def run(deps: Deps, request: Request, key: str | None, element: str | None) -> edge.Outcome:
    """A message's outcome: dispatched as typed, or, for a follow-up, against the element its thread is about."""
    if element is None:
        return edge.run(request, deps.ctx, kind="message", key=key)
    return edge.run(replace(request, topic=element), deps.ctx, kind="thread follow-up", key=key)


def answer(deps: Deps, request: Request, client: WebClient, key: str | None, element: str | None = None) -> None:
    try:
        asked = deps.who(request, client)
        outcome = run(deps, asked, key, element)
        reply, notice = outcome.reply, outcome.notice
        if reply is not None and reply.attachments:
            # Files go where they were asked for: into the DM, or into the mention's thread. Only a failure is said.
            notice, reply = upload(client, reply, request.channel_id, request.thread_id), None
        elif reply is not None:
            reply = with_note(reply, announce(client, asked, reply))
        if reply is None and notice and in_channel(request.channel_id):
            # What to type instead is for the person who typed it, not the whole channel.
            client.chat_postEphemeral(
                channel=request.channel_id, user=request.user_id, thread_ts=request.thread_id, **render.notice(notice)
            )
        elif reply is not None or notice:
            message = render.message(reply) if reply is not None else render.notice(notice or "")
            client.chat_postMessage(channel=request.channel_id, thread_ts=request.thread_id, **message)
        if reply is not None:
            remember_topic(deps, request, reply)
        after_change(deps, asked, client, outcome)
    except Exception:
        edge.apology("message answer", "slack")
        return
    if key:
        deps.deliveries.done(key)


def remember_topic(deps: Deps, request: Request, reply: Reply, thread_id: str | None = None) -> None:
    """After an answer about one element in a channel thread: that is what the thread is about now, for follow-ups."""
    store, thread = deps.ctx.store, thread_id or request.thread_id
    element = reply.topic
    if store is None or element is None or not thread or not in_channel(request.channel_id):
        return
    try:
        store.threads.remember(workspace_id=request.workspace_id, channel_id=request.channel_id, thread_id=thread, element_id=element)
    except StoreUnavailable:
        log.warning("could not record what a thread is about: the database is unavailable")


def app_home_opened(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return  # the Messages tab: nothing to draw
    deps, workspace = deps_of(context), convert.workspace_of(body)
    deps.home.opened(workspace, event["user"])  # from now on, their changes redraw it
    deps.work.submit(publish_home, deps, workspace, event["user"], client)
