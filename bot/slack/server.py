"""Serve the Slack app: Socket Mode when an app token is set, else HTTP (Starlette on uvicorn) with /slack/events and /healthz."""

from __future__ import annotations

import asyncio
import logging
import sys
import urllib.error

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.settings import Settings
from bot.slack.app import build_app
from handlers import Context

log = logging.getLogger("cmmi_bot.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's payloads are a few kilobytes; anything far larger is not from Slack and is refused before it is read whole.
MAX_BODY_BYTES = 1 << 20


class SlackConfigError(Exception):
    """The Slack settings are missing, malformed or rejected; the message says what to set."""


async def _read_body(request: Request) -> bytes | None:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def http_app(bolt_app: App) -> Starlette:
    """The ASGI application: POST /slack/events for Bolt (it verifies each request's signature), GET /healthz.

    Bolt's own Starlette handler calls the synchronous App.dispatch on the event loop, where a slash command
    would hold every other request while Bolt waits for ack(); its request and response conversions are used
    here with dispatch moved to a worker thread."""

    async def slack_events(request: Request) -> Response:
        body = await _read_body(request)
        if body is None:
            return PlainTextResponse("request body too large", status_code=413)
        bolt_response = await asyncio.to_thread(bolt_app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route(EVENTS_PATH, slack_events, methods=["POST"]), Route(HEALTH_PATH, healthz, methods=["GET"])])


def http_server(app: Starlette, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for the ASGI app that logs through cmmi-bot's logging setup (no config of its own)."""
    config = uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="off", ws="none", timeout_graceful_shutdown=5)
    return uvicorn.Server(config)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise SlackConfigError(f"CMMI_HTTP_PORT must be a port number (0-65535), not {value!r}.")
    return port


def check_settings(settings: Settings) -> None:
    """Refuse to start half-configured, saying what to set. Raises SlackConfigError."""
    if not settings["SLACK_BOT_TOKEN"]:
        raise SlackConfigError(
            "SLACK_BOT_TOKEN is not set. Put the bot token (xoxb-...) in the environment or in .env; see README 'Connecting Slack'."
        )
    if not settings["SLACK_APP_TOKEN"] and not settings["SLACK_SIGNING_SECRET"]:
        raise SlackConfigError(
            "HTTP mode needs SLACK_SIGNING_SECRET to verify that requests come from Slack; refusing to start without it. "
            "Set SLACK_SIGNING_SECRET (Basic Information > App Credentials), or set SLACK_APP_TOKEN to use Socket Mode."
        )
    if not settings["SLACK_APP_TOKEN"]:
        _port(settings["CMMI_HTTP_PORT"])


def build_checked_app(settings: Settings, ctx: Context) -> App:
    """Check the Slack settings, then build the app (its auth.test checks the bot token with Slack)."""
    check_settings(settings)
    try:
        return build_app(settings, ctx)
    except BoltError as exc:
        # Bolt wraps auth.test's answer; the token itself is never in the message.
        raise SlackConfigError(f"Slack did not accept SLACK_BOT_TOKEN: {exc}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise SlackConfigError(f"Could not reach the Slack Web API at {settings['SLACK_API_URL']}: {exc}") from None


def serve(settings: Settings, ctx: Context) -> int:
    """Run the Slack app until interrupted: Socket Mode if SLACK_APP_TOKEN is set, else HTTP. Raises SlackConfigError."""
    app = build_checked_app(settings, ctx)
    app_token = settings["SLACK_APP_TOKEN"]
    if app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        print("cmmi-bot: connecting to Slack over Socket Mode (Ctrl-C to stop)", file=sys.stderr, flush=True)
        SocketModeHandler(app, app_token).start()
        return 0
    host, port = settings["CMMI_HTTP_HOST"], _port(settings["CMMI_HTTP_PORT"])
    print(
        f"cmmi-bot: Slack HTTP mode on http://{host}:{port}{EVENTS_PATH} (health: {HEALTH_PATH}; Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    http_server(http_app(app), host, port).run()
    return 0
