"""ORM models: labeled cases, feedback, model registry, retrain jobs, entities, statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Base",
    "Case",
    "Feedback",
    "ModelVersion",
    "RetrainJob",
    "SuspiciousEntity",
    "VerdictStat",
    "PatternStat",
    "UTCDateTime",
    "utcnow",
    "CASE_STATUSES",
    "FEEDBACK_VERDICTS",
    "MODEL_STATUSES",
    "JOB_STATES",
    "JOB_ACTIVE_STATES",
    "ENTITY_KINDS",
    "ENTITY_STATUSES",
]

CASE_STATUSES = ("proposed", "accepted", "rejected")
FEEDBACK_VERDICTS = ("correct", "wrong")
MODEL_STATUSES = ("candidate", "active", "retired", "rejected")
JOB_STATES = ("queued", "running", "succeeded", "failed", "rejected")
JOB_ACTIVE_STATES = ("queued", "running")
ENTITY_KINDS = ("bank_account", "ewallet", "phone", "domain", "url", "handle")
ENTITY_STATUSES = ("reported", "confirmed", "cleared")

# Explicit constraint names keep migrations reproducible and let SQLite batch mode alter tables.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    SQLite has no time zones, so values are stored there as naive UTC; PostgreSQL keeps
    ``timestamptz``. Naive datetimes are refused on the way in: their zone is a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware one (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())


class Case(Timestamped, Base):
    """A labeled message used for training; ``fingerprint`` makes near-copies one case."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        Index(None, "status", "label"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    # ``text`` lower-cased without tone marks: search finds "trúng thưởng" from "trung thuong"
    # the same way on SQLite and PostgreSQL (whose LIKE and collations differ).
    search_text: Mapped[str] = mapped_column(Text)
    # None only for a case proposed by feedback that said "wrong" without the right label.
    label: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(120), index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="proposed", server_default="proposed")
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class Feedback(Timestamped, Base):
    """A person's opinion of a verdict; it keeps a fingerprint, the text only through its case."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint(_in("verdict", FEEDBACK_VERDICTS), name="verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    predicted_label: Mapped[str] = mapped_column(String(40))
    verdict: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[str | None] = mapped_column(String(80))
    correct_label: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)


class ModelVersion(Timestamped, Base):
    """A trained model in the registry; at most one is ``active``."""

    __tablename__ = "model_versions"
    __table_args__ = (
        CheckConstraint(_in("status", MODEL_STATUSES), name="status"),
        # Partial unique index: two promotions racing cannot leave two active models.
        Index(
            "uq_model_versions_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    version: Mapped[str] = mapped_column(String(80), primary_key=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data_fingerprint: Mapped[str | None] = mapped_column(String(80))
    parent: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="candidate", server_default="candidate")
    promoted_by: Mapped[str | None] = mapped_column(String(120))
    promoted_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class RetrainJob(Timestamped, Base):
    """One retraining run, from request to outcome."""

    __tablename__ = "retrain_jobs"
    __table_args__ = (
        CheckConstraint(_in("state", JOB_STATES), name="state"),
        # ``queue`` holds the same value on every row, so this partial unique index lets at
        # most one row be queued-or-running: the database, not a check-then-insert, decides
        # which of two concurrent requests wins.
        Index(
            "uq_retrain_jobs_one_active",
            "queue",
            unique=True,
            sqlite_where=text(_in("state", JOB_ACTIVE_STATES)),
            postgresql_where=text(_in("state", JOB_ACTIVE_STATES)),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(20), default="retrain", server_default="retrain")
    state: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    requested_by: Mapped[str] = mapped_column(String(120))
    force: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    pid: Mapped[int | None] = mapped_column(Integer)
    log: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    candidate_version: Mapped[str | None] = mapped_column(String(80))


class SuspiciousEntity(Timestamped, Base):
    """A reported bank account, e-wallet, phone, domain, link or handle."""

    __tablename__ = "entities"
    __table_args__ = (
        UniqueConstraint("kind", "value"),
        CheckConstraint(_in("kind", ENTITY_KINDS), name="kind"),
        CheckConstraint(_in("status", ENTITY_STATUSES), name="status"),
        Index(None, "status", "kind"),
        Index(None, "updated_at"),  # the lookup index polls "changed since T" every few seconds
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(300))
    display: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="reported", server_default="reported")
    source: Mapped[str | None] = mapped_column(String(120))
    reporter: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    message_count: Mapped[int] = mapped_column(default=0, server_default="0")
    case_count: Mapped[int] = mapped_column(default=0, server_default="0")
    confirmed_at: Mapped[datetime | None]


class VerdictStat(Timestamped, Base):
    """How many messages got a verdict per day, label and channel; counts only, never text."""

    __tablename__ = "verdict_stats"
    __table_args__ = (UniqueConstraint("day", "label", "verdict", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(40))
    verdict: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(default=0, server_default="0")


class PatternStat(Timestamped, Base):
    """How many verdicts a scam pattern fired in, per day; counts only, never text."""

    __tablename__ = "pattern_stats"
    __table_args__ = (UniqueConstraint("day", "pattern"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    pattern: Mapped[str] = mapped_column(String(80))
    count: Mapped[int] = mapped_column(default=0, server_default="0")
