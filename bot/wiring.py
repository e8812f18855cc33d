"""The composition root: build the model, index and handler context once per process."""

from __future__ import annotations

import logging

from bot.settings import Settings, database_url
from handlers import Context
from index import build_index
from model_data import load_model
from store import Store, make_engine, upgrade

log = logging.getLogger("cmmi_bot")


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings["CMMI_LOG_LEVEL"].upper(), logging.WARNING)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def build_store(settings: Settings) -> Store:
    """Open the database and apply any pending migrations."""
    url = database_url(settings)
    engine = make_engine(url)
    upgrade(engine)
    log.info("database ready (%s)", engine.url.render_as_string(hide_password=True))
    return Store(engine)


def build_context(settings: Settings, with_store: bool = True) -> Context:
    store = build_store(settings) if with_store else None  # first: a database that cannot be used fails fast
    model = load_model()
    index = build_index(model)
    log.info("model %s %s loaded: %s", model.name, model.version, model.counts())
    return Context(model=model, index=index, store=store)
