"""Weekly evidence reminders to Teams: a message in the owner's personal chat with the bot, opened through the connector.

cmmi-bot knows an owner by their AAD object ID and keeps no conversation reference per person, so the personal chat is
created (or found: Teams answers with the existing one) with `POST {serviceUrl}/v3/conversations`. The service URL and
the bot's ID come from a conversation reference the workspace stored (a Teams digest subscription's), else from the
deliverer's defaults (Teams' global service URL, the bot's app ID). When Teams will not open the chat (403: the app is
not installed for the person, or they left the tenant; 404: no such person) the owner is gone and their reminder is
skipped and recorded. Like digests, `already_reminded` returns None: the connector cannot search a chat for a message."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, TypeVar

from bot.scheduler import OwnerGone
from bot.teams import convert, render
from handlers import Reply
from store import Store

SEND_TIMEOUT = 60.0  # seconds for one reminder (opening the chat, posting, token acquisition)
# The public cloud's global service URL: where proactive messages go when no conversation of the tenant was stored.
GLOBAL_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
# 403 codes that say the bot can never write to this chat again (an expired token, say, can pass).
GONE_403 = frozenset({"BotNotInConversationRoster", "BotDisabledByAdmin", "ConversationBlockedByUser", "BotRemoved"})

T = TypeVar("T")


def error_code(response: Any) -> str:
    """The connector's error code from an error response's JSON body ('' when there is none)."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return ""
    return str(error.get("code") or "") if isinstance(error, dict) else ""


class TeamsReminders:
    """Mixed into the Teams deliverer (bot/teams/digests.py), which gives the SDK app, its event loop and the store;
    implements bot.scheduler.ReminderDeliverer."""

    app: Any
    store: Store | None
    loop: asyncio.AbstractEventLoop
    service_url: str = GLOBAL_SERVICE_URL
    bot_id: str = ""

    async def _post(self, address: dict[str, Any], activity: dict[str, Any], conversation_id: str | None = None) -> str:
        raise NotImplementedError

    def _wait(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=SEND_TIMEOUT)

    def workspace_address(self, workspace_id: str) -> dict[str, Any]:
        """Where to reach the tenant: a Teams conversation reference stored in the workspace (service URL, bot), else the
        defaults. The tenant is the workspace's own."""
        tenant = workspace_id.removeprefix(convert.WORKSPACE_PREFIX)
        address: dict[str, Any] = {"serviceUrl": self.service_url, "tenantId": tenant, "botId": self.bot_id, "botName": ""}
        stored = [
            sub.address
            for sub in (self.store.digests.active_subscriptions() if self.store is not None else [])
            if sub.workspace_id == workspace_id and sub.transport == convert.TRANSPORT and sub.address and sub.address.get("serviceUrl")
        ]
        if stored:
            latest = stored[-1]
            address.update({k: latest[k] for k in ("serviceUrl", "botId", "botName") if latest.get(k)})
        return address

    async def _open_chat(self, address: dict[str, Any], user_id: str) -> str:
        """The personal chat with the owner (created, or the existing one). Raises OwnerGone when Teams refuses."""
        import httpx
        from microsoft_teams.api.clients.conversation.params import CreateConversationParams
        from microsoft_teams.api.models import Account

        tenant = str(address["tenantId"])
        params = CreateConversationParams(
            members=[Account(id=user_id)],
            tenant_id=tenant or None,
            channel_data={"tenant": {"id": tenant}},
        )
        try:
            created = await self.app.api.from_service_url(address["serviceUrl"]).conversations.create(params)
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            if status in (403, 404):
                raise OwnerGone(f"Teams would not open a personal chat: HTTP {status} {error_code(exc.response)}".strip()) from None
            raise
        return str(created.id)

    def remind(self, workspace_id: str, user_id: str, reply: Reply, period: str) -> str | None:
        import httpx

        address = self.workspace_address(workspace_id)
        names = self.store.people.names(workspace_id=workspace_id, user_ids=render.people_in(reply)) if self.store else {}
        chat = self._wait(self._open_chat(address, user_id))
        try:
            message_id = self._wait(self._post(address, render.card_message(reply, names=names), chat))
        except httpx.HTTPStatusError as exc:
            status, code = exc.response.status_code, error_code(exc.response)
            if status == 404 or (status == 403 and code in GONE_403):
                raise OwnerGone(f"Teams answered HTTP {status} {code}".strip()) from None
            raise
        return f"teams:{chat}:{message_id}"

    def already_reminded(self, workspace_id: str, user_id: str, period: str, since: datetime) -> str | None:
        return None
