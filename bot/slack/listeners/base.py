"""What the Slack listeners share: their dependencies, who is asking, answering through response_url, work after the ack,
and what follows a reply everywhere: files uploaded, channel-wide changes announced, the Home tab redrawn."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot import edge
from bot.admins import NO_ADMINS, Admins
from bot.edge import Deliveries
from bot.slack import convert, render, views
from bot.slack.users import UserDirectory
from bot.work import Work
from handlers import COMMANDS, Context, Reply, Request, Section, command_for, plain, writes

log = logging.getLogger("cmmi_bot.slack")

DEPS = "cmmi"  # the key of Deps in every request's BoltContext
AFTER_RESPONSE = "cmmi_after_response"  # callables the server runs once the HTTP response has gone out
ACK_WITHIN = 2.5  # seconds of work before the ack; Slack allows 3, and the answer then follows through response_url
# chat.postMessage errors that mean "not allowed here", which the person can fix.
POST_REFUSED = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "cannot_reply_to_message"}
CANNOT_POST_HERE = "I can't post in this channel. Invite me first (type `/invite @cmmi-bot` in the channel), then try again."
CANNOT_ANNOUNCE = (
    "Done, but I could not tell the channel: invite me (type `/invite @cmmi-bot` in the channel) so that everyone there "
    "hears of changes like this one."
)
ANNOUNCE_FAILED = "Done, but I could not tell the channel (error reference {ref})."
FILE_SENT = "{names} is in your direct messages with cmmi-bot."
FILE_FAILED = (
    "I could not send you the file (error reference {ref}). Please try again, or ask your administrator to check the app's "
    "files:write scope."
)


class HomeViewers:
    """Who has opened cmmi-bot's Home tab, so it can be redrawn after their changes. Kept by this process only, and
    bounded: after a restart, or on another replica, a Home tab is redrawn the next time it is opened (Slack sends
    app_home_opened each time), not after each change."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def opened(self, workspace_id: str, user_id: str) -> None:
        with self._lock:
            self._seen[(workspace_id, user_id)] = None
            self._seen.move_to_end((workspace_id, user_id))
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)

    def __contains__(self, who: tuple[str, str]) -> bool:
        with self._lock:
            return who in self._seen


@dataclass(frozen=True)
class Deps:
    """What every listener needs, put into each request's context by a middleware (listeners are module-level functions)."""

    ctx: Context
    client: WebClient  # the app's own; with OAuth, listeners use the request's client, which carries its workspace's token
    users: UserDirectory
    deliveries: Deliveries
    work: Work
    admins: Admins = NO_ADMINS  # CMMI_ADMINS, beside Slack's own admins and owners
    home: HomeViewers = field(default_factory=HomeViewers)

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


def respond_beside(response_url: str | None, message: dict[str, Any]) -> bool:
    """A private message through response_url that leaves the message it answers as it was."""
    return respond(response_url, message, replace_original=False)


def post_or_dm(client: WebClient, channel_id: str, user_id: str, message: dict[str, Any]) -> None:
    """A private note for one person in a channel; where the bot cannot post (not invited, a DM), in its own DM instead."""
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, **message)
    except SlackApiError as exc:
        if exc.response.get("error") not in POST_REFUSED | {"user_not_in_channel"}:
            raise
        client.chat_postMessage(channel=user_id, **message)


def in_channel(channel_id: str) -> bool:
    """A public or private channel (or a group DM): not a DM with the bot, and not the Home tab (the person's own ID)."""
    return channel_id.startswith(("C", "G"))


def with_note(reply: Reply, note: str | None) -> Reply:
    """The reply with a line of small print at the end (what could not be done beside it)."""
    if not note:
        return reply
    return replace(reply, sections=(*(reply.sections or (Section(body=reply.text),)), Section(note=note)))


def announce(client: WebClient, request: Request, reply: Reply) -> str | None:
    """Say a channel-wide change (reply.announce) in its channel, for everyone, beside the private answer. Returns what
    to tell the person privately when it could not be said; None when it was said, or there was nothing to say."""
    if reply.announce is None or not in_channel(request.channel_id):
        return None
    try:
        client.chat_postMessage(channel=request.channel_id, **render.notice(reply.announce))
    except SlackApiError as exc:
        if exc.response.get("error") in POST_REFUSED:
            return CANNOT_ANNOUNCE
        ref = uuid.uuid4().hex[:8]
        log.exception("could not announce a change in a channel (ref %s)", ref)
        return ANNOUNCE_FAILED.format(ref=ref)
    return None


def upload(client: WebClient, reply: Reply, channel_id: str, thread_id: str | None = None) -> str | None:
    """Upload a reply's files (files_upload_v2) into a conversation, the reply's text as their comment. Returns what to
    tell the person when that failed (with an error reference), None once Slack has every file."""
    try:
        for attachment in reply.attachments:
            client.files_upload_v2(
                channel=channel_id, thread_ts=thread_id, content=attachment.content, filename=attachment.filename,
                title=attachment.title or attachment.filename, initial_comment=render.escape(reply.text),
            )  # fmt: skip
    except SlackApiError:
        return file_failed()
    return None


def file_failed() -> str:
    """Log a failed upload (inside its except block) and say so to the person, with a reference."""
    ref = uuid.uuid4().hex[:8]
    log.exception("could not upload a file (ref %s)", ref)
    return FILE_FAILED.format(ref=ref)


def publish_home(deps: Deps, workspace_id: str, user_id: str, client: WebClient, command: str = "home") -> None:
    """Draw (or redraw) a person's Home tab: the `home` dashboard, or what went wrong in its place."""
    try:
        request = Request(text=command, user_id=user_id, workspace_id=workspace_id, channel_id=user_id, transport=convert.TRANSPORT)
        outcome = edge.run(deps.who(request, client), deps.ctx, kind="App Home")
        reply = outcome.reply or Reply(text=plain(outcome.notice or ""), sections=(Section(body=outcome.notice or ""),))
        client.views_publish(user_id=user_id, view=views.home(reply))
    except Exception:
        edge.apology("App Home", "slack")


def after_change(deps: Deps, request: Request, client: WebClient, outcome: edge.Outcome) -> None:
    """After a person's successful change through Slack: their Home tab, if they have opened it, is drawn again."""
    if outcome.ok and writes(request.text) and (request.workspace_id, request.user_id) in deps.home:
        deps.work.submit(publish_home, deps, request.workspace_id, request.user_id, client)


def send_to_dm(client: WebClient, request: Request, reply: Reply) -> str:
    """A reply's files, sent to the asker's DM with cmmi-bot; what to tell them where they asked (only once Slack has them)."""
    try:
        dm = client.conversations_open(users=request.user_id)["channel"]["id"]
    except SlackApiError:
        return file_failed()
    return upload(client, reply, dm) or FILE_SENT.format(names=", ".join(a.filename for a in reply.attachments))


# Reports a team may want to discuss together; the core marks answers about the model shareable itself (Reply.shareable).
REPORTS = ("status", "gaps")


def share_value(text: str, reply: Reply) -> str | None:
    """What a Share button under this answer carries (the command as typed), or None when it is not worth sharing:
    "nothing found", "did you mean", help, confirmations and changes stay with the person who asked."""
    shareable = reply.shareable or any(command_for(text) is COMMANDS[name] for name in REPORTS)
    return text if shareable and not reply.attachments and not reply.form else None
