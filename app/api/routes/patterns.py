"""``/v1/patterns``: the scam-pattern library (empty, with a note, until it is installed)."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ..deps import ClassifierDep, ReaderKey
from ..errors import problem_responses
from ..schemas import PatternsPublic

router = APIRouter(prefix="/v1/patterns", tags=["reference"])
_lock = threading.Lock()
_NOT_INSTALLED = "the pattern library (app.patterns) is not installed in this build"


def _library(request: Request, classifier: Any) -> Any | None:
    """The classifier's own library when it carries one, else ``load_library()`` once per process."""
    lib = getattr(classifier, "patterns", None)
    if lib is not None:
        return lib
    state = request.app.state
    with _lock:  # loading compiles every pattern: do it once, not once per concurrent request
        if not hasattr(state, "pattern_library"):
            try:
                from app.patterns import load_library
            except ImportError:
                state.pattern_library = None
            else:
                state.pattern_library = load_library()
    return state.pattern_library


def _public(p: Any) -> dict:
    return {
        "id": p.id,
        "label": p.label,
        "weight": p.weight,
        "name": dict(p.name),
        "description": dict(p.description),
        "file": getattr(p, "file", None),
        "is_meta": bool(getattr(p, "is_meta", False)),
        "is_sub": bool(getattr(p, "is_sub", False)),
        "examples": list(getattr(p, "examples", ()) or ()),
        "counter_examples": list(getattr(p, "counter_examples", ()) or ()),
    }


@router.get("", response_model=PatternsPublic, responses=problem_responses(401, 422, 429, 500, 503))
def read_patterns(
    request: Request,
    classifier: ClassifierDep,
    _key: ReaderKey,
    include_sub: Annotated[bool, Query(description="Also list sub-patterns (used only by metas).")] = False,
) -> dict:
    """Every scam pattern: id, label, weight, name and description (vi, en), examples."""
    lib = _library(request, classifier)
    if lib is None:
        return {"data": [], "count": 0, "content_hash": None, "note": _NOT_INSTALLED}
    data = [_public(p) for p in lib.patterns if include_sub or not getattr(p, "is_sub", False)]
    return {
        "data": data,
        "count": len(data),
        "content_hash": getattr(lib, "content_hash", None),
        "note": None,
    }
