"""The Slack app: build the Bolt App and its Web API client, and register cmmi-bot's listeners (bot/slack/listeners/) on it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.edge import Deliveries
from bot.settings import Settings
from bot.slack.listeners import Deps, register
from bot.slack.oauth import oauth_settings
from bot.slack.users import UserDirectory
from bot.work import Work
from handlers import Context

# Bolt turns on OAuth with a file installation store of its own when both of these are in the environment, even
# empty, and it is given no OAuth settings: cmmi-bot gives it settings when both are set, and refuses otherwise.
OAUTH_ENVIRONMENT = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


class OAuthNotSupported(Exception):
    """OAuth is asked for in a way cmmi-bot cannot serve: one credential empty, Socket Mode, or no database."""


def oauth_requested(environ: Mapping[str, str] | None = None) -> bool:
    """True when Bolt, given no OAuth settings, would switch to OAuth on its own (both variables present, even empty)."""
    env = os.environ if environ is None else environ
    return all(env.get(name) is not None for name in OAUTH_ENVIRONMENT)


def api_base_url(url: str) -> str:
    """slack_sdk joins method names onto base_url, so it must end with '/': '…/api' would lose 'api'."""
    return url if url.endswith("/") else url + "/"


def build_client(settings: Settings, token: str | None = None) -> WebClient:
    """The Web API client: aimed at SLACK_API_URL, and retrying as Slack asks. Its token: `token` if given, else
    SLACK_BOT_TOKEN; none with OAuth, where Bolt gives each request the token of the workspace it comes from.

    A 429 waits for Retry-After and tries again (up to 3 times); a 500/503 or a dropped connection is retried once.
    A chat.postMessage retried after a 5xx can, rarely, post twice: Slack offers no idempotency key."""
    return WebClient(
        token=token or (None if settings.slack_oauth else settings.slack_bot_token or None),
        base_url=api_base_url(settings.slack_api_url),
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def oauth_problem(settings: Settings, ctx: Context | None, environ: Mapping[str, str] | None = None) -> str | None:
    """Why OAuth cannot run as configured, or None (also None when OAuth is simply off)."""
    if not settings.slack_oauth:
        if oauth_requested(environ):
            return (
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are in the environment but one of them is empty. Set both to install "
                "cmmi-bot into several workspaces over OAuth, or unset both to run in one workspace with SLACK_BOT_TOKEN."
            )
        return None
    if settings.slack_app_token:
        return (
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET turn on OAuth installation, which needs HTTP mode, but SLACK_APP_TOKEN "
            "selects Socket Mode. Unset SLACK_APP_TOKEN (and set SLACK_SIGNING_SECRET), or unset the OAuth credentials."
        )
    if ctx is not None and ctx.store is None:
        return "OAuth installation keeps installations in the database, and there is none here. Set CMMI_DATABASE_URL."
    return None


def build_deps(settings: Settings, ctx: Context, *, work: Work | None = None, deliveries: Deliveries | None = None) -> Deps:
    """What the listeners need: the Web API client, users.info cache, the record of deliveries (the database inbox, or
    memory without a database) and the pool for work after an acknowledgement (the server drains it at shutdown)."""
    client = build_client(settings)
    return Deps(
        ctx=ctx,
        client=client,
        users=UserDirectory(client),
        deliveries=deliveries or Deliveries(ctx),
        work=work or Work(name="cmmi-slack"),
        admins=settings.admins,
    )


def build_app(settings: Settings, ctx: Context, *, deps: Deps | None = None) -> App:
    """A Bolt App with cmmi-bot's listeners.

    One workspace (SLACK_BOT_TOKEN): calls auth.test (through SLACK_API_URL) to check the token.
    Several (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET): Bolt's OAuth flow, installations in the app's database,
    each request authorized with its workspace's bot token. Refuses (OAuthNotSupported) what it cannot serve,
    rather than let Bolt read the OAuth variables from the environment and keep installations in files."""
    problem = oauth_problem(settings, ctx)
    if problem:
        raise OAuthNotSupported(problem)
    deps = deps or build_deps(settings, ctx)
    oauth: dict[str, Any] = {}
    if settings.slack_oauth:
        assert ctx.store is not None  # oauth_problem said so
        oauth["oauth_settings"] = oauth_settings(settings, ctx.store.engine)
    app = App(
        name="cmmi-bot",
        client=deps.client,
        # Passed explicitly, even when empty (Socket Mode), so Bolt never falls back to reading os.environ.
        signing_secret=settings.slack_signing_secret,
        # Work first, acknowledge after: a command's answer (and its write) goes with the acknowledgement, and what
        # must wait for Slack's API is recorded first and handed to deps.work (see bot/slack/listeners/).
        process_before_response=True,
        **oauth,
    )
    register(app, deps)
    return app
