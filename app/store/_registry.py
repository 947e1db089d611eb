"""The model registry: trained versions, their metrics, and which one is active."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._common import check_choice, check_text
from .errors import Conflict, Invalid, NotFound
from .models import MODEL_STATUSES, ModelVersion, utcnow

__all__ = [
    "register_model",
    "get_model",
    "get_active_model",
    "list_models",
    "set_active_model",
    "set_model_status",
]


def register_model(
    session: Session,
    version: str,
    *,
    metrics: dict[str, Any],
    thresholds: dict[str, Any],
    data_fingerprint: str | None = None,
    parent: str | None = None,
    note: str | None = None,
    status: str = "candidate",
) -> ModelVersion:
    """Add a trained model as a ``candidate`` (or ``rejected``, when its gate failed).

    Raises
    ------
    Conflict
        ``version`` is registered already.
    Invalid
        A bad field; use :func:`set_active_model` to make a model active.
    """
    version = check_text("version", version, 80)
    if status not in ("candidate", "rejected", "retired"):
        raise Invalid("status", f"{status!r}: register as candidate or rejected, then promote it")
    if not isinstance(metrics, dict) or not isinstance(thresholds, dict):
        raise Invalid("metrics" if not isinstance(metrics, dict) else "thresholds", "must be a JSON object")
    if session.get(ModelVersion, version) is not None:
        raise Conflict(f"model version {version!r} is registered already")
    mv = ModelVersion(
        version=version,
        metrics=metrics,
        thresholds=thresholds,
        data_fingerprint=check_text("data_fingerprint", data_fingerprint, 80, required=False),
        parent=check_text("parent", parent, 80, required=False),
        note=check_text("note", note, 2000, required=False),
        status=status,
    )
    try:
        with session.begin_nested():
            session.add(mv)
    except IntegrityError:
        raise Conflict(f"model version {version!r} is registered already") from None
    return mv


def get_model(session: Session, version: str) -> ModelVersion:
    """The registered model ``version``; raises :class:`NotFound`."""
    mv = session.get(ModelVersion, version)
    if mv is None:
        raise NotFound("model version", version)
    return mv


def get_active_model(session: Session) -> ModelVersion | None:
    return session.scalar(select(ModelVersion).where(ModelVersion.status == "active"))


def list_models(session: Session, status: str | None = None) -> list[ModelVersion]:
    """Registered models, newest first."""
    q = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.version.desc())
    if status is not None:
        q = q.where(ModelVersion.status == check_choice("status", status, MODEL_STATUSES))
    return list(session.scalars(q))


def set_active_model(
    session: Session, version: str, *, promoted_by: str, note: str | None = None
) -> ModelVersion:
    """Make ``version`` the active model; the one active before is ``retired``.

    A retired model can be made active again (a rollback); a rejected one cannot.

    Raises
    ------
    NotFound
        ``version`` is not registered.
    Conflict
        It was rejected, or another promotion committed meanwhile (try again).
    """
    promoted_by = check_text("promoted_by", promoted_by, 120)
    mv = session.get(ModelVersion, version, with_for_update=True)
    if mv is None:
        raise NotFound("model version", version)
    if mv.status == "rejected":
        raise Conflict(f"model version {version!r} was rejected and cannot be made active")
    if mv.status == "active":
        return mv
    try:
        with session.begin_nested():
            session.execute(
                update(ModelVersion)
                .where(ModelVersion.status == "active", ModelVersion.version != version)
                .values(status="retired", updated_at=utcnow())
            )
            mv.status = "active"
            mv.promoted_by = promoted_by
            mv.promoted_at = utcnow()
            if note is not None:
                mv.note = check_text("note", note, 2000, required=False)
    except IntegrityError:
        # The partial unique index saw a second active model: a concurrent promotion won.
        raise Conflict(f"another model was made active while promoting {version!r}; try again") from None
    return mv


def set_model_status(session: Session, version: str, status: str, *, note: str | None = None) -> ModelVersion:
    """Mark a model ``candidate``, ``retired`` or ``rejected`` (not ``active``: promote it)."""
    if status == "active":
        raise Invalid("status", "use set_active_model to make a model active")
    check_choice("status", status, MODEL_STATUSES)
    mv = get_model(session, version)
    mv.status = status
    if note is not None:
        mv.note = check_text("note", note, 2000, required=False)
    session.flush()
    return mv
