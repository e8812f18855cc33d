"""The Teams adapter: SDK app (app.py) and its listeners per activity kind (listeners/), activity conversion (convert.py),
Adaptive Cards and dialogs (render.py, dialogs.py), serving (server.py), digests, recovery, the app package (package.py)."""

from __future__ import annotations

from bot.http import ConfigError
from bot.settings import Settings


class TeamsConfigError(ConfigError):
    """The Teams settings are missing or malformed; the message says what to set."""


def no_auth(settings: Settings) -> bool:
    """CMMI_TEAMS_NO_AUTH: exactly "1" turns inbound authentication off (local testing only); "" or "0" leaves it on."""
    value = settings["CMMI_TEAMS_NO_AUTH"].strip()
    if value not in {"", "0", "1"}:
        raise TeamsConfigError(f"CMMI_TEAMS_NO_AUTH must be 1 (local testing only) or empty, not {value!r}.")
    return value == "1"


def teams_configured(settings: Settings) -> bool:
    """True when there is enough to serve Teams: CLIENT_ID and CLIENT_SECRET, or CMMI_TEAMS_NO_AUTH=1.
    Kept here, free of SDK imports (the SDK takes about 0.8 s to import), so deciding what to start costs nothing."""
    return bool(settings["CLIENT_ID"] and settings["CLIENT_SECRET"]) or settings["CMMI_TEAMS_NO_AUTH"].strip() == "1"


def check_settings(settings: Settings) -> None:
    """Refuse to start half-configured, saying what to set. Raises TeamsConfigError."""
    if no_auth(settings):
        return
    if settings["CLIENT_ID"] and not settings["CLIENT_SECRET"]:
        raise TeamsConfigError("CLIENT_ID is set but CLIENT_SECRET is not. Put the bot's client secret in the environment or .env.")
    if settings["CLIENT_SECRET"] and not settings["CLIENT_ID"]:
        raise TeamsConfigError("CLIENT_SECRET is set but CLIENT_ID is not. Put the bot's app (client) ID in the environment or .env.")
    if not settings["CLIENT_ID"]:
        raise TeamsConfigError(
            "Teams needs CLIENT_ID and CLIENT_SECRET (and TENANT_ID for a single-tenant bot); see README 'Connecting Microsoft Teams'."
        )
