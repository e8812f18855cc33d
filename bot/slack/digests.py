"""Weekly digests delivered to Slack: post with message metadata, and find that post again after a crashed sender.
A digest's chart goes in the digest's thread, uploaded after the post. (Evidence reminders: bot/slack/reminders.py.)"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore

from bot.scheduler import ChannelGone, Deliverer
from bot.settings import Settings
from bot.slack import convert, render
from bot.slack.reminders import SlackReminders
from handlers import Context, Reply
from store import Subscription

log = logging.getLogger("cmmi_bot.slack")

EVENT_TYPE = "cmmi_digest"
# chat.postMessage / conversations.history errors that will not go away by retrying: the channel is gone or closed to the bot.
GONE = {"channel_not_found", "is_archived", "not_in_channel", "channel_is_archived", "restricted_action"}
HISTORY_PAGE = 200
MAX_HISTORY_PAGES = 10  # a week of a busy channel; the digest, if posted, is near the slot


def _gone(exc: SlackApiError) -> ChannelGone | None:
    error = exc.response.get("error")
    return ChannelGone(error) if error in GONE else None


class NotInstalled(Exception):
    """OAuth: the subscription's workspace has no installation (never installed, or uninstalled)."""


class SlackDeliverer(SlackReminders):
    """Posts digests with chat.postMessage, and evidence reminders as DMs; implements bot.scheduler.Deliverer and ReminderDeliverer.

    One workspace: every call uses `client`'s bot token. OAuth (`installations` given): each call uses the bot token
    that the subscription's workspace (sub.workspace_id, 'slack:' and its team ID) installed, from the installation store."""

    def __init__(self, client: WebClient, installations: InstallationStore | None = None) -> None:
        self.client = client
        self.installations = installations

    def client_for(self, sub: Subscription) -> WebClient:
        """The client to post to sub's workspace with. Raises NotInstalled (OAuth, workspace not installed)."""
        return self.client_for_workspace(sub.workspace_id)

    def client_for_workspace(self, workspace_id: str) -> WebClient:
        """The client for one workspace: the app's own, or with OAuth the bot token that workspace installed."""
        if self.installations is None:
            return self.client
        team = convert.team_id(workspace_id)  # the installation store knows Slack's own team IDs
        bot = self.installations.find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            raise NotInstalled(f"cmmi-bot is not installed in Slack workspace {team}")
        base = self.client
        return WebClient(token=bot.bot_token, base_url=base.base_url, timeout=base.timeout, retry_handlers=list(base.retry_handlers))

    def deliver(self, sub: Subscription, reply: Reply, period: str) -> str | None:
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"period": period, "subscription_id": sub.id}}
        client = self.client_for(sub)
        try:
            response = client.chat_postMessage(channel=sub.channel_id, metadata=metadata, **render.message(reply))
        except SlackApiError as exc:
            gone = _gone(exc)
            if gone is not None:
                raise gone from None
            raise
        ts = response.get("ts")
        self._attach(client, sub.channel_id, ts, reply)
        return ts

    def _attach(self, client: WebClient, channel: str, ts: str | None, reply: Reply) -> None:
        """The digest's files (its chart) in its thread. Posted after the digest, so the digest keeps its layout and its
        metadata (what finds it again after a crash); a failed upload is logged, never retried: that would post the
        digest twice."""
        for attachment in reply.attachments:
            try:
                client.files_upload_v2(
                    channel=channel, thread_ts=ts, content=attachment.content, filename=attachment.filename,
                    title=attachment.title or attachment.filename,
                )  # fmt: skip
            except SlackApiError as exc:
                log.warning("could not upload a digest's %s to Slack (%s)", attachment.media_type, exc.response.get("error"))
            except OSError as exc:
                log.warning("could not upload a digest's %s to Slack (%s)", attachment.media_type, type(exc).__name__)

    def already_delivered(self, sub: Subscription, period: str, since: datetime) -> str | None:
        cursor: str | None = None
        client = self.client_for(sub)
        for _ in range(MAX_HISTORY_PAGES):
            try:
                page = client.conversations_history(
                    channel=sub.channel_id, oldest=f"{since.timestamp():.6f}", include_all_metadata=True, limit=HISTORY_PAGE, cursor=cursor
                )
            except SlackApiError as exc:
                gone = _gone(exc)
                if gone is not None:
                    raise gone from None
                raise
            for message in page.get("messages") or []:
                if _is_digest(message, sub.id, period):
                    return message.get("ts")
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None


def _is_digest(message: dict[str, Any], subscription_id: int, period: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return (
        metadata.get("event_type") == EVENT_TYPE and payload.get("period") == period and payload.get("subscription_id") == subscription_id
    )


def slack_deliverer(settings: Settings, ctx: Context | None = None) -> Deliverer | None:
    """The Slack deliverer for `digest run-due` and `serve`, or None when Slack is not configured here.
    With OAuth, bot tokens come from the installation store in ctx's database (None without a database)."""
    if not settings.slack_configured:
        return None
    from bot.slack.app import build_client
    from bot.slack.oauth import installation_store

    if settings.slack_oauth:
        if ctx is None or ctx.store is None:
            return None
        return SlackDeliverer(build_client(settings), installation_store(settings, ctx.store.engine))
    return SlackDeliverer(build_client(settings))
