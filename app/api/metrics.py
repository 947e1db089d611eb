"""Prometheus metrics: requests and latency by route and status, verdicts, the live model version.

With several uvicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` (``canhgiac serve`` does it for
you) so that ``/metrics`` adds up every worker, not just the one that answered.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

__all__ = [
    "CONTENT_TYPE_LATEST",
    "REQUESTS",
    "LATENCY",
    "VERDICTS",
    "MODEL_INFO",
    "multiprocess_dir",
    "mark_process_dead",
    "observe_request",
    "observe_verdicts",
    "render",
    "set_model_version",
]

REQUESTS = Counter("canhgiac_http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
LATENCY = Histogram(
    "canhgiac_http_request_duration_seconds",
    "Time from request to the end of the response.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
VERDICTS = Counter("canhgiac_verdicts_total", "Verdicts given.", ["verdict", "label"])
MODEL_INFO = Gauge(
    "canhgiac_model_info", "1 for the model version being served.", ["version"], multiprocess_mode="livemax"
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route, str(status)).observe(seconds)


def observe_verdicts(verdicts: list[dict]) -> None:
    for v in verdicts:
        VERDICTS.labels(v["verdict"], v["label"]).inc()


def set_model_version(new: str, old: str | None = None) -> None:
    # set the old version to 0 rather than removing it: in multiprocess mode a removed child
    # would keep its last value in the worker's file.
    if old and old != new:
        MODEL_INFO.labels(old).set(0)
    MODEL_INFO.labels(new).set(1)


def render() -> bytes:
    """The exposition text: this process's registry, or all workers' in multiprocess mode."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def mark_process_dead(pid: int) -> None:
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)
