"""The Teams adapter: SDK app (app.py) and its listeners per activity kind (listeners/), activity conversion (convert.py),
Adaptive Cards and dialogs (render.py, dialogs.py), serving (server.py), digests, recovery, the app package (package.py)."""

from __future__ import annotations

from bot.settings import ConfigError, Settings


class TeamsConfigError(ConfigError):
    """The Teams settings are missing or malformed; the message says what to set."""


def check_settings(settings: Settings) -> None:
    """Refuse to start half-configured, saying what to set. Raises TeamsConfigError."""
    if settings.teams_no_auth:
        return
    if settings.teams_client_id and not settings.teams_client_secret:
        raise TeamsConfigError("CLIENT_ID is set but CLIENT_SECRET is not. Put the bot's client secret in the environment or .env.")
    if settings.teams_client_secret and not settings.teams_client_id:
        raise TeamsConfigError("CLIENT_SECRET is set but CLIENT_ID is not. Put the bot's app (client) ID in the environment or .env.")
    if not settings.teams_client_id:
        raise TeamsConfigError(
            "Teams needs CLIENT_ID and CLIENT_SECRET (and TENANT_ID for a single-tenant bot); see README 'Connecting Microsoft Teams'."
        )
