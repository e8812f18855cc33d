"""The composition root: build the model, index and handler context once per process, and set up logging."""

from __future__ import annotations

import logging
import re
import sys

from bot.settings import Settings, database_url, review_months
from handlers import Context
from index import build_index
from model_data import load_model
from store import Store, make_engine, upgrade

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


def configure_logging(settings: Settings) -> None:
    """Log to stderr at CMMI_LOG_LEVEL (WARNING when unknown), without secrets and without query strings."""
    level = getattr(logging, settings["CMMI_LOG_LEVEL"].upper(), logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", handlers=[handler])
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())


def build_store(settings: Settings) -> Store:
    """Open the database and apply any pending migrations."""
    url = database_url(settings)
    engine = make_engine(url)
    upgrade(engine)
    log.info("database ready (%s)", engine.url.render_as_string(hide_password=True))
    return Store(engine)


def build_context(settings: Settings, with_store: bool = True) -> Context:
    """Raises SettingError for a setting it cannot use, before opening anything."""
    months = review_months(settings)
    store = build_store(settings) if with_store else None  # first: a database that cannot be used fails fast
    model = load_model()
    index = build_index(model)
    log.info("model %s %s loaded: %s", model.name, model.version, model.counts())
    return Context(model=model, index=index, store=store, review_months=months)
