"""cmmi-bot's Teams listeners, registered explicitly on a Teams SDK App: one module per kind of activity."""

from __future__ import annotations

from typing import Any

from bot.teams.listeners import dialogs, extension, files, install, messages
from bot.teams.listeners.base import Deps


def register(app: Any, deps: Deps) -> None:
    """Attach every listener: messages and card buttons, dialogs, the message extension, file consent, the welcome."""

    # Each route is a small closure: the SDK calls a handler with the activity's context only.
    async def on_message(activity_ctx: Any) -> None:
        await messages.on_message(deps, activity_ctx)

    async def on_dialog_open(activity_ctx: Any) -> Any:
        return await dialogs.on_dialog_open(deps, activity_ctx)

    async def on_dialog_submit(activity_ctx: Any) -> Any:
        return await dialogs.on_dialog_submit(deps, activity_ctx)

    async def on_fetch_task(activity_ctx: Any) -> Any:
        return await extension.on_fetch_task(deps, activity_ctx)

    async def on_submit_action(activity_ctx: Any) -> Any:
        return await extension.on_submit_action(deps, activity_ctx)

    async def on_file_consent(activity_ctx: Any) -> None:
        await files.on_file_consent(deps, activity_ctx)

    async def on_conversation_update(activity_ctx: Any) -> None:
        await install.on_conversation_update(deps, activity_ctx)

    app.on_message(on_message)
    app.on_dialog_open(on_dialog_open)
    app.on_dialog_submit(on_dialog_submit)
    app.on_message_ext_open(on_fetch_task)
    app.on_message_ext_submit(on_submit_action)
    app.on_file_consent(on_file_consent)
    app.on_conversation_update(on_conversation_update)


__all__ = ["Deps", "register"]
