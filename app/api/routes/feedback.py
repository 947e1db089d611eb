"""``/v1/feedback``: a person says a verdict was right or wrong."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from app.store import repo

from ..deps import ReaderKey, SessionDep, SettingsDep, who
from ..errors import ApiProblem, problem_responses
from ..schemas import FeedbackCreated, FeedbackIn

router = APIRouter(prefix="/v1/feedback", tags=["cases"])

_EXAMPLES = {
    "wrong": {
        "summary": "Kết quả sai",
        "value": {
            "text": "Dạ chào cô, con là nhân viên điện lực phường, nhà cô đóng dư tiền điện, cô gửi con số tài khoản.",
            "predicted_label": "legit",
            "verdict": "wrong",
            "correct_label": "impersonation_authority",
            "model_version": "v20261201-161011",
            "comment": "Tin nhắn lừa đảo giả danh điện lực",
        },
    }
}


@router.post(
    "",
    status_code=201,
    response_model=FeedbackCreated,
    responses=problem_responses(400, 401, 413, 415, 422, 429, 500, 503),
)
def create_feedback(
    feedback: Annotated[FeedbackIn, Body(openapi_examples=_EXAMPLES)],
    session: SessionDep,
    settings: SettingsDep,
    key: ReaderKey,
) -> dict:
    """Record feedback on a verdict; with the text, the message becomes a *proposed* case for review."""
    if feedback.text is not None and len(feedback.text) > settings.max_text_chars:
        raise ApiProblem(
            422,
            "text-too-long",
            f"text has {len(feedback.text)} characters; the limit is {settings.max_text_chars}",
            field="text",
            limit=settings.max_text_chars,
        )
    fb = repo.add_feedback(
        session,
        verdict=feedback.verdict,
        predicted_label=feedback.predicted_label,
        created_by=who(key),
        text=feedback.text,
        fingerprint=feedback.fingerprint,
        model_version=feedback.model_version,
        correct_label=feedback.correct_label,
        comment=feedback.comment,
    )
    out = {"id": fb.id, "case_id": fb.case_id}
    session.commit()
    return out
