"""Settings as data: one table of (name, default, help), read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CMMI_LOG_LEVEL",
        "WARNING",
        "Log level: DEBUG, INFO, WARNING or ERROR. Message text is never logged at INFO or above; tokens, secrets and OAuth codes never at all.",
    ),
    Setting(
        "CMMI_LOG_FORMAT",
        "text",
        "text: one human-readable line per record. json: one JSON object per line (time, level, logger, message, request_id, "
        "exception), with one request_id for every line a command logs.",
    ),
    Setting(
        "CMMI_DATABASE_URL",
        "",
        "Database URL. Empty: an SQLite file in your data folder ($XDG_DATA_HOME/cmmi-bot/cmmi-bot.db, usually "
        "~/.local/share/cmmi-bot/cmmi-bot.db). PostgreSQL: postgresql+psycopg://USER:PASSWORD@HOST:5432/DBNAME.",
    ),
    Setting("SLACK_BOT_TOKEN", "", "Slack bot token (xoxb-...). With SLACK_APP_TOKEN or SLACK_SIGNING_SECRET, `make run` starts Slack."),
    Setting("SLACK_SIGNING_SECRET", "", "Slack signing secret: verifies that requests come from Slack. Required in HTTP mode."),
    Setting("SLACK_APP_TOKEN", "", "App-level token (xapp-..., scope connections:write): when set, Slack connects over Socket Mode."),
    Setting(
        "SLACK_CLIENT_ID",
        "",
        "Slack app's client ID. With SLACK_CLIENT_SECRET: several workspaces install cmmi-bot over OAuth (HTTP mode; no SLACK_BOT_TOKEN).",
    ),
    Setting("SLACK_CLIENT_SECRET", "", "Slack app's client secret (Basic Information > App Credentials), for OAuth installation."),
    Setting(
        "SLACK_REDIRECT_URI",
        "",
        "OAuth only: the Redirect URL registered with Slack (https://YOUR-HOST/slack/oauth_redirect); empty uses the app's only one.",
    ),
    Setting("SLACK_API_URL", "https://slack.com/api/", "Base URL of the Slack Web API; tests and proxies point it elsewhere."),
    Setting("CMMI_HTTP_HOST", "0.0.0.0", "Address the HTTP server listens on."),
    Setting(
        "CMMI_HTTP_PORT",
        "3000",
        "Port the HTTP server listens on: POST /slack/events (Slack HTTP mode), POST /api/messages (Teams), GET /healthz, /readyz "
        "and /metrics. With Slack Socket Mode, the probes and metrics are served on it only when it is set.",
    ),
    Setting(
        "CLIENT_ID",
        "",
        "Microsoft Teams bot: the app (client) ID of its Entra app registration. With CLIENT_SECRET, `cmmi-bot serve` serves Teams.",
    ),
    Setting("CLIENT_SECRET", "", "Microsoft Teams bot: a client secret of that app registration."),
    Setting("TENANT_ID", "", "Microsoft Teams bot: the Entra tenant ID of a single-tenant bot; empty for a multi-tenant bot."),
    Setting(
        "CMMI_TEAMS_NO_AUTH",
        "",
        "1: serve the Teams endpoint (POST /api/messages) without credentials and without authenticating requests. Local testing only; logs a warning.",
    ),
    Setting(
        "CMMI_SHUTDOWN_GRACE_SECONDS",
        "10",
        "On SIGTERM or Ctrl-C, `cmmi-bot serve` stops taking requests and lets work in flight finish for up to this many seconds, then exits 0.",
    ),
    Setting(
        "CMMI_RECOVER_AFTER_SECONDS",
        "60",
        "A chat request recorded as received but not answered this many seconds ago was left by a stopped process; "
        "`cmmi-bot serve` (any replica) then carries it out if it was not, and answers it.",
    ),
    Setting(
        "CMMI_ADMINS",
        "",
        "Comma-separated people who act as workspace admins (remove anyone's evidence, rename any group) in every transport, "
        "beside Slack's own admins: Slack user IDs (U0123ABCD), Teams AAD object IDs, console user names, or e-mail addresses "
        "(any case; matched in Slack only when the app has the users:read.email scope).",
    ),
    Setting(
        "CMMI_DIGEST_CHECK_SECONDS",
        "60",
        "How often `cmmi-bot serve` checks for weekly digests that are due, in seconds; 0 turns the in-process check off (use cron).",
    ),
    Setting(
        "CMMI_EVIDENCE_REVIEW_MONTHS",
        "12",
        "Evidence is due for review this many months (1-120) after its date or its last 'still valid'; "
        "a workspace's admins can choose their own with `settings review-months N`.",
    ),
)


class SettingError(ValueError):
    """A setting with a value cmmi-bot cannot use; the message names it and says what is allowed."""


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, str]
    given: frozenset[str] = frozenset()  # the names set in the environment (or .env), not left at their defaults

    def __getitem__(self, name: str) -> str:
        return self.values[name]


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user data folder (XDG base directory rules)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cmmi-bot"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user cache folder (XDG base directory rules), where the built search index is kept between starts."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cmmi-bot"


def database_url(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    from store import sqlite_url

    return settings["CMMI_DATABASE_URL"] or sqlite_url(data_dir(environ) / "cmmi-bot.db")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every known setting from the environment (or a given mapping), falling back to defaults."""
    env = os.environ if environ is None else environ
    return Settings({s.name: env.get(s.name, s.default) for s in SETTINGS}, frozenset(s.name for s in SETTINGS if s.name in env))


def review_months(settings: Settings) -> int:
    """CMMI_EVIDENCE_REVIEW_MONTHS as a number of months; raises SettingError."""
    value = settings["CMMI_EVIDENCE_REVIEW_MONTHS"].strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 3 and 1 <= int(value) <= 120):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise SettingError(f"CMMI_EVIDENCE_REVIEW_MONTHS must be a whole number of months from 1 to 120, not {shown!r}.")
    return int(value)
