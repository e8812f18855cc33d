"""Serve the Slack app: Socket Mode when an app token is set, else HTTP (Starlette on uvicorn) with /slack/events and /healthz.
Either way the weekly-digest scheduler runs beside it, in a thread, while it serves."""

from __future__ import annotations

import asyncio
import logging
import sys
import urllib.error
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.scheduler import Deliverer, SchedulerThread, run_due
from bot.settings import Settings
from bot.slack.app import OAuthNotSupported, build_app, oauth_requested
from bot.slack.digests import SlackDeliverer
from bot.slack.validate import payload_problem
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


def _signed(verifier: SignatureVerifier, body: str, request: Request) -> bool:
    """Signature and freshness as Bolt checks them; a missing or non-numeric timestamp is simply invalid."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    if not timestamp.isdigit():
        return False
    return verifier.is_valid(body, timestamp, request.headers.get("X-Slack-Signature", ""))


def http_app(bolt_app: App, extra_routes: Sequence[BaseRoute] = (), *, signing_secret: str) -> Starlette:
    """The ASGI application: POST /slack/events for Bolt, GET /healthz.

    The signature is checked here first (401, as Bolt would), then the payload's shape: a signed request
    that Bolt would fail on with a 500 (invalid JSON, an event that is not an object, a slash command
    without a user...) gets a 400 naming the problem instead. Bolt checks the signature again.

    Bolt's own Starlette handler calls the synchronous App.dispatch on the event loop, where a slash command
    would hold every other request while Bolt waits for ack(); its request and response conversions are used
    here with dispatch moved to a worker thread."""

    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: Request) -> Response:
        body = await _read_body(request)
        if body is None:
            return PlainTextResponse("request body too large", status_code=413)
        text = body.decode("utf-8", errors="replace")
        if not _signed(verifier, text, request):
            return PlainTextResponse("invalid request signature", status_code=401)
        problem = payload_problem(text, request.headers.get("Content-Type", ""))
        if problem:
            log.warning("rejected a signed Slack request: %s", problem)
            return PlainTextResponse(f"malformed Slack request: {problem}", status_code=400)
        bolt_response = await asyncio.to_thread(bolt_app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [Route(EVENTS_PATH, slack_events, methods=["POST"]), Route(HEALTH_PATH, healthz, methods=["GET"])]
    return Starlette(routes=[*routes, *extra_routes])


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


def digest_interval(value: str) -> float:
    """CMMI_DIGEST_CHECK_SECONDS as seconds; 0 means the in-process scheduler is off. Raises SlackConfigError."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400 or seconds != seconds:
        raise SlackConfigError(f"CMMI_DIGEST_CHECK_SECONDS must be a number of seconds from 0 (off) to 86400, not {value!r}.")
    return seconds


def check_settings(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Refuse to start half-configured, saying what to set. Raises SlackConfigError."""
    if oauth_requested(environ):
        raise SlackConfigError(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set, but cmmi-bot runs in one workspace with SLACK_BOT_TOKEN; "
            "installing into several workspaces over OAuth is not built. Unset both so Slack's SDK does not switch to OAuth."
        )
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
    digest_interval(settings["CMMI_DIGEST_CHECK_SECONDS"])


def build_checked_app(settings: Settings, ctx: Context) -> App:
    """Check the Slack settings, then build the app (its auth.test checks the bot token with Slack)."""
    check_settings(settings)
    try:
        return build_app(settings, ctx)
    except OAuthNotSupported as exc:
        raise SlackConfigError(str(exc)) from None
    except BoltError as exc:
        # Bolt wraps auth.test's answer; the token itself is never in the message.
        raise SlackConfigError(f"Slack did not accept SLACK_BOT_TOKEN: {exc}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise SlackConfigError(f"Could not reach the Slack Web API at {settings['SLACK_API_URL']}: {exc}") from None


def start_scheduler(settings: Settings, ctx: Context, deliverers: Mapping[str, Deliverer]) -> SchedulerThread | None:
    """The in-process digest loop: run_due every CMMI_DIGEST_CHECK_SECONDS; None when that is 0 or there is no database."""
    interval = digest_interval(settings["CMMI_DIGEST_CHECK_SECONDS"])
    store = ctx.store
    if not interval or store is None:
        return None
    thread = SchedulerThread(lambda: run_due(ctx, store, deliverers, datetime.now(UTC)), interval)
    thread.start()
    return thread


def serve(
    settings: Settings,
    ctx: Context,
    extra_routes: Sequence[BaseRoute] = (),
    deliverers: Mapping[str, Deliverer] | None = None,
) -> int:
    """Run the Slack app until interrupted: Socket Mode if SLACK_APP_TOKEN is set, else HTTP. Raises SlackConfigError.

    extra_routes: Starlette routes or mounts served beside /slack/events (another transport, such as Teams) in HTTP mode.
    deliverers: digest deliverers for other transports, beside Slack's own; the scheduler runs while serving."""
    app = build_checked_app(settings, ctx)
    app_token = settings["SLACK_APP_TOKEN"]
    if app_token and extra_routes:
        raise SlackConfigError("Other transports need the HTTP server, but SLACK_APP_TOKEN selects Socket Mode. Unset it to serve both.")
    scheduler = start_scheduler(settings, ctx, {"slack": SlackDeliverer(app.client), **(deliverers or {})})
    try:
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
        http_server(http_app(app, extra_routes, signing_secret=settings["SLACK_SIGNING_SECRET"]), host, port).run()
        return 0
    finally:
        if scheduler is not None:
            scheduler.stop()
            scheduler.join(timeout=30)
