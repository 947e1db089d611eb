"""``/v1/models``: the registry of trained versions, activation (roll back or forward), retraining."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from app.classifier import ModelError, active_version
from app.registry import activate, sync_registry
from app.store import repo

from ..deps import AdminKey, ReaderKey, SessionDep, SettingsDep, who
from ..errors import ApiProblem, problem_responses
from ..schemas import ModelVersionPublic, ModelVersionsPublic, RetrainAccepted, RetrainIn

router = APIRouter(prefix="/v1/models", tags=["models"], responses=problem_responses(401, 429, 500, 503))


def _serving(settings: Any) -> str | None:
    try:
        return active_version(settings.model_dir)
    except ModelError:
        return None


def model_public(mv: Any, serving: str | None) -> dict:
    metrics = mv.metrics or {}
    return {
        "version": mv.version,
        "created_at": mv.created_at,
        "status": mv.status,
        "active": mv.version == serving,
        "thresholds": mv.thresholds or {},
        "metrics": {
            k: metrics.get(k) for k in ("real_recall", "real_legit_fpr", "heldout_recall", "binary_f1")
        },
        "promoted_by": mv.promoted_by,
        "promoted_at": mv.promoted_at,
        "parent": mv.parent,
    }


@router.get("", response_model=ModelVersionsPublic)
def read_models(session: SessionDep, settings: SettingsDep, _key: ReaderKey) -> dict:
    """Every trained version, newest first: status, figures, who promoted it; ``active`` is served now."""
    sync_registry(session, settings.model_dir)
    session.commit()
    serving = _serving(settings)
    data = [model_public(mv, serving) for mv in repo.list_models(session)]
    return {"data": data, "count": len(data)}


@router.post(
    "/{version}/activate", response_model=ModelVersionPublic, responses=problem_responses(403, 404, 409, 422)
)
def activate_model(version: str, session: SessionDep, settings: SettingsDep, key: AdminKey) -> dict:
    """Serve ``version`` from now on (roll back or forward); every worker swaps it in within seconds."""
    try:
        mv = activate(session, settings.model_dir, version, by=who(key))
    except ModelError as exc:
        raise ApiProblem(
            422, "model-unusable", f"model {version} cannot be loaded: {exc}", field="version"
        ) from None
    out = model_public(mv, version)
    session.commit()
    return out


@router.post(
    "/retrain",
    status_code=202,
    response_model=RetrainAccepted,
    responses=problem_responses(400, 403, 409, 415, 422),
)
def create_retrain_job(
    request: Request,
    settings: SettingsDep,
    key: AdminKey,
    body: Annotated[RetrainIn | None, Body(openapi_examples={"normal": {"value": {"force": False}}})] = None,
) -> dict:
    """Retrain on the base data plus every accepted case, in a separate process; 409 while one runs.

    The candidate replaces the active model only if it passes the gate (see the job's outcome),
    or if ``force`` is true (recorded as forced).
    """
    from training.retrain import request_retrain

    try:
        sessions = request.app.state.database.open()
    except Exception as exc:
        raise ApiProblem(
            503, "database-unavailable", f"the database does not answer ({type(exc).__name__})"
        ) from None
    job_id = request_retrain(
        sessions,
        requested_by=who(key),
        force=bool(body and body.force),
        database_url=settings.database_url,
        model_dir=settings.model_dir,
        config_path=settings.retrain_config,
    )
    return {"job_id": job_id}
