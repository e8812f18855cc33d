"""The /cmmi slash command: the answer goes with the acknowledgement, so a command that writes is stored before Slack hears back.

A command that changes data is recorded in the inbox first; its write then marks that record applied in the same
transaction. If the work takes longer than ACK_WITHIN, the ack says so and the answer follows through response_url.
If the process stops in between, the record is finished after the restart (bot/slack/recovery.py)."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import edge
from bot.slack import convert, render
from bot.slack.listeners.base import (
    ACK_WITHIN,
    CANNOT_POST_HERE,
    POST_REFUSED,
    Deps,
    after_change,
    after_response,
    announce,
    deps_of,
    respond,
    send_to_dm,
    share_value,
    with_note,
)
from handlers import UNAVAILABLE, Request, writes

log = logging.getLogger("cmmi_bot.slack")

COMMAND = "/cmmi"
STILL_WORKING = "Working on it… the answer will follow here in a moment."


def slash_command(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    deps = deps_of(context)
    request = convert.from_command(body)
    reply_to = {"response_url": body.get("response_url")}
    key = f"slack:command:{body.get('trigger_id') or uuid.uuid4().hex}"
    recorded = writes(request.text) and deps.deliveries.receive(key, request, kind="command", reply_to=reply_to)
    if recorded is False and writes(request.text):
        ack()  # a second delivery of a command already taken
        return
    if recorded is None and deps.ctx.store is not None:
        # A change that could not be recorded first is not made: acknowledged, it must not be lost.
        ack(**render.notice(UNAVAILABLE), response_type="ephemeral")
        return
    job = deps.work.submit(answer, deps, request, client, key if recorded else None)
    try:
        message = job.result(timeout=ACK_WITHIN)
    except FutureTimeout:
        if not recorded:  # a slow read: record it now, so the answer promised below survives a restart too
            recorded = bool(deps.deliveries.receive(key, request, kind="command", reply_to=reply_to))
        ack(**render.notice(STILL_WORKING), response_type="ephemeral")
        job.add_done_callback(lambda done: deps.work.submit(answer_late, deps, done.result(), reply_to, key if recorded else None))
        return
    if message:
        ack(**message, response_type="ephemeral")
    else:
        ack()  # the answer was posted in the channel; nothing private to add
    if recorded:
        after_response(context, lambda: deps.deliveries.done(key))


def answer_late(deps: Deps, message: dict[str, Any], reply_to: dict[str, Any], key: str | None) -> None:
    sent = respond(reply_to.get("response_url"), message, response_type="ephemeral") if message else True
    if sent and key:
        deps.deliveries.done(key)


def answer(deps: Deps, request: Request, client: WebClient, key: str | None) -> dict[str, Any]:
    """Everything a command does, up to the private message that answers it (the ack's body, or a late response)."""
    try:
        asked = deps.who(request, client)
        outcome = edge.run(asked, deps.ctx, kind="slash command", key=key)
        if outcome.reply is None:
            return render.notice(outcome.notice or "")
        reply = outcome.reply
        after_change(deps, asked, client, outcome)
        if reply.attachments:
            return render.notice(send_to_dm(client, asked, reply))
        if reply.in_channel:
            try:
                client.chat_postMessage(channel=asked.channel_id, **render.message(reply))
            except SlackApiError as exc:
                if exc.response.get("error") not in POST_REFUSED:
                    raise
                return render.notice(CANNOT_POST_HERE)
            return {}
        reply = with_note(reply, announce(client, asked, reply))
        return render.message(reply, asked=asked.text, share_value=share_value(asked.text, reply))
    except Exception:
        return render.notice(edge.apology("slash command", "slack"))
