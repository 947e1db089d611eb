"""Entities: when an entity was confirmed, and an index on updated_at for cheap change polling;
pattern_stats: how often each scam pattern fired per day (counts only, never text).

Revision ID: 0002_entity_index_pattern_stats
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_entity_index_pattern_stats"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("entities", sa.Column("confirmed_at", TS, nullable=True))
    # Every API worker asks "what changed since T?" every few seconds: an index makes it a
    # range scan instead of a pass over the whole list.
    op.create_index(op.f("ix_entities_updated_at"), "entities", ["updated_at"])
    op.create_table(
        "pattern_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("pattern", sa.String(80), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pattern_stats")),
        sa.UniqueConstraint("day", "pattern", name=op.f("uq_pattern_stats_day_pattern")),
    )


def downgrade() -> None:
    op.drop_table("pattern_stats")
    op.drop_index(op.f("ix_entities_updated_at"), table_name="entities")
    with op.batch_alter_table("entities") as batch:
        batch.drop_column("confirmed_at")
