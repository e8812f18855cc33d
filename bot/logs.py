"""Logging: cmmi-bot's handler (text or JSON lines), secrets redacted from every record, request IDs, start-up notices."""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from bot.settings import LOG_FORMATS, Settings

log = logging.getLogger("cmmi_bot")

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"
# Slack tokens (bot, user, app-level, refresh, configuration) wherever they appear, and the value after a credential's
# or OAuth field's name however a library prints it: code=..., 'code': '...', 'code': ['...'], "access_token": "...",
# Bearer ....
_TOKENS = re.compile(r"\bxox[a-z]-[\w-]+|\bxapp-[\w-]+")
_FIELDS = re.compile(
    r"(\b(?:code|state|client_secret|access_token|refresh_token|signing_secret|token)['\"]?\s*[:=]\s*(?:\[\s*)?['\"]?|\bBearer\s+)"
    r"([^'\"\s&,;})]+)",
    re.IGNORECASE,
)


# PostgreSQL's error details quote the row or key that failed ("Key (workspace_id, name_key)=(T1, what they typed)"),
# which hiding SQL parameters does not reach.
_DETAILS = re.compile(r"(\bDETAIL:[ \t]*)\S.*")


def redact(text: str) -> str:
    """Text with every token, credential, OAuth code or state, and database error detail in it replaced by [redacted]."""
    text = _FIELDS.sub(lambda m: m.group(1) + REDACTED, _TOKENS.sub(REDACTED, text))
    return _DETAILS.sub(lambda m: m.group(1) + REDACTED, text)


class RedactSecrets(logging.Filter):
    """On cmmi-bot's log handler: no record, of any level and from any library, carries a token, a client secret, an
    OAuth code or a database error's row values (slack_sdk's debug lines print request bodies; Bolt warns with the
    OAuth code it could not exchange; PostgreSQL's errors quote the row that failed)."""

    def __init__(self) -> None:
        super().__init__()
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class DropQueryStrings(logging.Filter):
    """On uvicorn's access logger: request paths without their query strings (OAuth redirects carry code= and state=)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(a.split("?", 1)[0] if isinstance(a, str) and a.startswith("/") else a for a in record.args)
        return True


# The request a line belongs to: set at the edge around one command (bot/edge.py run), and around one scheduler run.
REQUEST_ID: ContextVar[str | None] = ContextVar("cmmi_request_id", default=None)


@contextmanager
def request_scope() -> Iterator[str]:
    """The current request ID, or a new one for as long as the block runs (nested scopes keep the outer one)."""
    current = REQUEST_ID.get()
    if current is not None:
        yield current
        return
    request_id = uuid.uuid4().hex[:12]
    token = REQUEST_ID.set(request_id)
    try:
        yield request_id
    finally:
        REQUEST_ID.reset(token)


class AddRequestId(logging.Filter):
    """On cmmi-bot's log handler: each record carries the ID of the request it was logged for (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text  # RedactSecrets has already cleaned it
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """cmmi-bot's log handler: to `stream` (stderr), secrets redacted, each record with its request ID, formatted as
    CMMI_LOG_FORMAT says (json, else text)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactSecrets())
    handler.addFilter(AddRequestId())
    if settings.log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    return handler


_json_lines = False  # CMMI_LOG_FORMAT=json: start-up notices are JSON lines too (set by configure_logging)


def announce(message: str) -> None:
    """A start-up notice on stderr, for whoever (or whatever service manager) watches it: `cmmi-bot: MESSAGE`, or with
    CMMI_LOG_FORMAT=json one JSON line like the logs', level NOTICE. Shown whatever CMMI_LOG_LEVEL says."""
    if _json_lines:
        record = logging.LogRecord("cmmi_bot", logging.WARNING, __file__, 0, message, None, None)
        record.levelname = "NOTICE"
        print(JsonLines().format(record), file=sys.stderr, flush=True)
    else:
        print(f"cmmi-bot: {message}", file=sys.stderr, flush=True)


def configure_logging(settings: Settings) -> None:
    """Log to stderr at CMMI_LOG_LEVEL (WARNING when unknown), without secrets and without query strings; as JSON lines
    when CMMI_LOG_FORMAT is json, else as text."""
    global _json_lines
    logging.basicConfig(level=settings.log_level, handlers=[log_handler(settings)])
    _json_lines = settings.log_format == "json"
    given = (settings.raw or {}).get("CMMI_LOG_FORMAT", "")
    if given.strip().lower() not in ("", *LOG_FORMATS):
        log.warning("CMMI_LOG_FORMAT is %r; logging as text (use text or json)", given)
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())
