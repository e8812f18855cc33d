"""What every HTTP-served transport shares: the uvicorn server and its limits against slow clients, a guarded body reader, a shutdown deadline."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("cmmi_bot.http")

MAX_BODY_BYTES = 1 << 20  # chat platforms send far less; anything larger is refused unread
HEADER_TIMEOUT = 10.0  # seconds a connection may take to send its request line and headers
BODY_TIMEOUT = 10.0  # seconds the body may pause between two pieces
KEEP_ALIVE = 5.0  # seconds an idle kept-alive connection stays open
MAX_CONNECTIONS = 1000  # connections beyond this are closed at once: a slow-client flood cannot exhaust the process
MAX_IN_FLIGHT = 200  # requests handled at once; beyond this uvicorn answers 503, and Slack retries


class BodyTooLarge(Exception):
    pass


class BodyTimeout(Exception):
    pass


class ClientGone(Exception):
    """The client disconnected before sending its whole body: nobody is left to answer."""


def _guarded_protocol() -> type:
    """uvicorn's h11 protocol with what it lacks against slow clients: a deadline for the request headers, and a cap on
    connections. (The body is guarded in read_body; idle kept-alive connections by uvicorn's keep-alive timeout.)"""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _header_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > MAX_CONNECTIONS:
                log.warning("refused a connection: %d open, the limit is %d", len(self.connections), MAX_CONNECTIONS)
                transport.close()
                return
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._header_deadline = self.loop.call_later(HEADER_TIMEOUT, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _headers_too_slow(self) -> None:
            self._header_deadline = None
            if self.cycle is None or self.cycle.response_complete:  # still no (new) request: not a client worth waiting for
                log.debug("closed a connection that sent no complete request headers in %s s", HEADER_TIMEOUT)
                self.transport.close()

        def handle_events(self) -> None:
            cycle = self.cycle
            super().handle_events()
            if self.cycle is not cycle:  # a new request's headers arrived
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request on this connection gets the same deadline

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return GuardedH11Protocol


def http_server(app: Any, host: str, port: int, *, grace: float = 10.0) -> Any:
    """A uvicorn server for an ASGI app, with limits against slow or stalled clients, logging through cmmi-bot's setup.

    On SIGTERM or SIGINT it stops accepting, lets requests in flight finish for up to `grace` seconds, and returns
    from run(): unlike uvicorn's own, it does not raise the signal again afterwards, so the caller can finish the
    work that outlives a request (answers after the acknowledgement, a digest being sent) and exit 0."""
    import uvicorn  # imported by the servers only: the console and CLI do without it

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, lifespan="off", ws="none", http=_guarded_protocol(),
        timeout_graceful_shutdown=max(int(grace), 1), timeout_keep_alive=int(KEEP_ALIVE), limit_concurrency=MAX_IN_FLIGHT,
    )  # fmt: skip
    return Server(config)


async def read_body(request: Any, limit: int = MAX_BODY_BYTES) -> bytes:
    """A Starlette request's body. Raises BodyTooLarge past `limit` bytes (read no further), BodyTimeout when the
    client stalls for BODY_TIMEOUT seconds, ClientGone when it disconnects before the end."""
    from starlette.requests import ClientDisconnect

    body = bytearray()
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), timeout=BODY_TIMEOUT)
        except StopAsyncIteration:
            return bytes(body)
        except TimeoutError:
            raise BodyTimeout() from None
        except ClientDisconnect:
            raise ClientGone() from None
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge()


async def guarded_body(request: Any, limit: int = MAX_BODY_BYTES) -> tuple[bytes | None, Any]:
    """(body, None), or (None, the response to send instead): 413 too large, 408 too slow; a client that left gets an empty
    400 it will never read, logged at DEBUG only."""
    from starlette.responses import PlainTextResponse

    try:
        return await read_body(request, limit), None
    except BodyTooLarge:
        return None, PlainTextResponse("request body too large", status_code=413)
    except BodyTimeout:
        log.debug("closed a request whose body stalled for %s s", BODY_TIMEOUT)
        return None, PlainTextResponse("request body too slow", status_code=408, headers={"Connection": "close"})
    except ClientGone:
        log.debug("a client disconnected before sending its whole request")
        return None, PlainTextResponse("", status_code=400)


class Deadline:
    """What is left of a grace period, shared by the steps of a shutdown."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(self.end - time.monotonic(), 0.0)
