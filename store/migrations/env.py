"""Alembic environment: runs migrations on the engine the caller passes in config.attributes, one process at a time."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text
from sqlalchemy.sql.schema import SchemaItem

from store.db import PG_MIGRATION_LOCK, PG_MIGRATION_WAIT, SLACK_OAUTH_TABLES, SQLITE_MIGRATION_WAIT_MS
from store.schema import Base

config = context.config
engine = config.attributes["engine"]


def include_object(obj: SchemaItem, name: str | None, type_: str, reflected: bool, compare_to: SchemaItem | None) -> bool:
    """Everything but slack_sdk's OAuth store tables, whose models this package cannot import (see SLACK_OAUTH_TABLES)."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in SLACK_OAUTH_TABLES


def migrate(connection: Connection) -> None:
    # One transaction around the whole run, begun before Alembic reads the current revision, and made exclusive:
    # processes starting at once queue here, and each one after the first finds the schema at head and does nothing.
    with connection.begin():
        if connection.dialect.name == "postgresql":
            # Released by the commit, or by the server if this process dies.
            connection.execute(text(f"SET LOCAL lock_timeout = '{PG_MIGRATION_WAIT}'"))
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():  # inside ours: Alembic adds no transaction of its own
            context.run_migrations()


with engine.connect() as connection:
    if connection.dialect.name == "sqlite":
        # BEGIN IMMEDIATE (the engine's write option) takes SQLite's write lock first; waiting for another process's
        # migrations may take longer than an ordinary write would wait.
        raw = connection.connection.driver_connection
        usual = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute(f"PRAGMA busy_timeout={SQLITE_MIGRATION_WAIT_MS}")
        # Batch migrations on SQLite copy a table and drop the old one; with foreign keys enforced, dropping work_group
        # would cascade into the rows that refer to it. The pragma is ignored inside a transaction, so it is set on the
        # driver's connection before the migration's transaction begins, and set back after it ends.
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            migrate(connection.execution_options(write=True))
        finally:
            raw.execute(f"PRAGMA busy_timeout={int(usual)}")
            raw.execute("PRAGMA foreign_keys=ON")
    else:
        migrate(connection)
