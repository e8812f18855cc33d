"""What the Slack listeners share: their dependencies, who is asking, answering through response_url, work after the ack."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.admins import NO_ADMINS, Admins
from bot.edge import Deliveries
from bot.slack.users import UserDirectory
from bot.work import Work
from handlers import Context, Request

log = logging.getLogger("cmmi_bot.slack")

DEPS = "cmmi"  # the key of Deps in every request's BoltContext
AFTER_RESPONSE = "cmmi_after_response"  # callables the server runs once the HTTP response has gone out
ACK_WITHIN = 2.5  # seconds of work before the ack; Slack allows 3, and the answer then follows through response_url
# chat.postMessage errors that mean "not allowed here", which the person can fix.
POST_REFUSED = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "cannot_reply_to_message"}
CANNOT_POST_HERE = "I can't post in this channel. Invite me first (type `/invite @cmmi-bot` in the channel), then try again."


@dataclass(frozen=True)
class Deps:
    """What every listener needs, put into each request's context by a middleware (listeners are module-level functions)."""

    ctx: Context
    client: WebClient  # the app's own; with OAuth, listeners use the request's client, which carries its workspace's token
    users: UserDirectory
    deliveries: Deliveries
    work: Work
    admins: Admins = NO_ADMINS  # CMMI_ADMINS, beside Slack's own admins and owners

    def who(self, request: Request, client: WebClient) -> Request:
        """The request with the person's admin flag and time zone (users.info, cached), asked with the request's client,
        which carries its workspace's token. Slack's admins and owners, and the people in CMMI_ADMINS (by user ID, or by
        e-mail when the app has users:read.email), are admins."""
        facts = self.users.facts(request.workspace_id, request.user_id, client)
        return self.admins.apply(replace(request, is_admin=facts.is_admin, timezone=facts.timezone), email=facts.email)


def deps_of(context: BoltContext) -> Deps:
    return context[DEPS]


def after_response(context: BoltContext, fn: Callable[[], None]) -> None:
    """Run fn once Slack has been sent the acknowledgement (the server calls it; Socket Mode too)."""
    context.setdefault(AFTER_RESPONSE, []).append(fn)


def respond(response_url: str | None, message: dict[str, Any], **options: Any) -> bool:
    """Post to a response_url (valid 30 minutes, 5 times), privately unless options say otherwise, retrying dropped
    connections, 429s and 5xx. True when Slack took it."""
    if not response_url:
        return False
    client = WebhookClient(
        url=response_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )
    try:
        response = client.send_dict({"response_type": "ephemeral", **message, **options})  # private unless asked otherwise
    except OSError as exc:
        log.warning("could not reach a response_url (%s)", type(exc).__name__)
        return False
    if response.status_code != 200:
        log.warning("response_url answered HTTP %s", response.status_code)
        return False
    return True


def post_or_dm(client: WebClient, channel_id: str, user_id: str, message: dict[str, Any]) -> None:
    """A private note for one person in a channel; where the bot cannot post (not invited, a DM), in its own DM instead."""
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, **message)
    except SlackApiError as exc:
        if exc.response.get("error") not in POST_REFUSED | {"user_not_in_channel"}:
            raise
        client.chat_postMessage(channel=user_id, **message)
