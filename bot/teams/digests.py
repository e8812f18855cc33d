"""Weekly digests to Teams: post to a subscription's stored conversation reference through the Bot Connector.

The connector answers 404 (ConversationNotFound) when the conversation is gone and 403 when the bot was removed
or blocked: those stop the subscription (ChannelGone); anything else is temporary and retried by the scheduler.
`already_delivered` returns None: the connector offers no way to find the bot's earlier message by its content or
metadata, so a sender that crashed between posting and recording can, rarely, cause one duplicate digest."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from typing import Any

from bot.scheduler import ChannelGone, Deliverer
from bot.settings import Settings
from bot.teams import render
from handlers import Reply
from store import Store, Subscription

SEND_TIMEOUT = 60.0  # seconds for one digest, token acquisition included
# 403 error codes that mean the bot can never post here again (others, such as an expired token, can pass).
GONE_403 = {"BotNotInConversationRoster", "BotDisabledByAdmin", "ConversationBlockedByUser", "BotRemoved"}


def _error_code(response: Any) -> str:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return ""
    return str(error.get("code") or "") if isinstance(error, dict) else ""


class TeamsDeliverer:
    """Posts digests with the SDK's API client on an event loop of its own (the scheduler is synchronous)."""

    def __init__(self, app: Any, store: Store | None = None) -> None:
        self.app = app
        self.store = store  # where people's names are looked up, so a digest names its contributors
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="cmmi-teams-digests", daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop the deliverer's event loop (tests, and processes that build deliverers more than once)."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()

    async def _post(self, address: dict[str, Any], activity: dict[str, Any], conversation_id: str | None = None) -> str:
        from microsoft_teams.api import Account, ConversationAccount
        from microsoft_teams.api.activities.message import MessageActivityInput  # the package's star re-export hides it from mypy

        conversation_id = conversation_id or address["conversationId"]
        message = MessageActivityInput.model_validate(activity)
        message.from_ = Account(id=address.get("botId") or "", name=address.get("botName") or None)
        message.conversation = ConversationAccount(id=conversation_id)
        sent = await self.app.api.conversations.create_activity(conversation_id, message, service_url=address["serviceUrl"])
        return str(sent.id)

    def post(self, address: dict[str, Any], conversation_id: str, activity: dict[str, Any]) -> str:
        """Post a message to a conversation (a channel thread, a chat) known by its stored reference; returns its ID."""
        future = asyncio.run_coroutine_threadsafe(self._post(address, activity, conversation_id), self.loop)
        return future.result(timeout=SEND_TIMEOUT)

    def deliver(self, sub: Subscription, reply: Reply, period: str) -> str | None:
        import httpx

        address = sub.address or {}
        if not address.get("serviceUrl") or not address.get("conversationId"):
            raise ChannelGone("no Teams conversation reference stored; type 'digest on' in the channel again")
        names = self.store.people.names(workspace_id=sub.workspace_id, user_ids=render.people_in(reply)) if self.store else {}
        future = asyncio.run_coroutine_threadsafe(self._post(address, render.digest_message(reply, names)), self.loop)
        try:
            message_id = future.result(timeout=SEND_TIMEOUT)
        except httpx.HTTPStatusError as exc:
            status, code = exc.response.status_code, _error_code(exc.response)
            if status == 404 or (status == 403 and code in GONE_403):
                raise ChannelGone(f"Teams answered HTTP {status} {code}".strip()) from None
            raise
        return f"teams:{address['conversationId']}:{message_id}"

    def already_delivered(self, sub: Subscription, period: str, since: datetime) -> str | None:
        return None


def teams_deliverer(settings: Settings, store: Store | None = None) -> Deliverer | None:
    """The deliverer for Teams subscriptions, or None when Teams is not configured here. `store`: where contributors'
    names are looked up."""
    if not settings.teams_configured:
        return None
    from bot.teams.sdk import new_app

    return TeamsDeliverer(new_app(settings), store)
