"""cmmi-bot's Slack listeners, registered explicitly on a Bolt app: one module per kind of request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.slack import modal, render
from bot.slack.listeners import actions, commands, events, views
from bot.slack.listeners.base import DEPS, Deps


def register(app: App, deps: Deps) -> None:
    """Attach the dependencies and every listener: /cmmi, Share, mentions, DMs, App Home, the evidence shortcut and form."""

    def inject(context: BoltContext, next_: Callable[[], Any]) -> None:
        context[DEPS] = deps
        next_()

    app.middleware(inject)
    app.command(commands.COMMAND)(commands.slash_command)
    app.action(render.SHARE_ACTION)(actions.share)
    app.event("app_mention")(events.app_mention)
    app.event("message")(events.message)
    app.event("app_home_opened")(events.app_home_opened)
    app.shortcut(views.LOG_EVIDENCE_SHORTCUT)(views.open_evidence_form)
    app.options(modal.PRACTICE)(views.practice_options)
    app.view(views.MODAL_CALLBACK)(views.evidence_submitted)


__all__ = ["Deps", "register"]
