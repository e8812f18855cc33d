"""What every transport does around dispatch: record a delivery before acknowledging it, run it, turn failures into words."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

from bot import ops
from bot.logs import request_scope
from handlers import COMMANDS, UNAVAILABLE, Context, Form, FormError, Reply, Request, Text, UserError, command_for, dispatch
from store import StoreUnavailable
from store import inbox as inbox_scope

log = logging.getLogger("cmmi_bot.edge")

APOLOGY = "Sorry, something went wrong on my side (error reference {ref}). Please try again."
# Answers worth sharing with a channel: questions, and the reports a team may want to discuss together.
SHAREABLE = ("ask", "status", "gaps")
RECOVERED = "cmmi-bot restarted while handling “{text}”. It had already been carried out; nothing was done twice."


@dataclass(frozen=True)
class Outcome:
    """A request's result: the reply, or what to tell the person instead (what to type, or an apology). A notice
    may name people and links (a refusal names who may do it): renderers take Text; `handlers.plain` gives its words."""

    reply: Reply | None
    notice: Text | None = None
    form: Form | None = None  # a submitted form to fix: the person's values, with an error at each field to change

    @property
    def ok(self) -> bool:
        return self.reply is not None


def run(request: Request, ctx: Context, *, kind: str, key: str | None = None) -> Outcome:
    """Dispatch one request; errors are caught here, once. `key`: the recorded delivery whose writes mark it applied.

    Every line logged while it runs carries one request ID (the error reference, when there is an error); the request
    is counted in cmmi_requests_total and timed in cmmi_request_duration_seconds by transport and command word."""
    transport = ops.transport_label(request.transport)
    command = "followup" if request.topic is not None else ops.command_label(request.text)
    outcome = "ok"
    in_flight = ops.IN_FLIGHT.labels("request")
    with request_scope() as request_id:
        in_flight.inc()
        start = time.perf_counter()
        try:
            with inbox_scope.scope(key):
                return Outcome(dispatch(request, ctx))
        except FormError as exc:
            outcome = "user_error"
            return Outcome(None, exc.text, form=exc.form)
        except UserError as exc:
            outcome = "user_error"
            return Outcome(None, exc.text)
        except Exception:
            outcome = "error"
            log.exception("unhandled error handling a %s %s (ref %s)", request.transport, kind, request_id)
            return Outcome(None, APOLOGY.format(ref=request_id))
        finally:
            ops.LATENCY.labels(transport, command).observe(time.perf_counter() - start)
            ops.REQUESTS.labels(transport, command, outcome).inc()
            in_flight.dec()


def apology(kind: str, transport: str) -> str:
    """For failures outside dispatch (a platform call failed, say): logged with its traceback, once, and a reference."""
    with request_scope() as ref:
        log.exception("unhandled error in a %s %s (ref %s)", transport, kind, ref)
    return APOLOGY.format(ref=ref)


def is_shareable(text: str) -> bool:
    """Answers and reports are worth sharing; confirmations, changes and help stay with the person who asked."""
    return any(command_for(text) is COMMANDS[name] for name in SHAREABLE)


def to_payload(request: Request) -> dict[str, Any]:
    """A request as JSON, to be recorded and handled again after a restart."""
    return asdict(request)


def from_payload(payload: dict[str, Any]) -> Request:
    fields = {k: v for k, v in payload.items() if k in Request.__dataclass_fields__}
    return Request(**fields)


def owner_id() -> str:
    """This process, as recorded on the deliveries it takes (host:pid:nonce)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Deliveries:
    """The record of deliveries taken: the database inbox when there is one, shared by every replica; else this
    process's memory (the console, or a bot without a database), bounded, which still catches a platform's retries."""

    def __init__(self, ctx: Context, owner: str | None = None, memory: int = 10_000) -> None:
        self.ctx = ctx
        self.owner = owner or owner_id()
        self._memory: OrderedDict[str, None] = OrderedDict()
        self._capacity = memory
        self._lock = threading.Lock()

    def _first_in_memory(self, key: str) -> bool:
        with self._lock:
            if key in self._memory:
                return False
            self._memory[key] = None
            if len(self._memory) > self._capacity:
                self._memory.popitem(last=False)
            return True

    def receive(self, key: str, request: Request, *, kind: str, reply_to: dict[str, Any]) -> bool | None:
        """Record a delivery before it is acknowledged. True: first time, go on (it is durable when there is a database).
        False: a retry of one already taken; do nothing. None: the database is down, so nothing durable was recorded."""
        store = self.ctx.store
        if store is None:
            return self._first_in_memory(key)
        payload = {"request": to_payload(request), "reply_to": reply_to}
        transport = ops.transport_label(request.transport)
        try:
            first = store.inbox.receive(
                key=key, transport=request.transport, workspace_id=request.workspace_id, kind=kind, payload=payload, owner=self.owner
            )
        except StoreUnavailable:
            log.warning("could not record a %s %s: the database is unavailable", request.transport, kind)
            ops.DELIVERIES.labels(transport, "unrecorded").inc()
            return None if self._first_in_memory(key) else False
        ops.DELIVERIES.labels(transport, "new" if first else "retry").inc()
        return first

    def done(self, key: str) -> None:
        store = self.ctx.store
        if store is None:
            return
        try:
            store.inbox.done(key=key)
        except StoreUnavailable:
            # Left open, it is finished again after the stale period: the person may see the answer twice, never none.
            log.warning("could not mark a delivery answered: the database is unavailable")


def unavailable_outcome() -> Outcome:
    return Outcome(None, UNAVAILABLE)
