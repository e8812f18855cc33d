"""The Slack adapter: Bolt app (app.py), payload conversion (convert.py), Block Kit (render.py), serving (server.py)."""

from __future__ import annotations

from bot.settings import Settings


def slack_configured(settings: Settings) -> bool:
    """True when there is enough to start Slack: a bot token, plus an app token (Socket Mode) or a signing secret (HTTP);
    or the OAuth credentials (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: several workspaces).
    Kept here, free of SDK imports, so deciding between Slack and the console costs nothing."""
    if settings["SLACK_CLIENT_ID"] and settings["SLACK_CLIENT_SECRET"]:
        return True  # `serve` then says what else OAuth needs (a signing secret, HTTP mode, a database)
    return bool(settings["SLACK_BOT_TOKEN"] and (settings["SLACK_APP_TOKEN"] or settings["SLACK_SIGNING_SECRET"]))
