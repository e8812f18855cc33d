"""Weekly evidence reminders to Slack: a direct message to the owner, with message metadata to find it again after a crash."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.scheduler import OwnerGone
from bot.slack import render
from handlers import Reply

log = logging.getLogger("cmmi_bot.slack")

EVENT_TYPE = "cmmi_reminder"
# Errors that say the person cannot be written to any more, whatever we retry: they left, or were deactivated.
GONE = {"user_not_found", "account_inactive", "user_disabled", "users_not_found", "cannot_dm_bot"}
HISTORY_PAGE = 200


class SlackReminders:
    """Mixed into the Slack deliverer (bot/slack/digests.py), which gives `client_for_workspace`; implements
    bot.scheduler.ReminderDeliverer."""

    def client_for_workspace(self, workspace_id: str) -> WebClient:
        raise NotImplementedError

    def _direct_channel(self, client: WebClient, user_id: str) -> str:
        """The DM with the owner. Raises OwnerGone when users.info says they were deactivated, or Slack does not know them."""
        try:
            user = client.users_info(user=user_id).get("user") or {}
            if user.get("deleted"):
                raise OwnerGone("deactivated in Slack")
            return client.conversations_open(users=user_id)["channel"]["id"]
        except SlackApiError as exc:
            raise _gone(exc) or exc from None

    def remind(self, workspace_id: str, user_id: str, reply: Reply, period: str) -> str | None:
        client = self.client_for_workspace(workspace_id)
        channel = self._direct_channel(client, user_id)
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"period": period, "user": user_id}}
        try:
            response = client.chat_postMessage(channel=channel, metadata=metadata, **render.message(reply))
        except SlackApiError as exc:
            raise _gone(exc) or exc from None
        return f"{channel}:{response.get('ts')}"

    def already_reminded(self, workspace_id: str, user_id: str, period: str, since: datetime) -> str | None:
        client = self.client_for_workspace(workspace_id)
        channel = self._direct_channel(client, user_id)
        # A DM with the bot holds few messages a week: one page from the slot on is enough to find ours.
        page = client.conversations_history(
            channel=channel, oldest=f"{since.timestamp():.6f}", include_all_metadata=True, limit=HISTORY_PAGE
        )
        for message in page.get("messages") or []:
            if _is_reminder(message, user_id, period):
                return f"{channel}:{message.get('ts')}"
        return None


def _gone(exc: SlackApiError) -> OwnerGone | None:
    error = exc.response.get("error")
    return OwnerGone(error) if error in GONE else None


def _is_reminder(message: dict[str, Any], user_id: str, period: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == EVENT_TYPE and payload.get("period") == period and payload.get("user") == user_id
