"""Forms as modals: the "Log as CMMI evidence" message shortcut, the practice picker as people type, and every submission.

A form comes from the core (handlers), like any reply; its submission goes back through dispatch as a Request with the
form's values, and is stored before the ack. Field errors keep the modal open with what the person typed."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import edge
from bot.slack import convert, render, views
from bot.slack.listeners.base import Deps, after_change, after_response, announce, deps_of, post_or_dm, with_note
from handlers import UNAVAILABLE, Form, FormError, Reply, Request, UserError, dispatch
from index.picker import practice_choices
from store import StoreUnavailable
from store import inbox as inbox_scope

log = logging.getLogger("cmmi_bot.slack")

LOG_EVIDENCE_SHORTCUT = "log_evidence"  # the manifest's message shortcut
FORM_CALLBACK = views.FORM_CALLBACK
PRACTICE_FIELD = "practice"  # the practice picker's action_id: its options come from the model search
NO_PERMALINK = "I could not get a link to that message. Invite me to the channel (`/invite @cmmi-bot`) and try again."
MAX_PREFILL = 2000


def open_form(client: WebClient, trigger_id: str, form: Form, request: Request, excerpt: str = "") -> None:
    """Open a core form as a modal. Its metadata (kept by Slack, not by the person's client) names the command it runs."""
    metadata = json.dumps({"command": form.command, "channel": request.channel_id, "hidden": dict(form.hidden)}, separators=(",", ":"))
    if len(metadata) > views.MAX_METADATA:
        metadata = json.dumps({"command": form.command, "channel": request.channel_id, "hidden": {}}, separators=(",", ":"))
    client.views_open(trigger_id=trigger_id, view=views.form_view(form, metadata, excerpt))


def open_evidence_form(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """The message shortcut: the evidence form, prefilled with the message's link and text."""
    ack()
    deps = deps_of(context)
    channel_id = (body.get("channel") or {}).get("id") or ""
    message = body.get("message") or {}
    message_ts = message.get("ts") or body.get("message_ts") or ""
    text = convert.unescape(str(message.get("text") or ""))
    try:
        try:
            # Asked now, while the form opens, so a failure is seen before anyone types anything.
            permalink = client.chat_getPermalink(channel=channel_id, message_ts=message_ts)["permalink"]
        except SlackApiError as exc:
            log.warning("chat.getPermalink failed (%s)", exc.response.get("error"))
            client.views_open(trigger_id=body["trigger_id"], view=views.notice_modal(NO_PERMALINK, "Log CMMI evidence"))
            return
        request = Request(
            text="evidence form", user_id=(body.get("user") or {}).get("id") or "", workspace_id=convert.workspace_of(body),
            channel_id=channel_id, transport=convert.TRANSPORT, form={"link": permalink, "note": text[:MAX_PREFILL]}, via="action",
        )  # fmt: skip
        outcome = edge.run(request, deps.ctx, kind="message shortcut")
        if outcome.reply is None or outcome.reply.form is None:
            client.views_open(trigger_id=body["trigger_id"], view=views.notice_modal(outcome.notice or "", "Log CMMI evidence"))
            return
        open_form(client, body["trigger_id"], outcome.reply.form, request, excerpt=text)
    except Exception:
        edge.apology("message shortcut", "slack")


def practice_options(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    try:
        choices = practice_choices(deps_of(context).ctx.index, str(body.get("value") or ""))
    except Exception:
        log.exception("practice search failed")
        choices = []
    ack(options=views.practice_options(choices))


def form_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Run the form's command with its values before the ack: errors keep the modal open; success closes it."""
    deps = deps_of(context)
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        command, channel_id = str(metadata["command"]), str(metadata.get("channel") or "")
        hidden = {str(k): str(v) for k, v in (metadata.get("hidden") or {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        ack(response_action="errors", errors={})
        return
    values = {**views.read_values((view.get("state") or {}).get("values") or {}), **hidden}
    user = body.get("user") or {}
    request = Request(
        text=command, user_id=user.get("id") or "", workspace_id=convert.workspace_of(body), channel_id=channel_id,
        transport=convert.TRANSPORT, form=values, via="form",
    )  # fmt: skip
    request = deps.who(request, client) if deps.ctx.store is not None else request
    key = f"slack:view:{body.get('trigger_id') or uuid.uuid4().hex}"
    recorded = deps.deliveries.receive(key, request, kind="view", reply_to={"channel": channel_id, "user": request.user_id})
    if recorded is False:
        ack()
        return
    first = next(iter(values), "practice")
    if recorded is None and deps.ctx.store is not None:  # not recorded first, so not stored: the form stays open
        ack(response_action="errors", errors={first: UNAVAILABLE[:150]})
        return
    try:
        with inbox_scope.scope(key if recorded else None):
            reply = dispatch(request, deps.ctx)
    except FormError as exc:
        ack(response_action="errors", errors={k: v[:150] for k, v in exc.form.errors.items()})
        _close(deps, context, key if recorded else None)
        return
    except (UserError, StoreUnavailable) as exc:
        message = str(exc) if isinstance(exc, UserError) else UNAVAILABLE
        ack(response_action="errors", errors={first: message[:150]})
        _close(deps, context, key if recorded else None)
        return
    except Exception:
        ack(response_action="errors", errors={first: edge.apology("form", "slack")[:150]})
        _close(deps, context, key if recorded else None)
        return
    ack()  # done: the modal closes, and the confirmation follows in the channel
    deps.work.submit(confirm, deps, client, request, reply, key if recorded else None)
    after_change(deps, request, client, edge.Outcome(reply))


def _close(deps: Deps, context: BoltContext, key: str | None) -> None:
    if key:
        after_response(context, lambda: deps.deliveries.done(key))


def confirm(deps: Deps, client: WebClient, request: Request, reply: Reply, key: str | None) -> None:
    try:
        reply = with_note(reply, announce(client, request, reply))
        post_or_dm(client, request.channel_id or request.user_id, request.user_id, render.message(reply))
    except Exception:
        edge.apology("form confirmation", "slack")
        return
    if key:
        deps.deliveries.done(key)
