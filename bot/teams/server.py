"""What is Teams' in serving: the messaging endpoint (POST /api/messages) as routes for bot/server.py's one app, and the
maintenance step that finishes Teams deliveries a stopped process left open."""

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

from bot.http import guarded_body
from bot.logs import announce
from bot.settings import Settings
from bot.teams import check_settings
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
    if settings.teams_no_auth:
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

    stale_after = timedelta(seconds=settings.recover_after)
    deps = Deps(ctx=ctx, deliveries=Deliveries(ctx))
    poster = poster or TeamsDeliverer(new_app(settings), ctx.store)
    return lambda: recover(deps, poster, stale_after=stale_after)
