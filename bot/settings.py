"""Settings as data: one typed table of (name, default, help, parser, attribute), parsed once from the environment.

Decision: a typed table in the standard library, not pydantic-settings. The default (Slack-only) install stays light
(pydantic comes only with the Teams extra), `cmmi-bot ask --json` starts without importing a validation framework, and
the table is what the README test reads: each row's name, default and help are the README's settings table, and its
parser turns the text into the typed attribute of `Settings` (or refuses it with a message naming the variable and
what to type). No module outside this one parses a setting's text."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Generic, TypeVar

from bot.admins import Admins

T = TypeVar("T")


class ConfigError(Exception):
    """Settings that keep cmmi-bot (or one of its servers) from starting; the message says what to set."""


class SettingError(ConfigError, ValueError):
    """A setting with a value cmmi-bot cannot use; the message names it and says what is allowed."""


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


# ---- parsers: (variable name, text) -> typed value, or SettingError saying what to type ------------------------------


def text(name: str, value: str) -> str:
    return value


def port(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise SettingError(f"{name} must be a port number (0-65535), not {_shown(value)}.")
    return number


def seconds(low: float, high: float, *, off: bool = False) -> Callable[[str, str], float]:
    """A number of seconds from low to high (0 meaning "off" when `off`)."""
    span = f"from {low:g} (off) to {high:g}" if off else f"from {low:g} to {high:g}"

    def parse(name: str, value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not low <= number <= high:  # also refuses nan
            raise SettingError(f"{name} must be a number of seconds {span}, not {_shown(value)}.")
        return number

    return parse


def months(name: str, value: str) -> int:
    value = value.strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 3 and 1 <= int(value) <= 120):
        raise SettingError(f"{name} must be a whole number of months from 1 to 120, not {_shown(value)}.")
    return int(value)


def no_auth(name: str, value: str) -> bool:
    """Exactly "1" turns Teams' inbound authentication off (local testing only); "" or "0" leaves it on."""
    value = value.strip()
    if value not in {"", "0", "1"}:
        raise SettingError(f"{name} must be 1 (local testing only) or empty, not {_shown(value)}.")
    return value == "1"


def url(name: str, value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) <= len("https://"):
        raise SettingError(f"{name} must be an http:// or https:// URL, not {_shown(value)}.")
    return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


def log_level(name: str, value: str) -> int:
    """A logging level; an unknown one logs at WARNING (a typo in a log level should not keep the bot from starting)."""
    upper = value.strip().upper()
    return getattr(logging, upper) if upper in LOG_LEVELS else logging.WARNING


def log_format(name: str, value: str) -> str:
    """json or text; anything else logs as text (configure_logging says so once logging is set up)."""
    return "json" if value.strip().lower() == "json" else "text"


def admins(name: str, value: str) -> Admins:
    return Admins.parse(value)


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One row of the table: the variable, its default and help (the README's row), how its text is read, and the
    attribute of Settings that holds the result."""

    name: str
    default: str
    help: str
    parse: Callable[[str, str], T]
    attr: str

    def read(self, environ: Mapping[str, str]) -> T:
        return self.parse(self.name, environ.get(self.name, self.default))


SETTINGS: tuple[Setting[Any], ...] = (
    Setting(
        "CMMI_LOG_LEVEL",
        "WARNING",
        "Log level: DEBUG, INFO, WARNING or ERROR. Message text is never logged at INFO or above; tokens, secrets and OAuth codes never at all.",
        log_level,
        "log_level",
    ),
    Setting(
        "CMMI_LOG_FORMAT",
        "text",
        "text: one human-readable line per record. json: one JSON object per line (time, level, logger, message, request_id, "
        "exception), with one request_id for every line a command logs.",
        log_format,
        "log_format",
    ),
    Setting(
        "CMMI_DATABASE_URL",
        "",
        "Database URL. Empty: an SQLite file in your data folder ($XDG_DATA_HOME/cmmi-bot/cmmi-bot.db, usually "
        "~/.local/share/cmmi-bot/cmmi-bot.db). PostgreSQL: postgresql+psycopg://USER:PASSWORD@HOST:5432/DBNAME.",
        text,
        "database_url",
    ),
    Setting(
        "SLACK_BOT_TOKEN",
        "",
        "Slack bot token (xoxb-...). With SLACK_APP_TOKEN or SLACK_SIGNING_SECRET, `make run` starts Slack.",
        text,
        "slack_bot_token",
    ),
    Setting(
        "SLACK_SIGNING_SECRET",
        "",
        "Slack signing secret: verifies that requests come from Slack. Required in HTTP mode.",
        text,
        "slack_signing_secret",
    ),
    Setting(
        "SLACK_APP_TOKEN",
        "",
        "App-level token (xapp-..., scope connections:write): when set, Slack connects over Socket Mode.",
        text,
        "slack_app_token",
    ),
    Setting(
        "SLACK_CLIENT_ID",
        "",
        "Slack app's client ID. With SLACK_CLIENT_SECRET: several workspaces install cmmi-bot over OAuth (HTTP mode; no SLACK_BOT_TOKEN).",
        text,
        "slack_client_id",
    ),
    Setting(
        "SLACK_CLIENT_SECRET",
        "",
        "Slack app's client secret (Basic Information > App Credentials), for OAuth installation.",
        text,
        "slack_client_secret",
    ),
    Setting(
        "SLACK_REDIRECT_URI",
        "",
        "OAuth only: the Redirect URL registered with Slack (https://YOUR-HOST/slack/oauth_redirect); empty uses the app's only one.",
        text,
        "slack_redirect_uri",
    ),
    Setting(
        "SLACK_API_URL",
        "https://slack.com/api/",
        "Base URL of the Slack Web API; tests and proxies point it elsewhere.",
        url,
        "slack_api_url",
    ),
    Setting("CMMI_HTTP_HOST", "0.0.0.0", "Address the HTTP server listens on.", text, "http_host"),
    Setting(
        "CMMI_HTTP_PORT",
        "3000",
        "Port the HTTP server listens on: POST /slack/events (Slack HTTP mode), POST /api/messages (Teams), GET /healthz, /readyz "
        "and /metrics. With Slack Socket Mode, the probes and metrics are served on it only when it is set.",
        port,
        "http_port",
    ),
    Setting(
        "CLIENT_ID",
        "",
        "Microsoft Teams bot: the app (client) ID of its Entra app registration. With CLIENT_SECRET, `cmmi-bot serve` serves Teams.",
        text,
        "teams_client_id",
    ),
    Setting("CLIENT_SECRET", "", "Microsoft Teams bot: a client secret of that app registration.", text, "teams_client_secret"),
    Setting(
        "TENANT_ID",
        "",
        "Microsoft Teams bot: the Entra tenant ID of a single-tenant bot; empty for a multi-tenant bot.",
        text,
        "teams_tenant_id",
    ),
    Setting(
        "CMMI_TEAMS_NO_AUTH",
        "",
        "1: serve the Teams endpoint (POST /api/messages) without credentials and without authenticating requests. Local testing only; logs a warning.",
        no_auth,
        "teams_no_auth",
    ),
    Setting(
        "CMMI_SHUTDOWN_GRACE_SECONDS",
        "10",
        "On SIGTERM or Ctrl-C, `cmmi-bot serve` stops taking requests and lets work in flight finish for up to this many seconds, then exits 0.",
        seconds(0, 600),
        "shutdown_grace",
    ),
    Setting(
        "CMMI_RECOVER_AFTER_SECONDS",
        "60",
        "A chat request recorded as received but not answered this many seconds ago was left by a stopped process; "
        "`cmmi-bot serve` (any replica) then carries it out if it was not, and answers it.",
        seconds(1, 86_400),
        "recover_after",
    ),
    Setting(
        "CMMI_ADMINS",
        "",
        "Comma-separated people who act as workspace admins (remove anyone's evidence, rename any group) in every transport, "
        "beside Slack's own admins: Slack user IDs (U0123ABCD), Teams AAD object IDs, console user names, or e-mail addresses "
        "(any case; matched in Slack only when the app has the users:read.email scope).",
        admins,
        "admins",
    ),
    Setting(
        "CMMI_DIGEST_CHECK_SECONDS",
        "60",
        "How often `cmmi-bot serve` checks for weekly digests that are due, in seconds; 0 turns the in-process check off (use cron).",
        seconds(0, 86_400, off=True),
        "digest_check",
    ),
    Setting(
        "CMMI_EVIDENCE_REVIEW_MONTHS",
        "12",
        "Evidence is due for review this many months (1-120) after its date or its last 'still valid'; "
        "a workspace's admins can choose their own with `settings review-months N`.",
        months,
        "review_months",
    ),
)


@dataclass(frozen=True)
class Settings:
    """Every setting, typed (one attribute per row of SETTINGS), plus what start-up decisions need about the environment.
    Secrets (and the database URL, which may carry a password) are left out of its repr."""

    log_level: int
    log_format: str
    database_url: str = field(repr=False)  # as given; database_location() says where an empty one points
    slack_bot_token: str = field(repr=False)
    slack_signing_secret: str = field(repr=False)
    slack_app_token: str = field(repr=False)
    slack_client_id: str
    slack_client_secret: str = field(repr=False)
    slack_redirect_uri: str
    slack_api_url: str
    http_host: str
    http_port: int
    teams_client_id: str
    teams_client_secret: str = field(repr=False)
    teams_tenant_id: str
    teams_no_auth: bool
    shutdown_grace: float
    recover_after: float
    admins: Admins
    digest_check: float
    review_months: int
    given: frozenset[str] = frozenset()  # the names set in the environment (or .env), not left at their defaults
    raw: Mapping[str, str] | None = field(default=None, repr=False)  # the text of each setting, for messages that quote what was typed

    @property
    def slack_oauth(self) -> bool:
        """Several workspaces install cmmi-bot over OAuth: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are both set."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def slack_configured(self) -> bool:
        """Enough to start Slack: a bot token plus an app token (Socket Mode) or a signing secret (HTTP); or the OAuth
        credentials (`serve` then says what else OAuth needs: a signing secret, HTTP mode, a database)."""
        if self.slack_oauth:
            return True
        return bool(self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret))

    @property
    def teams_configured(self) -> bool:
        """Enough to serve Teams: CLIENT_ID and CLIENT_SECRET, or CMMI_TEAMS_NO_AUTH=1."""
        return bool(self.teams_client_id and self.teams_client_secret) or self.teams_no_auth

    def database_location(self) -> str:
        """CMMI_DATABASE_URL, or the SQLite file in the data folder (XDG_DATA_HOME, read now) when it is empty."""
        from store import sqlite_url

        return self.database_url or sqlite_url(data_dir() / "cmmi-bot.db")


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


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and parse every known setting from the environment (or a given mapping), falling back to defaults.
    Raises SettingError, naming the first setting whose value cannot be used."""
    env = os.environ if environ is None else environ
    # The table and the dataclass are one definition in two shapes; tests/test_readme.py checks they match.
    values: dict[str, Any] = {s.attr: s.read(env) for s in SETTINGS}
    return Settings(
        **values,
        given=frozenset(s.name for s in SETTINGS if s.name in env),
        raw={s.name: env.get(s.name, s.default) for s in SETTINGS},
    )


def setting_attributes() -> list[str]:
    """The attributes of Settings that come from the table, in its order (for the test that keeps both in step)."""
    extra = {"given", "raw"}
    return [f.name for f in fields(Settings) if f.name not in extra]
