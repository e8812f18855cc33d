"""Alembic environment: runs migrations on the engine the caller passes in config.attributes."""

from __future__ import annotations

from alembic import context

from store.db import SLACK_OAUTH_TABLES
from store.schema import Base

config = context.config
engine = config.attributes["engine"]


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Everything but slack_sdk's OAuth store tables, whose models this package cannot import (see SLACK_OAUTH_TABLES)."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in SLACK_OAUTH_TABLES


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations on SQLite copy a table and drop the old one; with foreign keys enforced, dropping work_group
        # would cascade into the rows that refer to it. The pragma is ignored inside a transaction, so it is set on the
        # driver's connection before the migration's transaction begins, and set back after it ends.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if sqlite:
            connection.rollback()
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
