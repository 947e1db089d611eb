"""``/v1/entities``: look values up in the suspicious-entity list; analysts report, confirm, clear."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from app.entities import GuessError, check, storable
from app.store import Invalid, NotFound

from ..db import DatabaseDep, LiveIndexDep
from ..deps import AnalystKey, ReaderKey, SettingsDep
from ..errors import ApiProblem, problem_responses
from ..schemas import (
    EntitiesPublic,
    EntityCheckIn,
    EntityChecksPublic,
    EntityIn,
    EntityPatchIn,
    EntityPublic,
    Problem,
)

router = APIRouter(prefix="/v1/entities", tags=["entities"])

_READ_ERRORS = problem_responses(400, 401, 413, 415, 422, 429, 500, 503)
_WRITE_ERRORS = problem_responses(400, 401, 403, 413, 415, 422, 429, 500, 503)
_BY_ID_ERRORS = {**_WRITE_ERRORS, 404: {"model": Problem, "description": "No entity has this id"}}

CHECK_EXAMPLES = {
    "mixed": {
        "summary": "Số tài khoản, số điện thoại, đường link",
        "value": {
            "values": [
                "Vietcombank 0071 000 986 547",
                "0912 345 678",
                "https://dang-nhap.vcb-xacthuc.icu/otp",
            ]
        },
    }
}
ENTITY_EXAMPLES = {
    "account": {
        "summary": "Báo cáo số tài khoản nhận tiền lừa đảo",
        "value": {
            "value": "Vietcombank 0071 000 986 547",
            "reason": "Nhận tiền của nạn nhân vụ giả danh công an",
        },
    },
    "domain": {
        "summary": "Xác nhận tên miền giả mạo ngân hàng",
        "value": {
            "kind": "domain",
            "value": "vcb-xacthuc.icu",
            "status": "confirmed",
            "source": "chongluadao",
        },
    },
}


@contextmanager
def _store_errors():
    """The store's and the guesser's errors as problems that name the field."""
    try:
        yield
    except NotFound as exc:
        raise ApiProblem(404, "not-found", str(exc)) from None
    except Invalid as exc:
        raise ApiProblem(422, "validation-error", str(exc), field=exc.field) from None
    except GuessError as exc:
        raise ApiProblem(422, "validation-error", str(exc), field="value") from None


def entity_public(e) -> dict:
    return {
        "id": e.id,
        "kind": e.kind,
        "value": e.value,
        "display": e.display,
        "status": e.status,
        "source": e.source,
        "reporter": e.reporter,
        "reason": e.reason,
        "evidence": {"messages": e.message_count, "cases": e.case_count},
        "first_seen": e.first_seen,
        "last_seen": e.last_seen,
        "confirmed_at": e.confirmed_at,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def _unreadable(value: str, error: str) -> dict:
    return {
        "value": value,
        "kind": None,
        "normalized": None,
        "known": False,
        "status": None,
        "evidence": {"messages": 0, "cases": 0},
        "source": None,
        "first_seen": None,
        "last_seen": None,
        "error": error,
    }


@router.get("/check", response_model=EntityChecksPublic, responses=_READ_ERRORS)
def read_entity_check(
    live: LiveIndexDep,
    _key: ReaderKey,
    value: Annotated[
        str,
        Query(
            min_length=1, max_length=300, description="A phone, account (with bank), link, domain or handle."
        ),
    ],
    kind: Annotated[str | None, Query(description="Read the value as this kind instead of guessing.")] = None,
    bank: Annotated[
        str | None, Query(max_length=80, description="The bank, when the value omits it.")
    ] = None,
) -> dict:
    """Is this account, number, link or handle on the list of scam entities? With its evidence."""
    with _store_errors():
        return {"results": [check(live.get(), value, kind, bank)]}


@router.post("/check", response_model=EntityChecksPublic, responses=_READ_ERRORS)
def create_entity_checks(
    body: Annotated[EntityCheckIn, Body(openapi_examples=CHECK_EXAMPLES)],
    live: LiveIndexDep,
    settings: SettingsDep,
    _key: ReaderKey,
) -> dict:
    """Look many values up at once; a value that is no entity gets ``error`` instead of failing all."""
    if len(body.values) > settings.max_batch:
        raise ApiProblem(
            422,
            "too-many-messages",
            f"{len(body.values)} values in one request; the limit is {settings.max_batch}. Split them.",
            field="values",
            limit=settings.max_batch,
        )
    index = live.get()
    results = []
    for value in body.values:
        try:
            results.append(check(index, value))
        except (GuessError, Invalid) as exc:
            results.append(_unreadable(value, str(exc)))
    return {"results": results}


def _reporter(key) -> str:
    return f"{key.role}:{key.key_id}" if key.key_id else str(key.role)


@router.post("", response_model=EntityPublic, status_code=201, responses=_WRITE_ERRORS)
def create_entity(
    body: Annotated[EntityIn, Body(openapi_examples=ENTITY_EXAMPLES)],
    response: Response,
    db: DatabaseDep,
    live: LiveIndexDep,
    key: AnalystKey,
) -> dict:
    """Report an entity (or count one more report of it); ``status: confirmed`` confirms it too.

    201 when the entity is new, 200 when it was already listed.
    """
    from app.store import repo

    with _store_errors():
        kind, value, bank = storable(body.value, body.kind, body.bank)
        with db.Session.begin() as s:
            e = repo.upsert_entity(
                s,
                kind,
                value,
                bank=bank,
                source=body.source or "analyst",
                reporter=_reporter(key),
                reason=body.reason,
                display=body.value,
            )
            if e.created_at != e.updated_at:
                response.status_code = 200
            if body.status is not None and body.status != e.status:
                e = repo.set_entity_status(s, e.id, body.status, reason=body.reason)
            out = entity_public(e)
    live.refresh()  # this process answers with the change at once; others within seconds
    return out


@router.patch("/{entity_id}", response_model=EntityPublic, responses=_BY_ID_ERRORS)
def update_entity(
    entity_id: Annotated[int, Path(ge=1)],
    body: EntityPatchIn,
    db: DatabaseDep,
    live: LiveIndexDep,
    _key: AnalystKey,
) -> dict:
    """Confirm an entity, put it back to reported, or clear a false report (say why)."""
    from app.store import repo

    reason = (body.reason or "").strip() or None
    if body.status == "cleared" and reason is None:
        raise ApiProblem(
            422,
            "validation-error",
            "reason: clearing an entity needs a reason (who checked it and how), kept with the entity",
            field="reason",
        )
    with _store_errors(), db.Session.begin() as s:
        out = entity_public(repo.set_entity_status(s, entity_id, body.status, reason=reason))
    live.refresh()
    return out


@router.get("", response_model=EntitiesPublic, responses=_WRITE_ERRORS)
def read_entities(
    db: DatabaseDep,
    _key: AnalystKey,
    kind: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=300, description="Part of the value.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    """Listed entities, most recently seen first (for the analyst page)."""
    from app.store import repo

    with _store_errors(), db.Session() as s:
        rows, total = repo.list_entities(s, kind=kind, status=status, q=q, limit=limit, offset=offset)
        return {"data": [entity_public(e) for e in rows], "count": total}


@router.get("/{entity_id}", response_model=EntityPublic, responses=_BY_ID_ERRORS)
def read_entity(entity_id: Annotated[int, Path(ge=1)], db: DatabaseDep, _key: AnalystKey) -> dict:
    """One listed entity with its evidence."""
    from app.store import repo

    with _store_errors(), db.Session() as s:
        return entity_public(repo.get_entity_by_id(s, entity_id))
