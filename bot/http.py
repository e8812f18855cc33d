"""What every HTTP-served transport shares: the uvicorn server, port and interval settings, the digest loop."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.scheduler import Deliverer, SchedulerThread, run_due
from bot.settings import Settings
from handlers import Context

MAX_BODY_BYTES = 1 << 20  # chat platforms send far less; anything larger is refused unread


class ConfigError(Exception):
    """Settings that keep a server from starting; the message says what to set."""


def http_server(app: Any, host: str, port: int) -> Any:
    """A uvicorn server for an ASGI app that logs through cmmi-bot's logging setup (no config of its own)."""
    import uvicorn  # imported by the servers only: the console and CLI do without it

    config = uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="off", ws="none", timeout_graceful_shutdown=5)
    return uvicorn.Server(config)


async def read_body(request: Any, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """A Starlette request's body, or None once it grows past limit bytes (read no further)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def port_number(value: str) -> int:
    """CMMI_HTTP_PORT as a port; raises ConfigError."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ConfigError(f"CMMI_HTTP_PORT must be a port number (0-65535), not {value!r}.")
    return port


def digest_interval(value: str) -> float:
    """CMMI_DIGEST_CHECK_SECONDS as seconds; 0 means the in-process scheduler is off. Raises ConfigError."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400 or seconds != seconds:
        raise ConfigError(f"CMMI_DIGEST_CHECK_SECONDS must be a number of seconds from 0 (off) to 86400, not {value!r}.")
    return seconds


def start_scheduler(settings: Settings, ctx: Context, deliverers: Mapping[str, Deliverer]) -> SchedulerThread | None:
    """The in-process digest loop: run_due every CMMI_DIGEST_CHECK_SECONDS; None when that is 0 or there is no database."""
    interval = digest_interval(settings["CMMI_DIGEST_CHECK_SECONDS"])
    store = ctx.store
    if not interval or store is None or not deliverers:
        return None
    thread = SchedulerThread(lambda: run_due(ctx, store, deliverers, datetime.now(UTC)), interval)
    thread.start()
    return thread
