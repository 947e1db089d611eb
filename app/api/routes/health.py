"""``/healthz`` (the process is alive) and ``/readyz`` (model loaded and database reachable)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..deps import HolderDep
from ..errors import ApiProblem, problem_responses
from ..schemas import HealthPublic, ReadyPublic

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthPublic, responses=problem_responses(500))
def read_health() -> dict:
    """Alive: the process answers (it says nothing about the model or the database)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyPublic, responses=problem_responses(500, 503))
def read_readiness(request: Request, holder: HolderDep) -> dict:
    """Ready: a model is loaded and the database answers ``SELECT 1``; else 503."""
    classifier = holder.get()
    checks = {"model": "ok" if classifier is not None else "no model loaded"}
    failure = request.app.state.db_probe.check()
    checks["database"] = failure or "ok"
    if classifier is None or failure:
        bad = ", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
        raise ApiProblem(503, "not-ready", f"not ready ({bad})", headers={"Retry-After": "5"}, checks=checks)
    return {"status": "ready", "model_version": classifier.version, "checks": checks}
