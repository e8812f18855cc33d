"""Button presses: "Share in channel", and every button or menu a reply offered (Log evidence, Rate, Next, Remove...)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import edge
from bot.slack import convert, render
from bot.slack.listeners import events, views
from bot.slack.listeners.base import POST_REFUSED, Deps, after_response, deps_of, post_or_dm, respond
from handlers import Request, writes
from handlers.support.actions import Kind, permits

log = logging.getLogger("cmmi_bot.slack")

CANNOT_POST = "I can't post in this channel. Invite me first (type `/invite @cmmi-bot` in the channel), then press Share again."
NOT_SHAREABLE = "Only answers and reports can be shared in a channel."


def share(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    deps = deps_of(context)
    request = convert.from_share(body, str(action.get("value") or ""))
    reply_to = {"response_url": body.get("response_url")}
    if not edge.is_shareable(request.text):
        # The value came back from Slack as we sent it, unless someone crafted it: only answers were ever offered.
        ack()
        deps.work.submit(respond, reply_to["response_url"], render.notice(NOT_SHAREABLE), replace_original=False)
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
            shared = render.message(outcome.reply, asked=request.text, asked_by=request.user_id)
            try:
                client.chat_postMessage(channel=request.channel_id, **shared)
            except SlackApiError as exc:
                if exc.response.get("error") not in POST_REFUSED:
                    raise
                respond(response_url, render.notice(CANNOT_POST), replace_original=False)
            else:
                # The answer is in the channel now; the private copy with its button would only be a duplicate.
                respond(response_url, {}, delete_original=True)
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
        deps.work.submit(respond, response_url, render.notice(NOT_OFFERED), replace_original=False)
        return
    key = f"slack:action:{body.get('trigger_id') or uuid.uuid4().hex}"
    recorded = writes(command) and deps.deliveries.receive(key, request, kind="action", reply_to={"response_url": response_url})
    if recorded is False and writes(command):
        ack()
        return
    outcome = edge.run(deps.who(request, client), deps.ctx, kind="button", key=key if recorded else None)
    if outcome.reply is not None and outcome.reply.form is not None and body.get("trigger_id"):
        try:
            views.open_form(client, body["trigger_id"], outcome.reply.form, request)
        except Exception:
            outcome = edge.Outcome(None, edge.apology("form", "slack"))
    ack()
    if outcome.reply is not None and outcome.reply.form is not None and outcome.ok:
        done = None
    elif home:
        deps.work.submit(events.publish_home, deps, request.workspace_id, request.user_id, client, command if kind == Kind.HOME else "home")
        done = None if outcome.ok else outcome.notice
        if done:
            deps.work.submit(post_or_dm, client, request.user_id, request.user_id, render.notice(done))
    else:
        message = render.message(outcome.reply) if outcome.reply else render.notice(outcome.notice or "")
        deps.work.submit(respond, response_url, message, replace_original=kind in REPLACES and outcome.ok)
    if recorded:
        after_response(context, lambda: deps.deliveries.done(key))
