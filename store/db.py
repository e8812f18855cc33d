"""Engines for SQLite and PostgreSQL, per-connection SQLite pragmas, start-up checks, and migrations via Alembic."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import ExceptionContext
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from store.errors import StoreUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_MS = 5000
# Migrations wait this long for another process's migrations (several processes starting at once on one file).
SQLITE_MIGRATION_WAIT_MS = 60_000
# A WAL that grew past this in a burst (a big migration, a bulk import) is cut back to it once checkpointed, instead
# of keeping its largest size on disk for ever. Day to day the WAL stays under SQLite's 1000-page auto-checkpoint.
SQLITE_JOURNAL_SIZE_LIMIT = 8 * 1024 * 1024
# Primary SQLite result codes (sqlite3 exposes them as sqlite_errorcode, possibly extended: the low byte is the primary).
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 3, 8, 13, 14, 26
_SQLITE_NOT_A_PLACE = {_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CANTOPEN, _SQLITE_NOTADB}
# Any fixed 64-bit number will do, as long as every cmmi-bot process takes the same one.
PG_MIGRATION_LOCK = 0x636D_6D69_2D62_6F74  # "cmmi-bot"
PG_MIGRATION_WAIT = "60s"
# What a PostgreSQL server answers when the URL names a database, user or password it does not accept. libpq reports
# these as text without an SQLSTATE; anything else (refused, timed out, starting up, too many clients) may pass.
_PG_REFUSALS = ("does not exist", "password authentication failed", "no pg_hba.conf entry", "permission denied", "no password supplied")
_URL_SHAPES = "sqlite+pysqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:5432/DBNAME"
# Made by migration 0003 for slack_sdk's SQLAlchemy OAuth stores (installations, bots, OAuth states). Their models are
# slack_sdk's, which the store cannot import (the core imports no chat SDK), so `alembic check` leaves them out and
# tests/bot/slack/test_slack_oauth.py compares them with slack_sdk's own definitions on SQLite and PostgreSQL.
SLACK_OAUTH_TABLES = frozenset({"slack_bots", "slack_installations", "slack_oauth_states"})


class BadDatabaseURL(ValueError):
    """The database URL cannot work as written: not a URL, a database other than SQLite or PostgreSQL, no database
    named, or an SQLite path where no database can be. The message says what is wrong, without the password."""


class DatabaseRefused(Exception):
    """The PostgreSQL server was reached and refused the URL's database, user or password."""


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


def _normalise(url: str) -> str:
    # psycopg 3 is the PostgreSQL driver we ship; a bare postgresql:// would select psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _one_line(text: str) -> str:
    return " ".join(text.split())


def parse_url(url: str) -> URL:
    """The URL, checked for what cmmi-bot can use; raises BadDatabaseURL saying what is wrong (never echoing the URL,
    which may hold a password)."""
    try:
        parsed = make_url(_normalise(url.strip()))
    except (ArgumentError, ValueError):
        raise BadDatabaseURL(f"it could not be read as a URL; expected {_URL_SHAPES}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise BadDatabaseURL(f"SQLite is used through pysqlite (sqlite+pysqlite:///PATH), not {driver!r}")
        if parsed.database in (None, "", ":memory:"):
            raise BadDatabaseURL(
                "an in-memory SQLite database forgets everything when cmmi-bot stops; give a file path, sqlite+pysqlite:///PATH"
            )
        return parsed
    if backend == "postgresql":
        if driver != "psycopg":
            raise BadDatabaseURL(f"PostgreSQL is used through psycopg 3 (postgresql+psycopg://...), not {driver!r}")
        if parsed.password and not parsed.username:
            raise BadDatabaseURL("it has a password but no user name (postgresql+psycopg://USER:PASSWORD@HOST:5432/DBNAME)")
        if not parsed.database:
            raise BadDatabaseURL("it names no database (the DBNAME in postgresql+psycopg://USER:PASSWORD@HOST:5432/DBNAME)")
        return parsed
    raise BadDatabaseURL(f"cmmi-bot works with SQLite and PostgreSQL ({_URL_SHAPES}), not {backend!r}")


def make_engine(url: str, *, pool_size: int = 5, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    """An engine with the settings each database needs; raises BadDatabaseURL for a URL that cannot work.

    Both: SQL parameters are left out of error messages (they hold what users typed). SQLite: WAL (size-limited and
    checkpointed after a full disk), foreign keys, busy timeout, synchronous=NORMAL, and write transactions
    (execution option write=True) that begin IMMEDIATE."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        folder = Path(parsed.database or "").parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadDatabaseURL(f"the folder {folder} for the SQLite file cannot be created ({exc.strerror or exc})") from None
        engine = create_engine(parsed, connect_args={"timeout": busy_timeout_ms / 1000}, hide_parameters=True)
        _sqlite_events(engine, busy_timeout_ms)
        return engine
    return create_engine(parsed, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800, hide_parameters=True)


@dataclass
class _WalState:
    checkpoint_due: bool = False


def _sqlite_code(exc: BaseException | None) -> int:
    return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF if isinstance(exc, sqlite3.Error) else 0


def _sqlite_events(engine: Engine, busy_timeout_ms: int) -> None:
    wal = _WalState()

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (pysqlite's own handling
        # would begin DEFERRED and break the IMMEDIATE writes below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_JOURNAL_SIZE_LIMIT}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A read-then-write transaction begun DEFERRED fails at once with "database is locked" when
        # another writer got there first; IMMEDIATE takes the write lock up front and waits instead.
        mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")

    @event.listens_for(engine, "handle_error")
    def _full(context: ExceptionContext) -> None:
        # "Database or disk is full": the write is rolled back and the user hears "nothing was recorded". The WAL
        # still takes its disk space (SQLite reuses the file, it does not shrink it), so it is checkpointed and
        # truncated as soon as the connection is free again, leaving that room for the database to grow into.
        if _sqlite_code(context.original_exception) == _SQLITE_FULL:
            wal.checkpoint_due = True

    @event.listens_for(engine, "checkout")
    def _after_full(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        if wal.checkpoint_due:
            # Without waiting: readers busy now mean another try at the next checkout, not a stalled request.
            wal.checkpoint_due = not _checkpoint(dbapi_connection, wait_ms=0, then_ms=busy_timeout_ms)


def _checkpoint(dbapi_connection: sqlite3.Connection, wait_ms: int, then_ms: int) -> bool:
    """Move the WAL into the database and truncate it, waiting up to wait_ms for readers; False when it could not
    finish (readers still busy, or the disk still full)."""
    try:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            [(busy, _frames, _copied)] = dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            dbapi_connection.execute(f"PRAGMA busy_timeout={int(then_ms)}")
    except sqlite3.Error:
        return False
    return not busy


def checkpoint(engine: Engine, wait_ms: int = 0) -> bool:
    """SQLite: checkpoint and truncate the WAL now, waiting up to wait_ms for readers (True when done); PostgreSQL has
    nothing to do."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        if not isinstance(raw, sqlite3.Connection):  # SQLite engines are made by make_engine, on pysqlite
            raise TypeError(f"an SQLite engine on pysqlite was expected, not {type(raw).__name__}")
        usual = raw.execute("PRAGMA busy_timeout").fetchall()[0][0]
        return _checkpoint(raw, wait_ms=wait_ms, then_ms=usual)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config  # imported when migrating only: it costs ~0.2 s at start-up

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("store").joinpath("migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def _opening_error(exc: DBAPIError, url: URL) -> Exception:
    """What a failure to open the database means: a URL that cannot work, a server that refuses it, or (the rest)
    a database that is busy or unreachable for now."""
    reason = _one_line(str(exc.orig) if exc.orig is not None else str(exc))
    if url.get_backend_name() == "sqlite":
        if _sqlite_code(exc.orig) in _SQLITE_NOT_A_PLACE:
            return BadDatabaseURL(f"{url.database} cannot be used as an SQLite database ({reason})")
        return StoreUnavailable(reason)
    if not isinstance(exc, OperationalError | InterfaceError):
        return BadDatabaseURL(reason)  # psycopg's ProgrammingError: an unknown option in the URL's query string
    if any(refusal in reason for refusal in _PG_REFUSALS):
        return DatabaseRefused(reason)
    return StoreUnavailable(reason)


def upgrade(engine: Engine) -> None:
    """Open the database and apply every migration not yet applied (idempotent; runs at start-up and via `cmmi-bot db
    upgrade`; several processes may run it at once). Raises BadDatabaseURL or DatabaseRefused when the database cannot
    be used as configured, StoreUnavailable when it is busy or unreachable."""
    from alembic import command

    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise _opening_error(exc, engine.url) from exc
    try:
        command.upgrade(alembic_config(engine), "head")
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(_one_line(str(exc.orig) if exc.orig else str(exc))) from exc
    checkpoint(engine)  # a migration can leave a large WAL behind; best effort, without waiting for other processes


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
