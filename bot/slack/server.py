"""What is Slack's in serving: its routes (/slack/events, and the OAuth pages) for bot/server.py's one app, its settings
check, and Socket Mode's connection."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import urllib.error
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.http import guarded_body
from bot.logs import announce
from bot.settings import ConfigError, Settings
from bot.slack.app import OAuthNotSupported, build_app, oauth_problem
from bot.slack.listeners.base import AFTER_RESPONSE, Deps
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
    """Slack's routes alone as an ASGI application, with GET /healthz and `extra_routes` (the tests serve it so)."""

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [*slack_routes(bolt_app, signing_secret=signing_secret), Route(HEALTH_PATH, healthz, methods=["GET"])]
    return Starlette(routes=[*routes, *extra_routes])


def slack_routes(bolt_app: App, *, signing_secret: str) -> list[BaseRoute]:
    """Slack's routes: POST /slack/events for Bolt; with OAuth, GET /slack/install (the
    "Add to Slack" page) and GET /slack/oauth_redirect (Slack sends the installer back there) too.

    The signature is checked here first (401, as Bolt would), then the payload's shape: a signed request
    that Bolt would fail on with a 500 (invalid JSON, an event that is not an object, a slash command
    without a user...) gets a 400 naming the problem instead. Bolt checks the signature again.

    Bolt's own Starlette handler calls the synchronous App.dispatch on the event loop, where a slash command
    would hold every other request while Bolt waits for ack(); its request and response conversions are used
    here with dispatch moved to a worker thread."""

    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: Request) -> Response:
        body, refusal = await guarded_body(request)
        if body is None:
            return refusal
        text = body.decode("utf-8", errors="replace")
        if not _signed(verifier, text, request):
            return PlainTextResponse("invalid request signature", status_code=401)
        problem = payload_problem(text, request.headers.get("Content-Type", ""))
        if problem:
            log.warning("rejected a signed Slack request: %s", problem)
            return PlainTextResponse(f"malformed Slack request: {problem}", status_code=400)
        bolt_request = _reparsed(to_bolt_request(request, body), text)
        bolt_response = await asyncio.to_thread(bolt_app.dispatch, bolt_request)
        response = to_starlette_response(bolt_response)
        after = bolt_request.context.get(AFTER_RESPONSE)
        if after:  # runs once the response has gone out (and a graceful shutdown waits for it)
            response.background = BackgroundTask(asyncio.to_thread, _run_all, list(after))
        return response

    routes: list[BaseRoute] = [Route(EVENTS_PATH, slack_events, methods=["POST"])]
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
    return routes


def _reparsed(bolt_request: Any, text: str) -> Any:
    """Bolt reads any form body that contains the word "payload" as an interaction payload, so a slash command whose text
    says "payload" would reach no listener (404). Such a command is parsed again as the form it is."""
    if "payload" in text and not bolt_request.body:
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "command" in form and "payload" not in form:
            from slack_bolt.context import BoltContext
            from slack_bolt.request.internals import build_context

            bolt_request.body = form
            bolt_request.context = build_context(BoltContext({}), form)
    return bolt_request


def _run_all(steps: list[Callable[[], None]]) -> None:
    for step in steps:
        try:
            step()
        except Exception:
            log.exception("a step after the response failed")


def check_settings(settings: Settings, environ: Mapping[str, str] | None = None, ctx: Context | None = None) -> None:
    """Refuse to start half-configured, saying what to set. Raises SlackConfigError."""
    problem = oauth_problem(settings, ctx, environ)
    if problem:
        raise SlackConfigError(problem)
    oauth = settings.slack_oauth
    if oauth and not settings.slack_signing_secret:
        raise SlackConfigError(
            "OAuth installation (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) runs in HTTP mode, which needs SLACK_SIGNING_SECRET "
            "to verify that requests come from Slack. Set SLACK_SIGNING_SECRET (Basic Information > App Credentials)."
        )
    if oauth and settings.slack_bot_token:
        log.warning("SLACK_BOT_TOKEN is ignored with OAuth: each workspace's requests use the bot token it installed")
    if not oauth and not settings.slack_bot_token:
        raise SlackConfigError(
            "SLACK_BOT_TOKEN is not set. Put the bot token (xoxb-...) in the environment or in .env; see README 'Connecting Slack'."
        )
    if not settings.slack_app_token and not settings.slack_signing_secret:
        raise SlackConfigError(
            "HTTP mode needs SLACK_SIGNING_SECRET to verify that requests come from Slack; refusing to start without it. "
            "Set SLACK_SIGNING_SECRET (Basic Information > App Credentials), or set SLACK_APP_TOKEN to use Socket Mode."
        )


def build_checked_app(settings: Settings, ctx: Context, *, deps: Deps | None = None) -> App:
    """Check the Slack settings, then build the app (its auth.test checks the bot token with Slack)."""
    check_settings(settings, ctx=ctx)
    try:
        return build_app(settings, ctx, deps=deps)
    except OAuthNotSupported as exc:
        raise SlackConfigError(str(exc)) from None
    except BoltError as exc:
        # Bolt wraps auth.test's answer; the token itself is never in the message.
        raise SlackConfigError(f"Slack did not accept SLACK_BOT_TOKEN: {exc}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise SlackConfigError(f"Could not reach the Slack Web API at {settings.slack_api_url}: {exc}") from None


def serve_socket_mode(app: App, app_token: str) -> None:
    """Socket Mode until SIGTERM or SIGINT. Each envelope is answered as the HTTP server answers a request, and the
    steps meant for after the response run once it is sent."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
    from slack_bolt.request import BoltRequest

    class Handler(SocketModeHandler):
        def handle(self, client, req) -> None:  # type: ignore[no-untyped-def]
            import time

            start = time.time()
            bolt_request = BoltRequest(mode="socket_mode", body=req.payload, headers=build_headers(req))
            send_response(client, req, self.app.dispatch(bolt_request), start)
            _run_all(list(bolt_request.context.get(AFTER_RESPONSE) or ()))

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    handler = Handler(app, app_token)
    announce("connecting to Slack over Socket Mode (Ctrl-C to stop)")
    try:
        handler.connect()
        stop.wait()
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        handler.close()
