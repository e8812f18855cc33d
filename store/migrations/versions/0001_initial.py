"""Initial schema: work groups, channel bindings, evidence, ratings, audit log

Revision ID: 0001
Revises:
Create Date: 2026-11-24 20:01:14.198473
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=24), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_entity", ["workspace_id", "entity", "entity_id"], unique=False)

    op.create_table(
        "work_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_key", sa.String(length=80), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_group")),
        sa.UniqueConstraint("workspace_id", "name_key", name=op.f("uq_work_group_workspace_id_name_key")),
    )
    with op.batch_alter_table("work_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_group_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "channel_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("work_group_id", sa.Integer(), nullable=False),
        sa.Column("bound_by", sa.String(length=64), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_group_id"], ["work_group.id"], name=op.f("fk_channel_binding_work_group_id_work_group"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_binding")),
        sa.UniqueConstraint("workspace_id", "channel_id", name=op.f("uq_channel_binding_workspace_id_channel_id")),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("work_group_id", sa.Integer(), nullable=False),
        sa.Column("practice_key", sa.String(length=24), nullable=False),
        sa.Column("process_area", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evidence_date", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_by", sa.String(length=64), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dedupe_key", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_group_id"], ["work_group.id"], name=op.f("fk_evidence_work_group_id_work_group"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("workspace_id", "dedupe_key", name=op.f("uq_evidence_workspace_id_dedupe_key")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_scope", ["workspace_id", "work_group_id", "practice_key"], unique=False)

    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("work_group_id", sa.Integer(), nullable=False),
        sa.Column("practice_key", sa.String(length=24), nullable=False),
        sa.Column("process_area", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=2), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("rated_by", sa.String(length=64), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_group_id"], ["work_group.id"], name=op.f("fk_rating_work_group_id_work_group"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating")),
    )
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index("ix_rating_scope", ["workspace_id", "work_group_id", "practice_key", "id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_scope")

    op.drop_table("rating")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_scope")

    op.drop_table("evidence")
    op.drop_table("channel_binding")
    with op.batch_alter_table("work_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_group_workspace_id"))

    op.drop_table("work_group")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_entity")

    op.drop_table("audit_log")
