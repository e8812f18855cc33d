"""Serve the Slack app: Socket Mode when an app token is set, else HTTP (Starlette on uvicorn) with /slack/events and /healthz.
Either way the weekly-digest scheduler runs beside it, in a thread, while it serves."""

from __future__ import annotations

import asyncio
import logging
import sys
import urllib.error
from collections.abc import Mapping, Sequence

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.http import MAX_BODY_BYTES, ConfigError, digest_interval, http_server, port_number, read_body, start_scheduler
from bot.scheduler import Deliverer
from bot.settings import Settings
from bot.slack.app import OAuthNotSupported, build_app, oauth_problem
from bot.slack.digests import SlackDeliverer
from bot.slack.oauth import installation_store, oauth_enabled
from bot.slack.validate import payload_problem
from handlers import Context

log = logging.getLogger("cmmi_bot.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's payloads are a few kilobytes; anything far larger is not from Slack and is refused before it is read whole.


class SlackConfigError(ConfigError):
    """The Slack settings are missing, malformed or rejected; the message says what to set."""


def _signed(verifier: SignatureVerifier, body: str, request: Request) -> bool:
    """Signature and freshness as Bolt checks them; a missing or non-numeric timestamp is simply invalid."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    if not timestamp.isdigit():
        return False
    return verifier.is_valid(body, timestamp, request.headers.get("X-Slack-Signature", ""))


def http_app(bolt_app: App, extra_routes: Sequence[BaseRoute] = (), *, signing_secret: str) -> Starlette:
    """The ASGI application: POST /slack/events for Bolt, GET /healthz; with OAuth, GET /slack/install (the
    "Add to Slack" page) and GET /slack/oauth_redirect (Slack sends the installer back there) too.

    The signature is checked here first (401, as Bolt would), then the payload's shape: a signed request
    that Bolt would fail on with a 500 (invalid JSON, an event that is not an object, a slash command
    without a user...) gets a 400 naming the problem instead. Bolt checks the signature again.

    Bolt's own Starlette handler calls the synchronous App.dispatch on the event loop, where a slash command
    would hold every other request while Bolt waits for ack(); its request and response conversions are used
    here with dispatch moved to a worker thread."""

    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: Request) -> Response:
        body = await read_body(request, MAX_BODY_BYTES)
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
    flow = bolt_app.oauth_flow
    if flow is not None:
        # The flow's store calls block on the database, and the callback on oauth.v2.access: in a worker thread.
        async def install(request: Request) -> Response:
            return to_starlette_response(await asyncio.to_thread(flow.handle_installation, to_bolt_request(request, b"")))

        async def oauth_redirect(request: Request) -> Response:
            return to_starlette_response(await asyncio.to_thread(flow.handle_callback, to_bolt_request(request, b"")))

        routes += [
            Route(flow.install_path, install, methods=["GET"]),
            Route(flow.redirect_uri_path, oauth_redirect, methods=["GET"]),
        ]
    return Starlette(routes=[*routes, *extra_routes])


def check_settings(settings: Settings, environ: Mapping[str, str] | None = None, ctx: Context | None = None) -> None:
    """Refuse to start half-configured, saying what to set. Raises SlackConfigError."""
    problem = oauth_problem(settings, ctx, environ)
    if problem:
        raise SlackConfigError(problem)
    oauth = oauth_enabled(settings)
    if oauth and not settings["SLACK_SIGNING_SECRET"]:
        raise SlackConfigError(
            "OAuth installation (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) runs in HTTP mode, which needs SLACK_SIGNING_SECRET "
            "to verify that requests come from Slack. Set SLACK_SIGNING_SECRET (Basic Information > App Credentials)."
        )
    if oauth and settings["SLACK_BOT_TOKEN"]:
        log.warning("SLACK_BOT_TOKEN is ignored with OAuth: each workspace's requests use the bot token it installed")
    if not oauth and not settings["SLACK_BOT_TOKEN"]:
        raise SlackConfigError(
            "SLACK_BOT_TOKEN is not set. Put the bot token (xoxb-...) in the environment or in .env; see README 'Connecting Slack'."
        )
    if not settings["SLACK_APP_TOKEN"] and not settings["SLACK_SIGNING_SECRET"]:
        raise SlackConfigError(
            "HTTP mode needs SLACK_SIGNING_SECRET to verify that requests come from Slack; refusing to start without it. "
            "Set SLACK_SIGNING_SECRET (Basic Information > App Credentials), or set SLACK_APP_TOKEN to use Socket Mode."
        )
    if not settings["SLACK_APP_TOKEN"]:
        port_number(settings["CMMI_HTTP_PORT"])
    digest_interval(settings["CMMI_DIGEST_CHECK_SECONDS"])


def build_checked_app(settings: Settings, ctx: Context) -> App:
    """Check the Slack settings, then build the app (its auth.test checks the bot token with Slack)."""
    check_settings(settings, ctx=ctx)
    try:
        return build_app(settings, ctx)
    except OAuthNotSupported as exc:
        raise SlackConfigError(str(exc)) from None
    except BoltError as exc:
        # Bolt wraps auth.test's answer; the token itself is never in the message.
        raise SlackConfigError(f"Slack did not accept SLACK_BOT_TOKEN: {exc}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise SlackConfigError(f"Could not reach the Slack Web API at {settings['SLACK_API_URL']}: {exc}") from None


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
    installations = installation_store(settings, ctx.store.engine) if oauth_enabled(settings) and ctx.store is not None else None
    slack_digests = SlackDeliverer(app.client, installations)
    scheduler = start_scheduler(settings, ctx, {"slack": slack_digests, **(deliverers or {})})
    try:
        if app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            print("cmmi-bot: connecting to Slack over Socket Mode (Ctrl-C to stop)", file=sys.stderr, flush=True)
            SocketModeHandler(app, app_token).start()
            return 0
        host, port = settings["CMMI_HTTP_HOST"], port_number(settings["CMMI_HTTP_PORT"])
        install = f"; install: {app.oauth_flow.install_path}" if app.oauth_flow is not None else ""
        print(
            f"cmmi-bot: Slack HTTP mode on http://{host}:{port}{EVENTS_PATH} (health: {HEALTH_PATH}{install}; Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        http_server(http_app(app, extra_routes, signing_secret=settings["SLACK_SIGNING_SECRET"]), host, port).run()
        return 0
    finally:
        if scheduler is not None:
            scheduler.stop()
            scheduler.join(timeout=30)
