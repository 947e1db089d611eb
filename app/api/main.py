"""Builds the FastAPI app: settings, middleware, error handlers, routers, and the model in lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware

from app import __version__
from app.classifier import active_version
from app.settings import Settings, get_settings
from app.web import router as web_router
from app.web import static_app

from . import metrics
from .database import Database
from .db import close_db
from .errors import PROBLEM_MEDIA_TYPE, install_error_handlers
from .logs import configure_logging
from .middleware import (
    BodyGuardMiddleware,
    HeadAsGetMiddleware,
    RateLimitMiddleware,
    RequestContextMiddleware,
)
from .probes import DatabaseProbe
from .router import api_router, route_templates
from .state import ModelHolder
from .watcher import watch_active_model

__all__ = ["create_app", "load_model"]

log = logging.getLogger("canhgiac.api")

DESCRIPTION = """
**canhgiac** (cảnh giác) tells whether a Vietnamese message is a scam, which kind, and why.

Send the message to `POST /v1/classify`; the answer has a verdict (`scam`, `suspicious`, `spam`,
`safe`), the scam type, a risk score, the evidence with its position in your text, and advice.

* Errors are `application/problem+json` (RFC 9457): branch on `type`, show `detail`.
* A text longer than the limit is a **422** `text-too-long` (the body itself was fine); a body
  larger than the byte limit is a **413** `body-too-large`.
* Reading endpoints are open unless the server requires a key; analyst and admin endpoints
  need `Authorization: Bearer <key>`.
* Message texts are never logged.
"""


def load_model(app: FastAPI, model_dir: Any | None = None) -> None:
    """Load the active model from ``model_dir`` and make it live (also how a retrain swaps it)."""
    from app.service import Classifier

    settings: Settings = app.state.settings
    classifier = Classifier.from_dir(model_dir or settings.model_dir)
    old = app.state.holder.swap(classifier)
    metrics.set_model_version(classifier.version, old.version if old else None)
    log.info("model %s loaded", classifier.version, extra={"model_version": classifier.version})


def open_store(app: FastAPI) -> None:
    """Migrate the database, fail retrain jobs whose process died, and register the models on disk."""
    from app.registry import sync_registry
    from app.store import repo

    settings: Settings = app.state.settings
    sessions = app.state.database.open()
    with sessions.begin() as session:
        failed = repo.fail_stale_jobs(session)
        added = sync_registry(session, settings.model_dir)
    if failed:
        log.warning("marked retrain job(s) %s failed: their process is gone", failed)
    if added:
        log.info("registered model version(s) %s found in the model folder", added)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    configure_logging(settings.log_level)
    # Classifying is CPU-bound Python: dozens of threads fighting over the GIL serve fewer
    # requests than a few taking turns, so each worker runs at most this many handlers at once.
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
    try:
        await run_in_threadpool(open_store, app)
    except Exception as exc:  # classifying needs no database: serve, and let /readyz say it
        log.error("the database is not ready (%s); case and model endpoints answer 503", type(exc).__name__)
    current = app.state.holder.get()
    if current is None:
        await run_in_threadpool(load_model, app)
    elif getattr(app.state, "preloaded", False):  # loaded before gunicorn forked this worker
        try:
            stale = active_version(settings.model_dir) != current.version
        except Exception:  # ACTIVE unreadable for a moment: serve what we have, the watcher retries
            stale = False
        if stale:  # a promotion happened after the arbiter loaded it
            await run_in_threadpool(load_model, app)
        else:
            metrics.set_model_version(current.version)
    watcher = None
    if settings.model_poll_seconds > 0:
        watcher = asyncio.create_task(
            watch_active_model(
                settings.model_dir, app.state.holder, lambda: load_model(app), settings.model_poll_seconds
            )
        )
    try:
        yield
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await run_in_threadpool(close_db, app)  # pending verdict counts, then the connections
        app.state.db_probe.dispose()
        metrics.mark_process_dead(os.getpid())


def _build_openapi(app: FastAPI) -> dict:
    """The OpenAPI document as this server enforces it: its own limits on texts and batches,
    error bodies as application/problem+json, and keys optional where reading is open."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = FastAPI.openapi(app)
    settings: Settings = app.state.settings
    components = schema.get("components", {}).get("schemas", {})
    for name in ("MessageIn", "BatchItemIn"):
        if name in components:
            components[name]["properties"]["text"]["maxLength"] = settings.max_text_chars
    if "BatchIn" in components:
        components["BatchIn"]["properties"]["messages"]["maxItems"] = settings.max_batch
    for path in schema.get("paths", {}).values():
        for op in path.values():
            for status, response in op.get("responses", {}).items():
                content = response.get("content", {})
                if status[:1] in "45" and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
            # an empty requirement means "or no key at all" (OpenAPI 3.1, security)
            security = op.get("security")
            if security and op.get("tags") != ["admin"] and not settings.read_requires_key:
                op["security"] = [*security, {}]
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service. Nothing heavy happens here: the model loads in ``lifespan``."""
    settings = settings or get_settings()
    app = FastAPI(
        title="canhgiac",
        summary="Kiểm tra tin nhắn lừa đảo tiếng Việt — Vietnamese scam-message checker",
        description=DESCRIPTION,
        version=__version__,
        lifespan=lifespan,
        license_info={"name": "MIT"},
    )
    app.state.settings = settings
    app.state.holder = ModelHolder()
    app.state.db_probe = DatabaseProbe(settings.database_url)
    app.state.database = Database(settings.database_url)

    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(web_router)
    app.mount("/static", static_app(), name="static")

    # add_middleware wraps: the last one added runs first.
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(
        BodyGuardMiddleware,
        max_bytes=settings.max_body_bytes,
        uploads={"/v1/chatlogs/score": settings.max_upload_bytes},
    )
    app.add_middleware(RateLimitMiddleware, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, templates=route_templates())
    app.openapi = lambda: _build_openapi(app)  # type: ignore[method-assign]
    return app
