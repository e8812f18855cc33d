"""What operators see of a running cmmi-bot: Prometheus metrics, and the /healthz, /readyz and /metrics routes every server mounts.

Metrics are per process: with N replicas, Prometheus scrapes each one. Labels hold only bounded, non-personal values
(transport, the command word from the COMMANDS table or "ask", an outcome); never anything a person typed."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from starlette.routing import BaseRoute

    from handlers import Context

log = logging.getLogger("cmmi_bot.ops")

HEALTH_PATH, READY_PATH, METRICS_PATH = "/healthz", "/readyz", "/metrics"
READY_TIMEOUT = 5.0  # seconds /readyz waits for the database before answering 503: a probe must not hang

REQUESTS = Counter(
    "cmmi_requests_total",
    "Requests handled through the edge, by transport, command word and outcome (ok, user_error, error).",
    ("transport", "command", "outcome"),
)
LATENCY = Histogram(
    "cmmi_request_duration_seconds",
    "Time to handle one request in the core (dispatch), by transport and command word.",
    ("transport", "command"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DELIVERIES = Counter(
    "cmmi_deliveries_total",
    "Chat deliveries recorded before their acknowledgement: new, retry (already taken here or by another replica), "
    "unrecorded (the database was down).",
    ("transport", "result"),
)
DIGESTS = Counter(
    "cmmi_digests_total",
    "Weekly digests handled by this process's scheduler: sent, late (sent late), skipped, failed (retried later or channel gone), paused.",
    ("outcome",),
)
DATABASE_ERRORS = Counter(
    "cmmi_database_errors_total",
    "Errors raised by the database driver, by exception class (IntegrityError includes expected races such as a retried delivery).",
    ("error",),
)
IN_FLIGHT = Gauge(
    "cmmi_in_flight", "Work in progress: requests inside the core, and work queued or running after an acknowledgement.", ("kind",)
)
DIGEST_OUTCOMES = ("sent", "late", "skipped", "failed", "paused")
# The scheduler's RunReport outcomes, as the metric's five: what was delivered, late, skipped, failed or stopped.
_DIGEST_LABEL = {
    "sent": "sent",
    "recovered": "sent",
    "sent late": "late",
    "skipped": "skipped",
    "retry": "failed",
    "error": "failed",
    "disabled": "paused",
    "paused": "paused",
}
OUTCOMES = ("ok", "user_error", "error")

for _outcome in DIGEST_OUTCOMES:
    DIGESTS.labels(_outcome)  # every series exists from the start, at 0: rate() and alerts see them before the first digest
for _kind in ("request", "work"):
    IN_FLIGHT.labels(_kind)


@functools.cache
def _command_names() -> dict[Any, str]:
    from handlers import COMMANDS

    return {module: name for name, module in COMMANDS.items()}


def command_label(text: str) -> str:
    """The command word a message runs (from the COMMANDS table), or "ask": never the text itself."""
    from handlers import command_for

    return _command_names().get(command_for(text), "ask")


def transport_label(transport: str) -> str:
    return transport if transport in ("slack", "teams", "console") else "other"


def count_digests(outcomes: Iterable[tuple[str, int]]) -> None:
    """Add one scheduler run's outcomes (RunReport.outcomes) to cmmi_digests_total; others (taken by another replica) are not
    this process's digests."""
    for outcome, n in outcomes:
        label = _DIGEST_LABEL.get(outcome)
        if label is not None and n:
            DIGESTS.labels(label).inc(n)


def watch_database(engine: Engine) -> None:
    """Count every error the engine's driver raises in cmmi_database_errors_total (idempotent per engine)."""
    from sqlalchemy import event

    if event.contains(engine, "handle_error", _count_database_error):
        return
    event.listen(engine, "handle_error", _count_database_error)


def _count_database_error(context: Any) -> None:
    error = context.original_exception
    DATABASE_ERRORS.labels(type(getattr(context, "sqlalchemy_exception", None) or error).__name__).inc()


def metrics_text() -> tuple[bytes, str]:
    """The Prometheus exposition of this process's metrics, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


# ---- readiness --------------------------------------------------------------------------------


@functools.cache
def migration_head() -> str | None:
    """The migration head this code expects (read once: the scripts are part of the installed package)."""
    from alembic.script import ScriptDirectory

    from store.db import alembic_config

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()  # type: ignore[arg-type]  # reading the scripts needs no engine


def readiness(ctx: Context) -> str | None:
    """None when this process can serve: the database answers and is migrated to the head this code needs. Else the
    reason, in one line, without the database password."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.logs import redact
    from store.db import current_revision

    store = ctx.store
    if store is None:
        return None
    try:
        current = current_revision(store.engine)
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        return f"database unreachable: {redact(reason)[:300]}"
    head = migration_head()
    if current != head:
        return f"database at migration {current or 'none'}, this version needs {head}: run cmmi-bot db upgrade"
    return None


def ops_routes(ctx: Context) -> list[BaseRoute]:
    """GET /healthz (the process answers), /readyz (200 when it can serve, else 503 with the reason), /metrics (Prometheus)."""
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        try:
            problem = await asyncio.wait_for(asyncio.to_thread(readiness, ctx), timeout=READY_TIMEOUT)
        except TimeoutError:
            problem = f"database did not answer within {READY_TIMEOUT:g} s"
        if problem:
            log.warning("not ready: %s", problem)
            return PlainTextResponse(f"not ready: {problem}", status_code=503)
        return PlainTextResponse("ready")

    async def metrics(request: Request) -> Response:
        body, content_type = metrics_text()
        return Response(body, media_type=content_type)

    return [
        Route(HEALTH_PATH, healthz, methods=["GET"]),
        Route(READY_PATH, readyz, methods=["GET"]),
        Route(METRICS_PATH, metrics, methods=["GET"]),
    ]


def ops_app(ctx: Context) -> Any:
    """The probes and metrics alone, as an ASGI app: served on CMMI_HTTP_PORT beside Slack's Socket Mode."""
    from starlette.applications import Starlette

    return Starlette(routes=ops_routes(ctx))
