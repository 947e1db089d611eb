"""``/v1/cases``: labeled messages that a review turns into training data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.store import repo

from ..deps import AnalystKey, SessionDep, SettingsDep, who
from ..errors import ApiProblem, problem_responses
from ..schemas import CaseIn, CasePublic, CasesCreated, CasesIn, CasesPublic, CaseStatus, CaseUpdate

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=problem_responses(401, 403, 429, 500, 503))

_CASE_SCHEMA = CaseIn.model_json_schema()  # self-contained: no nested models
_BODY_SCHEMA = {
    "oneOf": [
        _CASE_SCHEMA,
        {
            "title": "CasesIn",
            "type": "object",
            "properties": {"cases": {"type": "array", "items": _CASE_SCHEMA, "minItems": 1}},
            "required": ["cases"],
            "additionalProperties": False,
        },
    ]
}
_EXAMPLES = {
    "one": {
        "summary": "Một tin nhắn",
        "value": {
            "text": "Dạ chào cô, con là nhân viên điện lực phường. Tháng này nhà cô đóng dư 300 ngàn do tính "
            "sai giá bậc thang, cô gửi con số tài khoản để con chuyển trả lại ạ.",
            "label": "impersonation_authority",
            "channel": "zalo",
            "source": "báo cáo của người dân",
        },
    },
    "many": {
        "summary": "Nhiều tin nhắn",
        "value": {
            "cases": [
                {
                    "text": "Chúc mừng quý khách trúng thưởng xe SH, nộp phí 2 triệu để nhận giải.",
                    "label": "prize_giveaway",
                },
                {"text": "Chiều nay 3h họp phòng nhé mọi người.", "label": "legit", "channel": "zalo"},
            ]
        },
    },
}
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _BODY_SCHEMA, "examples": _EXAMPLES}},
    }
}


def _parse(payload: Any) -> tuple[list[CaseIn], bool]:
    """``(items, single)``: one case object, or ``{"cases": [...]}``; errors name the field."""
    single = not (isinstance(payload, dict) and "cases" in payload)
    try:
        if single:
            return [CaseIn.model_validate(payload)], True
        return CasesIn.model_validate(payload).cases, False
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def case_public(case: Any) -> dict:
    return {k: getattr(case, k) for k in CasePublic.model_fields}


@router.post(
    "",
    status_code=201,
    response_model=CasesCreated,
    responses=problem_responses(400, 413, 415, 422),
    openapi_extra=_BODY_DOC,
)
def create_cases(
    payload: Annotated[Any, Body(include_in_schema=False)],
    session: SessionDep,
    settings: SettingsDep,
    key: AnalystKey,
) -> dict:
    """Add one case (``{"text", "label", ...}``) or many (``{"cases": [...]}``) as *proposed*.

    Copies of a stored case are reported in ``duplicates`` and not stored again. With many
    cases, a refused item is reported in ``errors`` and the others are stored; a single case
    that is refused is a 422 naming the field.
    """
    items, single = _parse(payload)
    if len(items) > settings.max_batch:
        raise ApiProblem(
            422,
            "too-many-messages",
            f"{len(items)} cases in one request; the limit is {settings.max_batch}. Split them.",
            field="cases",
            limit=settings.max_batch,
        )
    rows: list[dict[str, Any]] = []
    at: list[int] = []  # index in the request of each row given to the store
    errors: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if len(item.text) > settings.max_text_chars:
            message = f"is {len(item.text)} characters long; the limit is {settings.max_text_chars}"
            if single:
                raise ApiProblem(
                    422, "text-too-long", f"text {message}", field="text", limit=settings.max_text_chars
                )
            errors.append({"index": i, "field": "text", "message": message})
            continue
        rows.append(item.model_dump(exclude_none=True))
        at.append(i)
    result = repo.add_cases(session, rows, who(key))
    errors += [{**e, "index": at[e["index"]]} for e in result.errors]
    if single and errors:
        err = errors[0]
        raise ApiProblem(422, "validation-error", f"{err['field']}: {err['message']}", field=err["field"])
    session.commit()
    return {
        "ids": result.ids,
        "duplicates": [{**d, "index": at[d["index"]]} for d in result.duplicates],
        "errors": sorted(errors, key=lambda e: e["index"]),
    }


@router.get("", response_model=CasesPublic, responses=problem_responses(422))
def read_cases(
    session: SessionDep,
    _key: AnalystKey,
    status: Annotated[CaseStatus | None, Query(description="proposed, accepted or rejected.")] = None,
    label: Annotated[str | None, Query(max_length=40, description="A label id.")] = None,
    source: Annotated[str | None, Query(max_length=120)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in the text (case and tone marks ignored).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    """One page of cases, newest first, filtered by status, label, source and words of the text."""
    rows, total = repo.list_cases(
        session, status=status, label=label, source=source, q=q, limit=limit, offset=offset
    )
    return {"data": [case_public(c) for c in rows], "count": total}


@router.patch("/{case_id}", response_model=CasePublic, responses=problem_responses(400, 404, 415, 422))
def update_case(case_id: int, review: CaseUpdate, session: SessionDep, key: AnalystKey) -> dict:
    """Review a case: accept it (it joins the next retrain), reject it, relabel it, add a note."""
    case = repo.update_case(
        session, case_id, status=review.status, label=review.label, note=review.note, reviewed_by=who(key)
    )
    out = case_public(case)
    session.commit()
    return out
