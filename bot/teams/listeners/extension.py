"""The "Log as CMMI evidence" message extension: from any message's ⋯ menu, the evidence form prefilled with the message.

Teams' twin of Slack's message shortcut: composeExtension/fetchTask answers with the core's evidence form (dispatched as
`evidence form` with the message's link and text, as Slack's shortcut does), prefilled and with practices suggested from
the message; composeExtension/submitAction stores it, keeps the dialog open on field errors, and confirms."""

from __future__ import annotations

from typing import Any

from bot.teams import convert, dialogs
from bot.teams.listeners.base import Deps, dump, in_thread, run
from bot.teams.listeners.dialogs import opened, take_submission

COMMAND_ID = "logAsEvidence"  # the manifest's composeExtensions command
MAX_PREFILL = 2000  # the note's limit
UNKNOWN = "cmmi-bot has no such message action."


async def on_fetch_task(deps: Deps, activity_ctx: Any) -> dict[str, Any]:
    activity = dump(activity_ctx.activity)
    value = activity.get("value") or {}
    if value.get("commandId") != COMMAND_ID:
        return dialogs.say_in_dialog(UNKNOWN)
    link, text = convert.message_payload(value)
    form = {"link": link, "note": text[:MAX_PREFILL]}
    request = convert.request_for(activity, "evidence form", form=form, via="action")
    outcome = await in_thread(run, deps, request, "message extension", None)
    return await in_thread(opened, deps, request, outcome, text, text)


async def on_submit_action(deps: Deps, activity_ctx: Any) -> dict[str, Any]:
    activity = dump(activity_ctx.activity)
    if (activity.get("value") or {}).get("commandId") != COMMAND_ID:
        return dialogs.say_in_dialog(UNKNOWN)
    _, reply, instead = await take_submission(deps, activity)
    if reply is None:
        return instead or dialogs.say_in_dialog(UNKNOWN)
    # The message may be in a chat the bot is not part of: the confirmation is said in the dialog itself.
    return dialogs.say_in_dialog(reply.text)
