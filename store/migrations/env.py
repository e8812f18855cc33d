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
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
