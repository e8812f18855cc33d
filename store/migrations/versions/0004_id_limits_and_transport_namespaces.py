"""ID columns sized for real Slack and Teams IDs; workspaces namespaced by transport (slack:T..., teams:<tenant>)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00.000000

Workspace, channel and user columns grow from 64 to 255 characters (a Teams personal chat's conversation ID is
about 131), and a group's case-folded key from 80 to 240 (folding can triple a character).

A Slack team and a Teams tenant could have the same ID string, so stored workspace IDs now carry their transport.
Existing rows are prefixed per workspace: by the transport of its digest subscriptions when they name one, else by
the ID's shape (Slack team and enterprise IDs are T or E and capitals; Teams tenants are GUIDs). Anything else (the
console's `local`, test IDs) stays as it is. slack_sdk's OAuth tables keep Slack's own IDs and are not touched.

Downgrade strips the prefixes and narrows the columns again; it refuses, changing nothing, when that would merge two
workspaces or cut a stored value.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD_ID, NEW_ID = 64, 255
OLD_KEY, NEW_KEY = 80, 240
# table -> (column, nullable) of every column holding a workspace, channel or user ID
ID_COLUMNS: dict[str, tuple[tuple[str, bool], ...]] = {
    "work_group": (("workspace_id", False), ("created_by", False)),
    "channel_binding": (("workspace_id", False), ("channel_id", False), ("bound_by", False)),
    "evidence": (("workspace_id", False), ("created_by", False), ("removed_by", True)),
    "rating": (("workspace_id", False), ("rated_by", False)),
    "audit_log": (("workspace_id", False), ("actor", False), ("entity_id", False)),
    "digest_subscription": (("workspace_id", False), ("channel_id", False), ("created_by", False)),
}
TRANSPORTS = ("slack", "teams")
SLACK_ID = re.compile(r"^[TE][A-Z0-9]{6,}$")
TEAMS_TENANT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _resize(old_id: int, new_id: int, old_key: int, new_key: int) -> None:
    # On SQLite each batch copies the table and drops the old one; env.py turns foreign-key enforcement off around
    # migrations there, or dropping work_group would cascade into the channel bindings that refer to it.
    for table, columns in ID_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, nullable in columns:
                batch.alter_column(column, type_=sa.String(new_id), existing_type=sa.String(old_id), existing_nullable=nullable)
            if table == "work_group":
                batch.alter_column("name_key", type_=sa.String(new_key), existing_type=sa.String(old_key), existing_nullable=False)


def _workspaces(bind: sa.Connection) -> set[str]:
    found: set[str] = set()
    for table in ID_COLUMNS:
        found |= {row[0] for row in bind.execute(sa.text(f"SELECT DISTINCT workspace_id FROM {table}"))}
    return found


def _rename(bind: sa.Connection, mapping: dict[str, str]) -> None:
    """Move every row of each workspace in `mapping` to its new ID, refusing (RuntimeError) to merge two workspaces."""
    existing = _workspaces(bind)
    targets: dict[str, str] = {}
    for old, new in sorted(mapping.items()):
        other = targets.get(new) or (new if new in existing else None)
        if other is not None:
            raise RuntimeError(f"workspaces {other!r} and {old!r} would both become {new!r}; nothing was changed")
        targets[new] = old
    for table in ID_COLUMNS:
        statement = sa.text(f"UPDATE {table} SET workspace_id = :new WHERE workspace_id = :old")
        for old, new in mapping.items():
            bind.execute(statement, {"old": old, "new": new})


def transport_by_shape(workspace_id: str) -> str | None:
    if SLACK_ID.match(workspace_id):
        return "slack"
    if TEAMS_TENANT.match(workspace_id):
        return "teams"
    return None


def upgrade() -> None:
    _resize(OLD_ID, NEW_ID, OLD_KEY, NEW_KEY)
    bind = op.get_bind()
    subscribed: dict[str, set[str]] = {}
    for workspace_id, transport in bind.execute(sa.text("SELECT workspace_id, transport FROM digest_subscription")):
        subscribed.setdefault(workspace_id, set()).add(transport)
    mapping: dict[str, str] = {}
    for workspace_id in _workspaces(bind):
        if workspace_id.startswith(tuple(f"{t}:" for t in TRANSPORTS)):
            continue
        named = subscribed.get(workspace_id, set()) & set(TRANSPORTS)
        transport = next(iter(named)) if len(named) == 1 else transport_by_shape(workspace_id)
        if transport is not None:
            mapping[workspace_id] = f"{transport}:{workspace_id}"
    _rename(bind, mapping)
    if bind.dialect.name == "sqlite":
        broken = bind.execute(sa.text("PRAGMA foreign_key_check")).fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken after resizing the tables: {broken[:5]}")


def downgrade() -> None:
    bind = op.get_bind()
    mapping = {w: w.split(":", 1)[1] for w in _workspaces(bind) if w.startswith(tuple(f"{t}:" for t in TRANSPORTS))}
    _rename(bind, mapping)
    for table, columns in ID_COLUMNS.items():
        for column, _ in columns:
            too_long = bind.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE LENGTH({column}) > {OLD_ID}")).scalar_one()
            if too_long:
                raise RuntimeError(f"{too_long} value(s) of {table}.{column} are longer than {OLD_ID} characters; nothing was changed")
    too_long = bind.execute(sa.text(f"SELECT COUNT(*) FROM work_group WHERE LENGTH(name_key) > {OLD_KEY}")).scalar_one()
    if too_long:
        raise RuntimeError(f"{too_long} work group key(s) are longer than {OLD_KEY} characters; nothing was changed")
    _resize(NEW_ID, OLD_ID, NEW_KEY, OLD_KEY)
