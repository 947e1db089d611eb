"""``GET /`` and ``GET /analyst``: plain HTML pages whose scripts call the JSON API; ``/static`` files.

The pages carry a strict Content-Security-Policy: scripts and styles only from files on this
server, no inline code, no requests anywhere else. Message text is put into the page by the
scripts as text, never as HTML, so the policy is a second wall rather than the only one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["CSP", "PAGE_HEADERS", "router", "static_app"]

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
STATIC = HERE / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# X-Frame-Options, nosniff, no-referrer and no-store come from RequestContextMiddleware.
PAGE_HEADERS = {"Content-Security-Policy": CSP}

router = APIRouter(tags=["web"], include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(PAGES / name, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.api_route("/", methods=["GET", "HEAD"])
def read_check_page() -> FileResponse:
    """The check page: paste a message, see the verdict and why."""
    return _page("index.html")


@router.api_route("/analyst", methods=["GET", "HEAD"])
def read_analyst_page() -> FileResponse:
    """The analyst page: statistics, cases to review, model versions (asks for an API key)."""
    return _page("analyst.html")


class _StaticFiles(StaticFiles):
    """Static files with the pages' policy, so an SVG opened on its own cannot run script either."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(PAGE_HEADERS)
        return response


def static_app() -> StaticFiles:
    """The ``/static`` mount: the pages' CSS, JavaScript and icon."""
    return _StaticFiles(directory=STATIC)
