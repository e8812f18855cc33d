"""cmmi-bot's Slack listeners, registered explicitly on a Bolt app: one module per kind of request."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.slack import render
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
    app.action(re.compile(f"^{re.escape(render.ACTION_PREFIX)}"))(actions.core_action)
    app.shortcut(views.LOG_EVIDENCE_SHORTCUT)(views.open_evidence_form)
    app.options(views.PRACTICE_FIELD)(views.practice_options)
    app.view(views.FORM_CALLBACK)(views.form_submitted)


__all__ = ["Deps", "register"]
