"""Button presses: "Share in channel". Recorded before the ack, carried out after it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import edge
from bot.slack import convert, render
from bot.slack.listeners.base import POST_REFUSED, Deps, deps_of, respond
from handlers import Request

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
