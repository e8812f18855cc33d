"""The Teams app: build the SDK App and register cmmi-bot's message handler on it.

The handler does the same four things as every adapter: convert the activity to a Request, dispatch it (in a
worker thread: the core is synchronous), render the Reply, send it. Errors are caught here, at the edge, once."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from bot.admins import NO_ADMINS, Admins
from bot.settings import Settings
from bot.teams import convert, render
from bot.teams.sdk import CapturingAdapter, new_app
from handlers import Context, Reply, Request, UserError, dispatch

log = logging.getLogger("cmmi_bot.teams")

APOLOGY = "Sorry, something went wrong on my side (error reference {ref}). Please try again."


def answer(request: Request, ctx: Context) -> dict[str, Any]:
    """The message activity (JSON) answering a request: the rendered reply, what to type instead, or an apology."""
    try:
        reply: Reply = dispatch(request, ctx)
    except UserError as exc:
        return render.notice(str(exc))
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("unhandled error handling a Teams message (ref %s)", ref)
        return render.notice(APOLOGY.format(ref=ref))
    return render.message(reply, request)


def build_app(settings: Settings, ctx: Context) -> tuple[Any, CapturingAdapter]:
    """The SDK App with cmmi-bot's handler, initialized (its messaging endpoint handler is in the returned adapter)."""
    adapter = CapturingAdapter()
    app = new_app(settings, adapter)
    register(app, ctx, Admins.parse(settings["CMMI_ADMINS"]))
    # initialize() only wires the endpoint and JWT validation; it does no I/O, so a private event loop will do.
    asyncio.run(app.initialize())
    return app, adapter


def register(app: Any, ctx: Context, admins: Admins = NO_ADMINS) -> None:
    """Attach cmmi-bot's message handler to a Teams SDK App. Teams says nothing about who administers a team: the
    people in `admins` (by AAD object ID, the Request's user_id) are the admins."""
    from microsoft_teams.api import MessageActivity, MessageActivityInput
    from microsoft_teams.apps import ActivityContext

    @app.on_message
    async def on_message(activity_ctx: ActivityContext[MessageActivity]) -> None:
        activity = activity_ctx.activity.model_dump(by_alias=True, exclude_none=True)
        request = convert.from_activity(activity)
        if request is None:
            return
        request = admins.apply(request)
        outgoing = await asyncio.to_thread(answer, request, ctx)
        try:
            await activity_ctx.send(MessageActivityInput.model_validate(outgoing))
        except Exception:
            log.exception("could not answer a Teams message")
