"""Pure ASGI middleware: request context (id, headers, metrics, access log, last-resort 500),
rate limiting, and the body guard (size, media type, UTF-8, JSON) that runs before any parsing."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

from .errors import log_unexpected, problem_response
from .logs import access_log
from .metrics import observe_request
from .ratelimit import TokenBuckets
from .security import authenticate, bearer_token

__all__ = ["BodyGuardMiddleware", "RateLimitMiddleware", "RequestContextMiddleware", "UNLIMITED_PATHS"]

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),  # verdicts are about private messages: no shared caches
]
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapes


def _state(scope: Scope) -> dict:
    return scope.setdefault("state", {})


class RequestContextMiddleware:
    """Outermost layer: gives every request an id, security headers, a metric and a log line.

    An exception that reaches it becomes a generic 500 problem carrying the request id; the
    error is logged here (without its message, which might quote the text) and not re-raised,
    so the server does not print it again.
    """

    def __init__(self, app: ASGIApp, templates: Sequence[tuple[re.Pattern[str], str]] = ()) -> None:
        self.app = app
        self.templates = templates

    def _template(self, scope: Scope) -> str:
        """The route's path template (bounded cardinality for metrics), even for a request
        rejected before routing (413, 415, 429...); "unmatched" for unknown paths."""
        path = getattr(scope.get("route"), "path", None)
        if path:
            return path
        for regex, template in self.templates:
            if regex.match(scope["path"]):
                return template
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        state = _state(scope)
        state["request_id"] = request_id
        state["log"] = {}
        status = 500
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in dict(SECURITY_HEADERS)
                ]
                headers += [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # the last resort: never a traceback to the client
            log_unexpected(exc, request_id)
            if not started:
                response = problem_response(
                    500,
                    "internal-error",
                    f"an unexpected error occurred; quote request id {request_id} when reporting it",
                    request_id,
                )
                await response(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - start
            template = self._template(scope)
            observe_request(scope["method"], template, status, elapsed)
            fields = {
                "request_id": request_id,
                "method": scope["method"],
                "route": template,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                **state.get("log", {}),
            }
            level = logging.WARNING if status >= 500 else logging.INFO
            access_log.log(level, "request", extra=fields)


class RateLimitMiddleware:
    """429 with ``Retry-After`` once a caller (valid key, else client IP) spends its tokens."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.buckets = TokenBuckets(settings.rate_limit_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self.settings.rate_limit_per_minute == 0
            or scope["method"] == "OPTIONS"
            or scope["path"] in UNLIMITED_PATHS
        ):
            await self.app(scope, receive, send)
            return
        # A key counts only when it is valid: otherwise made-up keys would each get a bucket.
        principal = authenticate(self.settings, bearer_token(Headers(scope=scope).get("authorization")))
        if principal is not None and principal.key_id:
            identity = "key:" + principal.key_id
        else:
            client = scope.get("client")
            identity = "ip:" + (client[0] if client else "unknown")
        wait = self.buckets.take(identity)
        if wait > 0:
            retry = self.buckets.retry_after(wait)
            response = problem_response(
                429,
                "rate-limited",
                f"more than {self.settings.rate_limit_per_minute} requests a minute; retry in {retry} s",
                _state(scope).get("request_id"),
                headers={"Retry-After": str(retry)},
                limit=self.settings.rate_limit_per_minute,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class UploadTooLarge(Exception):
    """A streamed upload passed its limit; the upload handler turns it into a 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the upload is larger than {limit} bytes")
        self.limit = limit


class _Reject(Exception):
    def __init__(self, status: int, kind: str, detail: str, **members: object) -> None:
        self.status, self.kind, self.detail, self.members = status, kind, detail, members


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class BodyGuardMiddleware:
    """Checks a request body before anything parses it, then hands the same bytes on.

    * larger than ``max_bytes`` -> 413, from ``Content-Length`` before reading, and counted
      while reading a chunked body (reading stops at the limit);
    * not JSON by ``Content-Type`` -> 415; not UTF-8 -> 400; not well-formed JSON -> 400.
    """

    METHODS = frozenset({"POST", "PUT", "PATCH"})

    def __init__(self, app: ASGIApp, max_bytes: int, uploads: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # upload endpoints (multipart, streamed to the handler) and their own size limits
        self.uploads = uploads or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in self.METHODS:
            await self.app(scope, receive, send)
            return
        upload_limit = self.uploads.get(scope.get("path", ""))
        if upload_limit is not None:
            await self._upload(scope, receive, send, upload_limit)
            return
        try:
            body = await self._read(scope, receive)
        except _Reject as r:
            headers = {"Connection": "close"} if r.status == 413 else None
            response = problem_response(
                r.status, r.kind, r.detail, _state(scope).get("request_id"), headers=headers, **r.members
            )
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Stream an upload to the handler, stopping it with 413 once it passes ``limit``."""
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            response = problem_response(
                413,
                "body-too-large",
                f"the upload is larger than {limit} bytes; split the export",
                _state(scope).get("request_id"),
                headers={"Connection": "close"},
                limit=limit,
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise UploadTooLarge(limit)
            return message

        await self.app(scope, counted, send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        headers = Headers(scope=scope)
        too_large = _Reject(
            413,
            "body-too-large",
            f"the request body is larger than {self.max_bytes} bytes; send fewer or shorter messages",
            limit=self.max_bytes,
        )
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                raise _Reject(400, "bad-request", "the Content-Length header is not a number")
            if int(length) > self.max_bytes:
                raise too_large
        content_type = headers.get("content-type")
        if content_type is not None and not _is_json(content_type):
            raise _Reject(
                415,
                "unsupported-media-type",
                f"the body must be JSON sent as Content-Type: application/json, not {content_type[:80]!r}",
            )
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not body:
            return body  # no body: the endpoint reports the missing field (422)
        if content_type is None:
            raise _Reject(415, "unsupported-media-type", "send the body with Content-Type: application/json")
        try:
            decoded = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Reject(
                400, "invalid-utf8", f"the body is not valid UTF-8 (byte {exc.start}); send JSON as UTF-8"
            ) from None
        try:
            json.loads(decoded)
        except json.JSONDecodeError as exc:
            raise _Reject(
                400,
                "invalid-json",
                f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            ) from None
        except ValueError:  # e.g. an integer with more digits than Python converts
            raise _Reject(400, "invalid-json", "the body is not JSON this service can read") from None
        except RecursionError:
            raise _Reject(400, "invalid-json", "the body is nested too deeply to be read") from None
        return body


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect as usual

    return replay
