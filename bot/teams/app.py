"""The Teams app: build the SDK App and register cmmi-bot's listeners on it (bot/teams/listeners/).

Every listener does what every adapter does: convert the activity to a Request, dispatch it (in a worker thread: the
core is synchronous) through the edge's one error policy, render the Reply, send it."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.admins import NO_ADMINS, Admins
from bot.edge import Deliveries
from bot.settings import Settings
from bot.teams import listeners
from bot.teams.sdk import CapturingAdapter, new_app
from handlers import Context


def build_app(settings: Settings, ctx: Context) -> tuple[Any, CapturingAdapter]:
    """The SDK App with cmmi-bot's listeners, initialized (its messaging endpoint handler is in the returned adapter)."""
    adapter = CapturingAdapter()
    app = new_app(settings, adapter)
    register(app, ctx, settings.admins)
    # initialize() only wires the endpoint and JWT validation; it does no I/O, so a private event loop will do.
    asyncio.run(app.initialize())
    return app, adapter


def register(app: Any, ctx: Context, admins: Admins = NO_ADMINS, deliveries: Deliveries | None = None) -> None:
    """Attach cmmi-bot's listeners to a Teams SDK App. Teams says nothing about who administers a team: the people in
    `admins` (by AAD object ID, the Request's user_id) are the admins."""
    listeners.register(app, listeners.Deps(ctx=ctx, deliveries=deliveries or Deliveries(ctx), admins=admins))
