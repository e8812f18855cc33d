"""The composition root: build the model, index and handler context once per process."""

from __future__ import annotations

import logging

from bot.settings import Settings
from handlers import Context
from index import build_index
from model_data import load_model

log = logging.getLogger("cmmi_bot")


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings["CMMI_LOG_LEVEL"].upper(), logging.WARNING)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def build_context(settings: Settings) -> Context:
    model = load_model()
    index = build_index(model)
    log.info("model %s %s loaded: %s", model.name, model.version, model.counts())
    return Context(model=model, index=index)
