"""Collects the resource routers: adding a resource is one import and one entry here."""

from __future__ import annotations

import re

from fastapi import APIRouter

from .routes import (
    admin,
    cases,
    chatlogs,
    classify,
    entities,
    feedback,
    health,
    jobs,
    labels,
    metrics,
    model,
    models,
    patterns,
    stats,
)

__all__ = ["ROUTERS", "api_router", "route_templates"]

ROUTERS = (
    classify.router,
    chatlogs.router,
    labels.router,
    patterns.router,
    model.router,
    cases.router,
    feedback.router,
    models.router,
    jobs.router,
    admin.router,
    health.router,
    metrics.router,
    entities.router,
    stats.router,
)

api_router = APIRouter()
for _router in ROUTERS:
    api_router.include_router(_router)


def route_templates() -> list[tuple[re.Pattern[str], str]]:
    """``(path regex, path template)`` of every route, to name a request rejected before routing."""
    return [(r.path_regex, r.path) for router in ROUTERS for r in router.routes if hasattr(r, "path_regex")]
