"""Finish Teams deliveries that a stopped process left open: carry them out if they were not, and answer them either way.

Every activity is recorded before it is handled (bot/teams/listeners); one whose process stopped before it was answered
stays open. After CMMI_RECOVER_AFTER_SECONDS one process claims it (exactly one, whatever the number of replicas) and
posts the answer in the conversation it came from, through its stored conversation reference."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Protocol

from bot import edge
from bot.teams import render
from bot.teams.listeners.base import Deps, reply_message, run
from handlers.support.welcome import welcome
from store import Received

log = logging.getLogger("cmmi_bot.teams")

NOT_STORED = "cmmi-bot restarted before your form (“{text}”) was stored. Please fill it in and submit it again."
AGAIN = "cmmi-bot restarted while handling “{text}”. Please try it again."


class Poster(Protocol):
    def post(self, address: dict[str, Any], conversation_id: str, activity: dict[str, Any]) -> str: ...


def recover(deps: Deps, poster: Poster, *, stale_after: timedelta) -> int:
    """Claim and finish this transport's open deliveries older than stale_after; returns how many were finished."""
    store = deps.ctx.store
    if store is None:
        return 0
    finished = 0
    for item in store.inbox.claim_stale(owner=deps.deliveries.owner, stale_after=stale_after, transport="teams"):
        try:
            finish(deps, poster, item)
            finished += 1
        except Exception:
            # Left claimed: another attempt follows after stale_after, up to the inbox's limit.
            log.exception("could not finish an open Teams %s", item.kind)
    if finished:
        log.info("finished %d Teams deliveries left open by a stopped process", finished)
    return finished


def answer_for(deps: Deps, item: Received) -> dict[str, Any]:
    """What to say for an open delivery: its answer (carried out now if its write had not happened), or what to do."""
    request = edge.from_payload(item.payload["request"])
    recovered = render.notice(edge.RECOVERED.format(text=request.text))
    if item.kind == "message":
        if item.applied:
            return recovered
        outcome = run(deps, request, "message", item.key)
        if outcome.reply is not None and (outcome.reply.attachments or outcome.reply.form is not None):
            return render.notice(AGAIN.format(text=request.text))  # files and dialogs need the person there
        return reply_message(deps, request, outcome, {})
    if item.kind == "form":
        # A dialog's submission is handled before the invoke is answered: not applied means Teams showed an error.
        return recovered if item.applied else render.notice(NOT_STORED.format(text=request.text))
    if item.kind == "welcome":
        return render.welcome_message(welcome())
    return render.notice(AGAIN.format(text=request.text))


def finish(deps: Deps, poster: Poster, item: Received) -> None:
    payload = item.payload or {}
    request = edge.from_payload(payload["request"])
    address = payload.get("reply_to") or request.address or {}
    if not address.get("serviceUrl"):
        log.warning("an open Teams %s had no conversation reference; it was dropped", item.kind)
    else:
        poster.post(address, request.thread_id or request.channel_id, answer_for(deps, item))
    deps.deliveries.done(item.key)
