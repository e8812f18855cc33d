"""What the Teams listeners share: their dependencies, the delivery record, people's names, running the core, posting."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import edge
from bot.admins import NO_ADMINS, Admins
from bot.edge import Deliveries
from bot.teams import convert, render
from handlers import Context, Reply, Request
from handlers.support.actions import Kind
from store import StoreUnavailable

log = logging.getLogger("cmmi_bot.teams")

NOT_OFFERED = "That button is not one cmmi-bot offered, so nothing was done."
ALREADY = "That was already received; nothing was done twice."


class SeenNames:
    """The names this process has already stored, so a busy chat costs no database write per message. Bounded."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._names: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def changed(self, key: tuple[str, str], name: str) -> bool:
        with self._lock:
            if self._names.get(key) == name:
                self._names.move_to_end(key)
                return False
            return True

    def store(self, key: tuple[str, str], name: str) -> None:
        with self._lock:
            self._names[key] = name
            self._names.move_to_end(key)
            if len(self._names) > self._capacity:
                self._names.popitem(last=False)


@dataclass(frozen=True)
class Deps:
    """What every Teams listener needs (listeners are module-level functions; register() binds these)."""

    ctx: Context
    deliveries: Deliveries
    admins: Admins = NO_ADMINS  # CMMI_ADMINS: Teams tells a bot nothing about who administers a team
    seen: SeenNames = field(default_factory=SeenNames)

    def who(self, request: Request) -> Request:
        return self.admins.apply(request)


def kind_named(pressed: tuple[str, str] | None) -> str:
    """A pressed action's kind for the log: one of ours, or 'unknown' (the kind comes from the client: never log it raw)."""
    if pressed is None:
        return "malformed"
    return pressed[0] if pressed[0] in set(Kind) else "unknown"


def dump(activity: Any) -> dict[str, Any]:
    """An SDK activity model as the JSON Teams sent (camelCase keys)."""
    return activity.model_dump(by_alias=True, exclude_none=True, mode="json")


def delivery_key(activity: Mapping[str, Any]) -> str | None:
    """The activity's unique key in the delivery record: a connector retry carries the same activity ID."""
    activity_id = activity.get("id")
    return f"teams:activity:{activity_id}" if activity_id else None


def remember_people(deps: Deps, activity: Mapping[str, Any]) -> None:
    """Store the sender's and mentioned people's names when first seen or changed (a database write only then)."""
    store = deps.ctx.store
    workspace = convert.workspace_id(activity)
    if store is None or not workspace:
        return
    for user_id, name in convert.people(activity):
        key = (workspace, user_id)
        if not deps.seen.changed(key, name):
            continue
        try:
            store.people.remember(workspace_id=workspace, user_id=user_id, name=name)
        except StoreUnavailable:
            log.warning("could not store a person's name: the database is unavailable")
            return
        deps.seen.store(key, name)


def names_for(deps: Deps, workspace_id: str, user_ids: Iterable[str], activity: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Names for the people a reply names: stored ones, and the fresh ones this activity carries."""
    wanted = set(user_ids)
    names: dict[str, str] = {}
    store = deps.ctx.store
    if store is not None and wanted:
        try:
            names.update(store.people.names(workspace_id=workspace_id, user_ids=wanted))
        except StoreUnavailable:
            log.warning("could not look up people's names: the database is unavailable")
    if activity is not None:
        names.update({who: name for who, name in convert.people(activity) if who in wanted})
    return names


def receive(deps: Deps, key: str | None, request: Request, kind: str) -> bool | None:
    """Record a delivery before it is handled: True first time, False a retry (do nothing), None not durably recorded."""
    if key is None:
        return None
    return deps.deliveries.receive(key, request, kind=kind, reply_to=request.address or {})


def finish(deps: Deps, key: str | None, recorded: bool | None) -> None:
    if key and recorded:
        deps.deliveries.done(key)


def run(deps: Deps, request: Request, kind: str, key: str | None) -> edge.Outcome:
    """Dispatch through the edge's one error policy (synchronous: call it in a worker thread)."""
    return edge.run(deps.who(request), deps.ctx, kind=kind, key=key)


def reply_message(deps: Deps, request: Request, outcome: edge.Outcome, activity: Mapping[str, Any]) -> dict[str, Any]:
    """The message answering a request: its reply rendered with people's names, or what to do instead."""
    if outcome.reply is None:
        return render.notice(outcome.notice or "")
    return render.message(outcome.reply, request, names_for(deps, request.workspace_id, render.people_in(outcome.reply), activity))


def announcement_names(deps: Deps, request: Request, reply: Reply, activity: Mapping[str, Any]) -> dict[str, str]:
    return names_for(deps, request.workspace_id, {request.user_id, *render.people_in(reply)}, activity)


async def in_thread(fn: Any, *args: Any) -> Any:
    """Run synchronous core work in a worker thread: the core is synchronous, the SDK's handlers are not."""
    return await asyncio.to_thread(fn, *args)


async def post(api: Any, address: Mapping[str, Any], conversation_id: str, message: dict[str, Any]) -> str:
    """Post a message to a conversation other than the current one (a channel's top level, a new personal chat)."""
    from microsoft_teams.api import Account, ConversationAccount
    from microsoft_teams.api.activities.message import MessageActivityInput  # the package's star re-export hides it from mypy

    outgoing = MessageActivityInput.model_validate(message)
    outgoing.from_ = Account(id=address.get("botId") or "", name=address.get("botName") or None)
    outgoing.conversation = ConversationAccount(id=conversation_id)
    sent = await api.conversations.create_activity(conversation_id, outgoing, service_url=address.get("serviceUrl") or None)
    return str(sent.id)


async def send(activity_ctx: Any, message: dict[str, Any]) -> None:
    """Answer in the conversation (and thread) the activity came from."""
    from microsoft_teams.api.activities.message import MessageActivityInput  # the package's star re-export hides it from mypy

    await activity_ctx.send(MessageActivityInput.model_validate(message))
