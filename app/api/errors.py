"""Errors as ``application/problem+json`` (RFC 9457): one exception type, mapped to HTTP once.

Every problem has a stable ``type`` URI under :data:`PROBLEM_BASE`; clients branch on it, not
on the wording of ``detail``. The ``request_id`` member matches the ``X-Request-ID`` header.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "PROBLEM_BASE",
    "PROBLEM_MEDIA_TYPE",
    "ApiProblem",
    "install_error_handlers",
    "log_unexpected",
    "problem_response",
    "problem_responses",
]

PROBLEM_BASE = "https://canhgiac.vn/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("canhgiac.api")

# Titles for each problem type: short, stable, the same for every occurrence.
TITLES = {
    "invalid-json": "The body is not valid JSON",
    "invalid-utf8": "The body is not valid UTF-8",
    "unsupported-media-type": "The body must be JSON",
    "body-too-large": "The request body is too large",
    "empty-text": "The message text is empty",
    "text-too-long": "The message text is too long",
    "invalid-text": "The text contains characters that are not valid Unicode",
    "too-many-messages": "Too many messages in one batch",
    "unknown-field": "The body has a field this endpoint does not know",
    "validation-error": "The request is not valid",
    "unauthorized": "A valid API key is required",
    "forbidden": "This API key's role may not do that",
    "rate-limited": "Too many requests",
    "not-found": "Not found",
    "method-not-allowed": "Method not allowed",
    "bad-request": "Bad request",
    "not-ready": "The service is not ready",
    "database-unavailable": "The database does not answer",
    "conflict": "The request clashes with the current state",
    "job-running": "A retrain job is already running",
    "model-unusable": "The model cannot be loaded",
    "model-not-loaded": "No model is loaded",
    "internal-error": "Internal server error",
}
_BY_STATUS = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "body-too-large",
}


class ApiProblem(Exception):
    """A client-visible error: raise it anywhere, it becomes one problem+json response."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        field: str | None = None,
        limit: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail
        self.field, self.limit, self.headers, self.extra = field, limit, headers or {}, extra


def problem_body(
    status: int,
    kind: str,
    detail: str,
    request_id: str | None = None,
    *,
    field: str | None = None,
    limit: int | None = None,
    **extra: Any,
) -> dict:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind,
        "title": TITLES.get(kind, kind.replace("-", " ").capitalize()),
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    if limit is not None:
        body["limit"] = limit
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


def problem_response(
    status: int,
    kind: str,
    detail: str,
    request_id: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, kind, detail, request_id, **members),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _loc(loc: tuple | list) -> str:
    """``("body", "messages", 3, "text")`` -> ``messages[3].text``."""
    out = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or (str(loc[0]) if loc else "")


def _from_validation(exc: RequestValidationError) -> tuple[int, str, str, dict]:
    errors = exc.errors()
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid request"}
    kind_of = {
        "json_invalid": (400, "invalid-json"),
        "extra_forbidden": (422, "unknown-field"),
        "empty_text": (422, "empty-text"),
        "invalid_text": (422, "invalid-text"),
    }
    # The most specific error decides the type; the list carries all of them.
    for err in errors:
        if err["type"] in kind_of:
            first = err
            break
    status, kind = kind_of.get(first["type"], (422, "validation-error"))
    field = _loc(first["loc"])
    if kind == "invalid-json":
        detail = f"the body is not valid JSON: {first.get('ctx', {}).get('error', 'decode error')}"
        return status, kind, detail, {}
    if kind == "unknown-field":
        detail = f"unknown field {field!r}; remove it (see /docs for the fields this endpoint takes)"
    else:
        detail = f"{field}: {first['msg']}" if field else first["msg"]
    listed = [{"field": _loc(e["loc"]), "message": e["msg"], "type": e["type"]} for e in errors[:20]]
    return status, kind, detail, {"field": field, "errors": listed}


def log_unexpected(exc: BaseException, request_id: str | None) -> None:
    """Log where an unexpected error happened, without its message: it could quote the text."""
    te = traceback.TracebackException.from_exception(exc, capture_locals=False)
    frames = "".join(te.stack.format())
    log.error(
        "unexpected error %s in request %s\n%s",
        type(exc).__qualname__,
        request_id,
        frames,
        extra={"request_id": request_id, "error": type(exc).__qualname__},
    )


async def _on_problem(request: Request, exc: ApiProblem) -> JSONResponse:
    return problem_response(
        exc.status,
        exc.kind,
        exc.detail,
        request_id_of(request),
        headers=exc.headers,
        field=exc.field,
        limit=exc.limit,
        **exc.extra,
    )


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    status, kind, detail, members = _from_validation(exc)
    return problem_response(status, kind, detail, request_id_of(request), **members)


def _allowed_methods(request: Request) -> str | None:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    from .router import ROUTERS  # late: the routers import this module

    path = request.url.path
    by_template: dict[str, set[str]] = {}
    for router in ROUTERS:
        for route in router.routes:
            regex = getattr(route, "path_regex", None)
            if regex is not None and regex.match(path) and getattr(route, "methods", None):
                by_template.setdefault(route.path, set()).update(route.methods)
    if not by_template:
        return None
    # "/v1/entities/check" is also matched by "/v1/entities/{id}": the fixed path names the resource
    template = min(by_template, key=lambda t: (t.count("{"), len(t)))
    return ", ".join(sorted(by_template[template]))


async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    kind = _BY_STATUS.get(exc.status_code, "bad-request" if exc.status_code < 500 else "internal-error")
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(kind, "error")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        allow = _allowed_methods(request)
        if allow:
            headers["Allow"] = allow
    return problem_response(exc.status_code, kind, detail, request_id_of(request), headers=headers or None)


async def _on_store_error(request: Request, exc: Exception) -> JSONResponse:
    """The store's errors (``app.store.errors``): a bad value, a missing row, a state clash."""
    from app.store import Conflict, Invalid, JobAlreadyRunning, NotFound

    rid = request_id_of(request)
    if isinstance(exc, Invalid):
        return problem_response(422, "validation-error", str(exc), rid, field=exc.field)
    if isinstance(exc, NotFound):
        return problem_response(404, "not-found", str(exc), rid)
    if isinstance(exc, JobAlreadyRunning):
        return problem_response(409, "job-running", str(exc), rid, job_id=exc.job_id)
    if isinstance(exc, Conflict):
        return problem_response(409, "conflict", str(exc), rid)
    log_unexpected(exc, rid)
    return problem_response(500, "internal-error", "unexpected server error", rid)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error a client can cause to a problem response (unexpected ones: see middleware)."""
    from app.store import StoreError

    app.add_exception_handler(ApiProblem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(StoreError, _on_store_error)


_DESCRIPTIONS = {
    400: "Not JSON, or not UTF-8",
    401: "No API key, or not a valid one",
    403: "The key's role is too low",
    404: "No such resource",
    409: "Clashes with the current state (e.g. a retrain job is already running)",
    413: "The body is larger than CANHGIAC_MAX_BODY_BYTES",
    415: "The body is not sent as application/json",
    422: "A field is missing, empty, too long, of the wrong type, or unknown",
    429: "Too many requests; see Retry-After",
    500: "Unexpected server error (quote the request_id)",
    503: "Not ready (no model loaded, or the database does not answer)",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problems a route can return (served as problem+json)."""
    from .schemas import Problem

    return {code: {"model": Problem, "description": _DESCRIPTIONS[code]} for code in codes}
