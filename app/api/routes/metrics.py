"""``/metrics``: Prometheus exposition (every worker's figures in multiprocess mode)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from .. import metrics

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
def read_metrics() -> Response:
    """Request counts and latencies by route and status, verdicts, the model version."""
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)
