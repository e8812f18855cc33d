"""Engines for SQLite and PostgreSQL, per-connection SQLite pragmas, and migrations via Alembic."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_MS = 5000
# Made by migration 0003 for slack_sdk's SQLAlchemy OAuth stores (installations, bots, OAuth states). Their models are
# slack_sdk's, which the store cannot import (the core imports no chat SDK), so `alembic check` leaves them out and
# tests/bot/slack/test_slack_oauth.py compares them with slack_sdk's own definitions on SQLite and PostgreSQL.
SLACK_OAUTH_TABLES = frozenset({"slack_bots", "slack_installations", "slack_oauth_states"})


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


def _normalise(url: str) -> str:
    # psycopg 3 is the PostgreSQL driver we ship; a bare postgresql:// would select psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, pool_size: int = 5, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    """An engine with the settings each database needs. SQLite: WAL, foreign keys, busy timeout,
    synchronous=NORMAL, and write transactions (execution option write=True) that begin IMMEDIATE."""
    url = _normalise(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, poolclass=NullPool if database in ("", ":memory:") else None, connect_args={"timeout": busy_timeout_ms / 1000}
        )
        _sqlite_events(engine, busy_timeout_ms)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800)


def _sqlite_events(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (pysqlite's own handling
        # would begin DEFERRED and break the IMMEDIATE writes below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        # A read-then-write transaction begun DEFERRED fails at once with "database is locked" when
        # another writer got there first; IMMEDIATE takes the write lock up front and waits instead.
        mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config  # imported when migrating only: it costs ~0.2 s at start-up

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("store").joinpath("migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (idempotent; runs at start-up and via `cmmi-bot db upgrade`)."""
    from alembic import command

    from store.repo import StoreUnavailable

    try:
        command.upgrade(alembic_config(engine), "head")
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(str(exc.orig) if exc.orig else str(exc)) from exc


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
