"""Button presses: "Share in channel", and every button or menu a reply offered (Log evidence, Rate, Next, Remove...)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import edge
from bot.slack import convert, render
from bot.slack.listeners import events, views
from bot.slack.listeners.base import (
    POST_REFUSED,
    Deps,
    after_change,
    after_response,
    announce,
    deps_of,
    post_or_dm,
    publish_home,
    respond,
    respond_beside,
    send_to_dm,
    share_value,
    with_note,
)
from handlers import UNAVAILABLE, Request, writes
from handlers.support.actions import Kind, permits

log = logging.getLogger("cmmi_bot.slack")

CANNOT_POST = "I can't post in this channel. Invite me first (type `/invite @cmmi-bot` in the channel), then press Share again."
NOT_SHAREABLE = "Only answers and reports can be shared in a channel."


def shared_command(value: str) -> str:
    """The command a Share button stands for. It carries the question as typed ("what does WMC.SP1.6 require", or
    "Status ML3"); as a command that is `ask …` or `status …`, the shape permits() checks for Share."""
    first, _, rest = value.strip().partition(" ")
    if first.lower() in ("status", "gaps", "ask"):
        return f"{first.lower()} {rest}".strip()
    return f"ask {value.strip()}"


def share(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Post the answer the presser saw in the channel, for everyone.

    The answer is worked out again, as the presser, where they saw it: an answer about the model comes out the same,
    so the channel gets exactly what they saw. An answer that rests on stored data (a report, the channel's evidence
    for a practice) may have changed since; the button's block carries the fingerprint of what was shown, and a
    shared answer that differs from it says so, with the time it is from."""
    deps = deps_of(context)
    command = shared_command(str(action.get("value") or ""))
    request = convert.from_share(body, command)
    reply_to = {"response_url": body.get("response_url"), "seen": render.seen_fingerprint(action.get("block_id"))}
    if not permits(Kind.SHARE, command):
        # The value came back from Slack as we sent it, unless someone crafted it: only answers were ever offered.
        ack()
        deps.work.submit(respond_beside, reply_to["response_url"], render.notice(NOT_SHAREABLE))
        return
    key = f"slack:action:{body.get('trigger_id') or action.get('action_ts')}"
    recorded = deps.deliveries.receive(key, request, kind="action", reply_to=reply_to)
    ack()
    if recorded is not False:
        deps.work.submit(post_shared, deps, request, client, reply_to, key if recorded else None)


def post_shared(deps: Deps, request: Request, client: WebClient, reply_to: dict[str, Any], key: str | None) -> None:
    response_url = reply_to.get("response_url")
    try:
        outcome = edge.run(deps.who(request, client), deps.ctx, kind="share", key=key)
        if outcome.reply is None:
            respond(response_url, render.notice(outcome.notice or ""), replace_original=False)
        else:
            changed = render.fingerprint(outcome.reply) != reply_to.get("seen")
            asked = request.text.removeprefix("ask ")
            shared = render.message(outcome.reply, asked=asked, asked_by=request.user_id, as_of=datetime.now(UTC) if changed else None)
            try:
                posted = client.chat_postMessage(channel=request.channel_id, **shared)
            except SlackApiError as exc:
                if exc.response.get("error") not in POST_REFUSED:
                    raise
                respond(response_url, render.notice(CANNOT_POST), replace_original=False)
            else:
                # The answer is in the channel now; the private copy with its button would only be a duplicate.
                respond(response_url, {}, delete_original=True)
                events.remember_topic(deps, request, outcome.reply, thread_id=posted.get("ts"))  # replies to it follow up
    except Exception:
        respond(response_url, render.notice(edge.apology("share", "slack")), replace_original=False)
    if key:
        deps.deliveries.done(key)


NOT_OFFERED = "That button is not one cmmi-bot offered, so nothing was done."
REPLACES = (Kind.PAGE, Kind.FILTER)  # the list is shown again in place of the old page


def core_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Any button or menu the core asked for (action_id cmmi:<kind>:<n>): run its command as if the presser typed it.

    The command is checked against what its kind may carry first. A form opens as a modal at once (trigger IDs last 3 s);
    a change is stored before the ack; answers follow privately, a new page replaces the old one, Home is redrawn."""
    deps = deps_of(context)
    kind = str(action.get("action_id") or "").split(":")[1] if ":" in str(action.get("action_id") or "") else ""
    command = str(action.get("value") or (action.get("selected_option") or {}).get("value") or "")
    home = (body.get("view") or {}).get("type") == "home"
    request = convert.from_action(body, command)
    response_url = body.get("response_url")
    if not permits(kind, command):
        ack()
        log.warning("refused a %s action whose command its kind cannot carry", kind or "nameless")
        deps.work.submit(respond_beside, response_url, render.notice(NOT_OFFERED))
        return
    key = f"slack:action:{body.get('trigger_id') or uuid.uuid4().hex}"
    recorded = writes(command) and deps.deliveries.receive(key, request, kind="action", reply_to={"response_url": response_url})
    if recorded is False and writes(command):
        ack()
        return
    if recorded is None and deps.ctx.store is not None:  # a change that could not be recorded first is not made
        ack()
        deps.work.submit(respond_beside, response_url, render.notice(UNAVAILABLE))
        return
    asked = deps.who(request, client)
    outcome = edge.run(asked, deps.ctx, kind="button", key=key if recorded else None)
    if outcome.reply is not None and outcome.reply.form is not None and body.get("trigger_id"):
        try:
            views.open_form(client, body["trigger_id"], outcome.reply.form, request)
        except Exception:
            outcome = edge.Outcome(None, edge.apology("form", "slack"))
    ack()
    if outcome.reply is not None and outcome.reply.form is not None and outcome.ok:
        pass  # the modal is open; its submission answers
    elif home:
        deps.work.submit(publish_home, deps, request.workspace_id, request.user_id, client, command if kind == Kind.HOME else "home")
        if not outcome.ok:
            deps.work.submit(post_or_dm, client, request.user_id, request.user_id, render.notice(outcome.notice or ""))
    else:
        deps.work.submit(answer, deps, client, asked, outcome, response_url, kind in REPLACES and outcome.ok)
        after_change(deps, asked, client, outcome)
    if recorded:
        after_response(context, lambda: deps.deliveries.done(key))


def answer(deps: Deps, client: WebClient, request: Request, outcome: edge.Outcome, response_url: str | None, in_place: bool) -> None:
    """A pressed button's answer, privately through response_url: a new page or filter in place of the old list."""
    try:
        reply = outcome.reply
        if reply is None:
            message = render.notice(outcome.notice or "")
        elif reply.attachments:
            message = render.notice(send_to_dm(client, request, reply))
        else:
            reply = with_note(reply, announce(client, request, reply))
            message = render.message(reply, share_value=share_value(request.text, reply))
    except Exception:
        message, in_place = render.notice(edge.apology("button answer", "slack")), False
    respond(response_url, message, replace_original=in_place)
