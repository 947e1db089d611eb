"""The first schema: cases, feedback, model registry, retrain jobs, entities, verdict statistics.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Migrations are frozen history: they spell out types instead of importing app.store.models.
TS = sa.DateTime(timezone=True)
ACTIVE_JOB = sa.text("state IN ('queued', 'running')")
ACTIVE_MODEL = sa.text("status = 'active'")


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("label", sa.String(40), nullable=True),
        sa.Column("channel", sa.String(40), nullable=True),
        sa.Column("source", sa.String(120), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("status", sa.String(16), server_default="proposed", nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("reviewed_by", sa.String(120), nullable=True),
        sa.Column("reviewed_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("status IN ('proposed', 'accepted', 'rejected')", name=op.f("ck_cases_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_cases_fingerprint")),
    )
    op.create_index(op.f("ix_cases_source"), "cases", ["source"])
    op.create_index(op.f("ix_cases_status_label"), "cases", ["status", "label"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("predicted_label", sa.String(40), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("model_version", sa.String(80), nullable=True),
        sa.Column("correct_label", sa.String(40), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("verdict IN ('correct', 'wrong')", name=op.f("ck_feedback_verdict")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_feedback_case_id_cases"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index(op.f("ix_feedback_case_id"), "feedback", ["case_id"])
    op.create_index(op.f("ix_feedback_fingerprint"), "feedback", ["fingerprint"])

    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(80), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("data_fingerprint", sa.String(80), nullable=True),
        sa.Column("parent", sa.String(80), nullable=True),
        sa.Column("status", sa.String(16), server_default="candidate", nullable=False),
        sa.Column("promoted_by", sa.String(120), nullable=True),
        sa.Column("promoted_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('candidate', 'active', 'retired', 'rejected')", name=op.f("ck_model_versions_status")
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_model_versions")),
    )
    op.create_index(
        "uq_model_versions_one_active",
        "model_versions",
        ["status"],
        unique=True,
        sqlite_where=ACTIVE_MODEL,
        postgresql_where=ACTIVE_MODEL,
    )

    op.create_table(
        "retrain_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(20), server_default="retrain", nullable=False),
        sa.Column("state", sa.String(16), server_default="queued", nullable=False),
        sa.Column("requested_by", sa.String(120), nullable=False),
        sa.Column("force", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("log", sa.Text(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("candidate_version", sa.String(80), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'rejected')",
            name=op.f("ck_retrain_jobs_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrain_jobs")),
    )
    # At most one queued-or-running job: every row has the same ``queue``, so a second
    # active row violates this partial unique index whatever the timing.
    op.create_index(
        "uq_retrain_jobs_one_active",
        "retrain_jobs",
        ["queue"],
        unique=True,
        sqlite_where=ACTIVE_JOB,
        postgresql_where=ACTIVE_JOB,
    )

    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(300), nullable=False),
        sa.Column("display", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), server_default="reported", nullable=False),
        sa.Column("source", sa.String(120), nullable=True),
        sa.Column("reporter", sa.String(120), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("first_seen", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("last_seen", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("case_count", sa.Integer(), server_default="0", nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "kind IN ('bank_account', 'ewallet', 'phone', 'domain', 'url', 'handle')",
            name=op.f("ck_entities_kind"),
        ),
        sa.CheckConstraint("status IN ('reported', 'confirmed', 'cleared')", name=op.f("ck_entities_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_entities_kind_value")),
    )
    op.create_index(op.f("ix_entities_status_kind"), "entities", ["status", "kind"])

    op.create_table(
        "verdict_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verdict_stats")),
        sa.UniqueConstraint(
            "day", "label", "verdict", "channel", name=op.f("uq_verdict_stats_day_label_verdict_channel")
        ),
    )


def downgrade() -> None:
    for table in ("verdict_stats", "entities", "retrain_jobs", "model_versions", "feedback", "cases"):
        op.drop_table(table)
