"""The "Log as CMMI evidence" message shortcut: open the form, search practices as you type, store the submission before the ack."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import edge
from bot.slack import convert, modal, render, views
from bot.slack.listeners.base import Deps, after_response, deps_of, post_or_dm
from handlers import UNAVAILABLE, Request, UserError
from handlers.evidence import add_evidence
from store import StoreUnavailable
from store import inbox as inbox_scope

log = logging.getLogger("cmmi_bot.slack")

LOG_EVIDENCE_SHORTCUT = "log_evidence"  # the manifest's message shortcut
MODAL_CALLBACK = views.MODAL_CALLBACK
NO_STORE = "Evidence storage is not set up in this installation. Ask your administrator to configure CMMI_DATABASE_URL."
NO_PERMALINK = "I could not get a link to that message. Invite me to the channel (`/invite @cmmi-bot`) and try again."


def open_evidence_form(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    ctx = deps_of(context).ctx
    workspace_id, channel_id = convert.workspace_of(body), (body.get("channel") or {}).get("id") or ""
    message = body.get("message") or {}
    message_ts = message.get("ts") or body.get("message_ts") or ""
    try:
        view = _form_or_notice(ctx, client, workspace_id, channel_id, message_ts, convert.unescape(str(message.get("text") or "")))
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except Exception:
        edge.apology("message shortcut", "slack")


def _form_or_notice(ctx: Any, client: WebClient, workspace_id: str, channel_id: str, message_ts: str, excerpt: str) -> dict[str, Any]:
    store = ctx.store
    if store is None:
        return views.notice_modal(NO_STORE)
    try:
        groups = store.list_groups(workspace_id)
        if not groups:
            return views.notice_modal(views.NO_GROUPS)
        bound = store.channel_group(workspace_id, channel_id)
    except StoreUnavailable:
        log.warning("database unavailable opening the evidence modal", exc_info=True)
        return views.notice_modal(UNAVAILABLE)
    try:
        # Asked now, while the form is open, so a failure is seen before anyone types anything.
        permalink = client.chat_getPermalink(channel=channel_id, message_ts=message_ts)["permalink"]
    except SlackApiError as exc:
        log.warning("chat.getPermalink failed (%s)", exc.response.get("error"))
        return views.notice_modal(NO_PERMALINK)
    return views.evidence_modal(groups, bound, modal.pack_origin(channel_id, message_ts, permalink), excerpt)


def practice_options(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    try:
        choices = modal.practice_choices(deps_of(context).ctx, str(body.get("value") or ""))
    except Exception:
        log.exception("practice search failed")
        choices = []
    ack(options=views.practice_options(choices))


def evidence_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Validate and store before the ack: field errors keep the form open with what was typed; success closes it."""
    deps = deps_of(context)
    store = deps.ctx.store
    try:
        channel_id, _, permalink = modal.unpack_origin(view.get("private_metadata") or "")
        if store is None:
            raise UserError(NO_STORE)
        workspace_id = convert.workspace_of(body)
        submission, errors = modal.read_submission(
            deps.ctx, (view.get("state") or {}).get("values") or {}, store.list_groups(workspace_id), store.clock().date()
        )
    except (ValueError, UserError, StoreUnavailable) as exc:
        log.warning("evidence modal refused: %s", type(exc).__name__)
        ack(response_action="errors", errors={modal.PRACTICE: str(exc) if isinstance(exc, UserError) else UNAVAILABLE})
        return
    if submission is None:
        ack(response_action="errors", errors=errors)
        return
    request = convert.from_modal(body, channel_id)
    key = f"slack:view:{body.get('trigger_id') or uuid.uuid4().hex}"
    recorded = deps.deliveries.receive(key, request, kind="view", reply_to={"channel": channel_id, "user": request.user_id})
    if recorded is False:
        ack()
        return
    try:
        with inbox_scope.scope(key if recorded else None):
            reply = add_evidence(
                request, deps.ctx, practice=submission.practice, group=submission.group, kind=submission.kind,
                link=permalink, note=submission.note, evidence_date=submission.evidence_date,
            )  # fmt: skip
    except (UserError, StoreUnavailable) as exc:
        ack(response_action="errors", errors={modal.PRACTICE: str(exc) if isinstance(exc, UserError) else UNAVAILABLE})
        if recorded:
            after_response(context, lambda: deps.deliveries.done(key))
        return
    ack()  # stored: the form closes, and the confirmation follows in the channel
    deps.work.submit(confirm, deps, client, request, render.message(reply), key if recorded else None)


def confirm(deps: Deps, client: WebClient, request: Request, message: dict[str, Any], key: str | None) -> None:
    try:
        post_or_dm(client, request.channel_id, request.user_id, message)
    except Exception:
        edge.apology("evidence confirmation", "slack")
        return
    if key:
        deps.deliveries.done(key)
