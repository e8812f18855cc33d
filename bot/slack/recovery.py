"""Finish Slack deliveries that a stopped process left open: carry them out if they were not, and answer them either way."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from slack_sdk import WebClient

from bot import edge
from bot.slack import render
from bot.slack.listeners import actions, commands, events
from bot.slack.listeners.base import Deps, post_or_dm, respond
from store import Received

log = logging.getLogger("cmmi_bot.slack")

NOT_STORED = "cmmi-bot restarted before your evidence from “Log as CMMI evidence” was stored. Please log it again."


def recover(deps: Deps, client_for: Callable[[str], WebClient], *, stale_after: timedelta) -> int:
    """Claim and finish this transport's open deliveries older than stale_after; returns how many were finished."""
    store = deps.ctx.store
    if store is None:
        return 0
    finished = 0
    for item in store.inbox.claim_stale(owner=deps.deliveries.owner, stale_after=stale_after, transport="slack"):
        try:
            finish(deps, item, client_for(item.workspace_id))
            finished += 1
        except Exception:
            # Left claimed: another attempt follows after stale_after, up to the inbox's limit.
            log.exception("could not finish an open Slack %s", item.kind)
    if finished:
        log.info("finished %d Slack deliveries left open by a stopped process", finished)
    return finished


def finish(deps: Deps, item: Received, client: WebClient) -> None:
    payload = item.payload
    request = edge.from_payload(payload["request"])
    reply_to = payload.get("reply_to") or {}
    recovered = render.notice(edge.RECOVERED.format(text=request.text))
    if item.kind == "command":
        message = recovered if item.applied else commands.answer(deps, request, client, item.key)
        commands.answer_late(deps, message, reply_to, item.key)
    elif item.kind == "event":
        if item.applied:
            client.chat_postMessage(channel=request.channel_id, thread_ts=request.thread_id, **recovered)
            deps.deliveries.done(item.key)
        else:
            events.answer(deps, request, client, item.key, reply_to.get("element"))
    elif item.kind == "action":
        if item.applied:
            respond(reply_to.get("response_url"), recovered, replace_original=False)
            deps.deliveries.done(item.key)
        else:
            actions.post_shared(deps, request, client, reply_to, item.key)
    elif item.kind == "view":
        # The form's submission is handled before its ack: not applied means Slack showed the person an error.
        message = recovered if item.applied else render.notice(NOT_STORED)
        post_or_dm(client, request.channel_id, request.user_id, message)
        deps.deliveries.done(item.key)
    else:
        log.warning("an open Slack delivery of unknown kind %r was dropped", item.kind)
        deps.deliveries.done(item.key)
