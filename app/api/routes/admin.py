"""``/v1/admin``: protected routes (analyst and admin keys); more arrive with the store."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import AdminKey, AnalystKey
from ..errors import problem_responses
from ..schemas import WhoAmIPublic

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=problem_responses(401, 403, 429, 500))


@router.get("/whoami", response_model=WhoAmIPublic)
def read_whoami(key: AdminKey) -> dict:
    """The role of the calling key (admin only)."""
    return {"role": key.role}


@router.get("/ping", response_model=WhoAmIPublic)
def read_ping(key: AnalystKey) -> dict:
    """Answers any analyst or admin key: a cheap way to check a key works."""
    return {"role": key.role}
