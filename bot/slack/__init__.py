"""The Slack adapter: Bolt app (app.py), payload conversion (convert.py), Block Kit (render.py), serving (server.py)."""

from __future__ import annotations

from bot.settings import Settings


def slack_configured(settings: Settings) -> bool:
    """True when there is enough to start Slack: a bot token, plus an app token (Socket Mode) or a signing secret (HTTP).
    Kept here, free of SDK imports, so deciding between Slack and the console costs nothing."""
    return bool(settings["SLACK_BOT_TOKEN"] and (settings["SLACK_APP_TOKEN"] or settings["SLACK_SIGNING_SECRET"]))
