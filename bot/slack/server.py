"""Serve the Slack app: Socket Mode when an app token is set, else HTTP (Starlette on uvicorn) with /slack/events and /healthz.
Either way the weekly-digest scheduler runs beside it, in a thread, while it serves."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import urllib.error
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
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

from bot.http import (
    ConfigError,
    Deadline,
    digest_interval,
    guarded_body,
    http_server,
    port_number,
    recover_after,
    shutdown_grace,
    start_scheduler,
)
from bot.ops import ops_routes, ops_server
from bot.scheduler import Deliverer
from bot.settings import Settings
from bot.slack.app import OAuthNotSupported, build_app, build_deps, oauth_problem
from bot.slack.digests import SlackDeliverer
from bot.slack.listeners.base import AFTER_RESPONSE, Deps
from bot.slack.oauth import installation_store, oauth_enabled
from bot.slack.recovery import recover
from bot.slack.validate import payload_problem
from bot.wiring import announce
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
    if not settings["SLACK_APP_TOKEN"] or "CMMI_HTTP_PORT" in settings.given:
        port_number(settings["CMMI_HTTP_PORT"])
    digest_interval(settings["CMMI_DIGEST_CHECK_SECONDS"])
    shutdown_grace(settings)
    recover_after(settings)


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
        raise SlackConfigError(f"Could not reach the Slack Web API at {settings['SLACK_API_URL']}: {exc}") from None


def serve(
    settings: Settings,
    ctx: Context,
    extra_routes: Sequence[BaseRoute] = (),
    deliverers: Mapping[str, Deliverer] | None = None,
) -> int:
    """Run the Slack app until SIGTERM or SIGINT: Socket Mode if SLACK_APP_TOKEN is set, else HTTP. Raises SlackConfigError.

    extra_routes: Starlette routes or mounts served beside /slack/events (another transport, such as Teams) in HTTP mode.
    deliverers: digest deliverers for other transports, beside Slack's own; the scheduler runs while serving, and also
    finishes deliveries a stopped process left open. On a signal it stops taking requests, lets what is in flight finish
    within CMMI_SHUTDOWN_GRACE_SECONDS, stops the scheduler and returns 0."""
    deps = build_deps(settings, ctx)
    app = build_checked_app(settings, ctx, deps=deps)
    app_token = settings["SLACK_APP_TOKEN"]
    if app_token and extra_routes:
        raise SlackConfigError("Other transports need the HTTP server, but SLACK_APP_TOKEN selects Socket Mode. Unset it to serve both.")
    grace, stale_after = shutdown_grace(settings), timedelta(seconds=recover_after(settings))
    installations = installation_store(settings, ctx.store.engine) if oauth_enabled(settings) and ctx.store is not None else None
    slack_digests = SlackDeliverer(app.client, installations)
    scheduler = start_scheduler(
        settings,
        ctx,
        {"slack": slack_digests, **(deliverers or {})},
        also=lambda: recover(deps, slack_digests.client_for_workspace, stale_after=stale_after),
    )
    try:
        if app_token:
            with ops_server(settings, ctx):  # probes and metrics on CMMI_HTTP_PORT, when it is set
                serve_socket_mode(app, app_token)
        else:
            host, port = settings["CMMI_HTTP_HOST"], port_number(settings["CMMI_HTTP_PORT"])
            install = f"; install: {app.oauth_flow.install_path}" if app.oauth_flow is not None else ""
            announce(f"Slack HTTP mode on http://{host}:{port}{EVENTS_PATH} (health: {HEALTH_PATH}{install}; Ctrl-C to stop)")
            signing_secret = settings["SLACK_SIGNING_SECRET"]
            routes = [*ops_routes(ctx), *extra_routes]
            http_server(http_app(app, routes, signing_secret=signing_secret), host, port, grace=grace).run()
    finally:
        deadline = Deadline(grace)
        deps.work.drain(deadline.left())
        if scheduler is not None:
            scheduler.stop()
            scheduler.join(timeout=deadline.left())
        log.info("stopped")
    return 0


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
