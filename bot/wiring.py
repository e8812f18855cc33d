"""The composition root: the Runtime every entry point runs on (settings, handler context, digest deliverers), built once per process."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:  # the core is imported when a context is built: `cmmi-bot ask --json` needs no database layer
    from bot.scheduler import Deliverer
    from handlers import Context
    from index import ModelIndex
    from model_data import Model
    from store import Store

log = logging.getLogger("cmmi_bot")


@dataclass
class Runtime:
    """What a running cmmi-bot is made of: its typed settings, the handler context (None for the commands that need no
    model or database) and, built on first use, one digest and reminder deliverer per configured transport.

    Every entry point (serve, digest run-due, say, chat...) takes what it needs from here, so they all get the same
    deliverers and nobody reads the environment again."""

    settings: Settings
    ctx: Context | None = None
    given_deliverers: Mapping[str, Deliverer] | None = field(default=None, repr=False)  # tests: stand-ins for transports

    @property
    def context(self) -> Context:
        """The handler context; only commands declared as needing one ask for it."""
        if self.ctx is None:
            raise RuntimeError("this command was started without a handler context")
        return self.ctx

    @property
    def store(self) -> Store:
        """The database; only commands declared as needing one ask for it."""
        store = self.context.store
        if store is None:
            raise RuntimeError("this command was started without a database")
        return store

    @cached_property
    def deliverers(self) -> Mapping[str, Deliverer]:
        """One deliverer per transport configured here (built once, on first use: the Teams SDK costs 0.8 s to import)."""
        if self.given_deliverers is not None:
            return self.given_deliverers
        return build_deliverers(self.settings, self.context)


def build_runtime(settings: Settings, *, with_context: bool = True, with_store: bool = False) -> Runtime:
    """The runtime for one process: the handler context when the command needs one (with the database when it needs
    that too)."""
    return Runtime(settings, build_context(settings, with_store=with_store) if with_context else None)


def build_deliverers(settings: Settings, ctx: Context) -> dict[str, Deliverer]:
    """One deliverer per transport that is configured here; console subscriptions always print. The one place that
    decides: `serve` (Slack, Teams or both) and `digest run-due` get the same set."""
    from bot.render_text import render
    from bot.scheduler import ConsoleDeliverer

    deliverers: dict[str, Deliverer] = {"console": ConsoleDeliverer(render, _print_line)}
    if settings.slack_configured:
        from bot.slack.digests import slack_deliverer

        slack = slack_deliverer(settings, ctx)
        if slack is not None:
            deliverers["slack"] = slack
    if settings.teams_configured:  # checked first: the Teams SDK is imported only when it is needed
        from bot.teams.digests import teams_deliverer

        teams = teams_deliverer(settings, ctx.store)
        if teams is not None:
            deliverers["teams"] = teams
    return deliverers


def _print_line(text: str) -> None:
    print(text, file=sys.stdout, flush=True)


def build_store(settings: Settings) -> Store:
    """Open the database and apply any pending migrations."""
    from bot.ops import watch_database
    from store import Store, make_engine, upgrade

    engine = make_engine(settings.database_location())
    watch_database(engine)
    upgrade(engine)
    log.info("database ready (%s)", engine.url.render_as_string(hide_password=True))
    return Store(engine)


def build_context(settings: Settings, with_store: bool = True) -> Context:
    """The handler context: the model, its index and (`with_store`) the database, opened first so that a database that
    cannot be used fails fast."""
    from handlers import Context

    store = build_store(settings) if with_store else None
    model, index = build_model_index()
    log.info("model %s %s loaded: %s", model.name, model.version, model.counts())
    return Context(model=model, index=index, store=store, review_months=settings.review_months)


def build_model_index() -> tuple[Model, ModelIndex]:
    """The model and its search index: the index from the user's cache when it is there and current (else built, and
    kept there for the next start), or built in memory when the cache folder cannot be used."""
    from bot.settings import cache_dir
    from index import build_index
    from model_data import load_model

    model = load_model()
    return model, build_index(model, cache_dir=cache_dir())
