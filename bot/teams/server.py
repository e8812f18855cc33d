"""Serve the Teams messaging endpoint: POST /api/messages as Starlette routes (beside Slack's, or alone with /healthz)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.http import Deadline, guarded_body, http_server, port_number, recover_after, shutdown_grace, start_scheduler
from bot.ops import ops_routes
from bot.scheduler import SchedulerThread
from bot.settings import Settings
from bot.teams import check_settings, no_auth
from bot.wiring import announce
from handlers import Context

log = logging.getLogger("cmmi_bot.teams")

MESSAGES_PATH = "/api/messages"
HEALTH_PATH = "/healthz"
# Teams activities are a few kilobytes; anything far larger is not from Teams and is refused before it is read whole.
NO_AUTH_WARNING = (
    "CMMI_TEAMS_NO_AUTH=1: the Teams endpoint %s accepts UNAUTHENTICATED requests. Anyone who can reach it can act as "
    "any Teams user. For local testing only; never expose this server."
)


def _bad_request(why: str) -> Response:
    return JSONResponse({"error": f"malformed activity: {why}"}, status_code=400)


def teams_routes(settings: Settings, ctx: Context) -> list[BaseRoute]:
    """The Teams messaging endpoint as Starlette routes. Raises TeamsConfigError when half-configured.

    Each request is checked for being a well-formed activity first (400 otherwise, before anything runs), then
    handed to the SDK's own endpoint handler, which authenticates it (401 without a valid Bot Framework token)
    and runs cmmi-bot's message handler."""
    check_settings(settings)
    from bot.teams.app import build_app

    app, adapter = build_app(settings, ctx)
    from microsoft_teams.api import ActivityTypeAdapter
    from pydantic import ValidationError

    sdk_handler = adapter.routes[app.server.messaging_endpoint]
    if no_auth(settings):
        log.warning(NO_AUTH_WARNING, MESSAGES_PATH)
        announce("WARNING: " + NO_AUTH_WARNING % MESSAGES_PATH)

    async def messages(request: Request) -> Response:
        raw, refusal = await guarded_body(request)
        if raw is None:
            return refusal
        try:
            body: Any = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            return _bad_request("the body is not JSON")
        except RecursionError:
            return _bad_request("the JSON is nested too deeply")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return _bad_request("expected a JSON object with a type")
        try:
            ActivityTypeAdapter.validate_python(body)
        except ValidationError as exc:
            return _bad_request(f"{exc.error_count()} invalid or missing field(s)")
        result = await sdk_handler({"body": body, "headers": dict(request.headers)})
        status, payload = result["status"], result.get("body")
        if payload is None:
            return Response(status_code=status)
        return JSONResponse(payload, status_code=status)

    return [Route(MESSAGES_PATH, messages, methods=["POST"])]


def http_app(routes: list[BaseRoute]) -> Starlette:
    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[*routes, Route(HEALTH_PATH, healthz, methods=["GET"])])


def teams_recovery(settings: Settings, ctx: Context, poster: Any = None) -> Callable[[], object]:
    """The maintenance step that finishes Teams deliveries a stopped process left open (bot/teams/recovery.py), posting
    through `poster` (the Teams digest deliverer, which holds a conversation client), or one of its own."""
    from bot.edge import Deliveries
    from bot.teams.digests import TeamsDeliverer
    from bot.teams.listeners import Deps
    from bot.teams.recovery import recover
    from bot.teams.sdk import new_app

    stale_after = timedelta(seconds=recover_after(settings))
    deps = Deps(ctx=ctx, deliveries=Deliveries(ctx))
    poster = poster or TeamsDeliverer(new_app(settings), ctx.store)
    return lambda: recover(deps, poster, stale_after=stale_after)


def start_teams_recovery(settings: Settings, ctx: Context, poster: Any = None) -> SchedulerThread | None:
    """Teams' maintenance loop beside another transport's server (Slack's loop finishes only Slack's deliveries)."""
    return start_scheduler(settings, ctx, {}, also=teams_recovery(settings, ctx, poster))


def serve_teams(settings: Settings, ctx: Context, deliverers: dict | None = None) -> int:
    """Run the Teams endpoint alone (Slack not configured) until interrupted, checking for due digests and finishing
    deliveries a stopped process left open every CMMI_DIGEST_CHECK_SECONDS.
    Raises TeamsConfigError."""
    host, port = settings["CMMI_HTTP_HOST"], port_number(settings["CMMI_HTTP_PORT"])
    grace = shutdown_grace(settings)
    recover_after(settings)  # a bad value is refused before anything starts
    app = http_app([*ops_routes(ctx), *teams_routes(settings, ctx)])
    deliverers = deliverers or {}
    scheduler = start_scheduler(settings, ctx, deliverers, also=teams_recovery(settings, ctx, deliverers.get("teams")))
    announce(f"Teams on http://{host}:{port}{MESSAGES_PATH} (health: {HEALTH_PATH}; Ctrl-C to stop)")
    try:
        http_server(app, host, port, grace=grace).run()  # on SIGTERM: stops accepting, finishes requests in flight
    finally:
        if scheduler is not None:
            scheduler.stop()
            scheduler.join(timeout=Deadline(grace).left())
    return 0
