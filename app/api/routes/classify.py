"""``/v1/classify``: the verdict on one message, or on a batch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from ..db import count_verdicts
from ..deps import ClassifierDep, ReaderKey, SettingsDep
from ..errors import ApiProblem, problem_responses
from ..metrics import observe_verdicts
from ..schemas import BatchIn, BatchPublic, MessageIn, VerdictPublic

router = APIRouter(prefix="/v1/classify", tags=["classify"])

_ERRORS = problem_responses(400, 401, 413, 415, 422, 429, 500, 503)

MESSAGE_EXAMPLES = {
    "authority": {
        "summary": "Giả danh công an",
        "value": {
            "text": "Công an quận Hoàng Mai thông báo: anh có liên quan đến đường dây rửa tiền, hồ sơ số "
            "127/CSHS. Yêu cầu anh chuyển toàn bộ số dư vào tài khoản tạm giữ để xác minh.",
            "channel": "call",
        },
    },
    "bank": {
        "summary": "Giả mạo ngân hàng",
        "value": {
            "text": "Vietcombank: Tai khoan cua quy khach se bi khoa do chua cap nhat sinh trac hoc. "
            "Truy cap vcb-xacthuc.top de cap nhat truoc 17h hom nay.",
            "channel": "sms",
            "sender": "VCB-CSKH",
        },
    },
    "job": {
        "summary": "Việc nhẹ lương cao",
        "value": {
            "text": "Tuyển CTV làm việc online tại nhà, 300-500k/ngày, chỉ cần điện thoại. "
            "Ib zalo 0912345678 để nhận nhiệm vụ.",
            "channel": "zalo",
        },
    },
    "legit": {
        "summary": "Tin nhắn bình thường",
        "value": {"text": "Mẹ ơi tối nay con về muộn, mẹ cứ ăn cơm trước nhé.", "channel": "zalo"},
    },
}

BATCH_EXAMPLES = {
    "two": {
        "summary": "Hai tin nhắn",
        "value": {
            "messages": [
                {"id": "m1", "text": "Chúc mừng quý khách trúng thưởng xe SH, nộp phí 2 triệu để nhận giải."},
                {"id": "m2", "text": "Chiều nay 3h họp phòng nhé mọi người.", "channel": "zalo"},
            ]
        },
    }
}


def _check_length(text: str, limit: int, field: str) -> None:
    if len(text) > limit:
        raise ApiProblem(
            422,
            "text-too-long",
            f"{field} has {len(text)} characters; the limit is {limit}. Send the part that matters, "
            "or split it into several messages.",
            field=field,
            limit=limit,
        )


@router.post("", response_model=VerdictPublic, responses=_ERRORS)
def create_verdict(
    message: Annotated[MessageIn, Body(openapi_examples=MESSAGE_EXAMPLES)],
    request: Request,
    classifier: ClassifierDep,
    settings: SettingsDep,
    _key: ReaderKey,
    explain: Annotated[bool, Query(description="Include the explanation and advice.")] = True,
) -> dict:
    """Check one message: verdict, scam type, risk score and, by default, why and what to do."""
    _check_length(message.text, settings.max_text_chars, "text")
    verdict = classifier.classify(message.text, explain=explain)
    count_verdicts(request.app, [verdict], [message.channel], classifier.thresholds)
    observe_verdicts([verdict])
    request.state.log.update(
        text_chars=len(message.text),
        channel=message.channel,
        verdict=verdict["verdict"],
        label=verdict["label"],
        risk_score=verdict["risk_score"],
        model_version=classifier.version,
    )
    return {**verdict, "request_id": request.state.request_id}


@router.post("/batch", response_model=BatchPublic, responses=_ERRORS)
def create_verdicts(
    batch: Annotated[BatchIn, Body(openapi_examples=BATCH_EXAMPLES)],
    request: Request,
    classifier: ClassifierDep,
    settings: SettingsDep,
    _key: ReaderKey,
    explain: Annotated[bool, Query(description="Include explanations (slower).")] = False,
) -> dict:
    """Check up to CANHGIAC_MAX_BATCH messages; results come back in the same order, with ids."""
    messages = batch.messages
    if len(messages) > settings.max_batch:
        raise ApiProblem(
            422,
            "too-many-messages",
            f"{len(messages)} messages in one request; the limit is {settings.max_batch}. Split the batch.",
            field="messages",
            limit=settings.max_batch,
        )
    for i, m in enumerate(messages):
        _check_length(m.text, settings.max_text_chars, f"messages[{i}].text")
    verdicts = list(classifier.classify_many((m.text for m in messages), explain=explain))
    count_verdicts(request.app, verdicts, [m.channel for m in messages], classifier.thresholds)
    observe_verdicts(verdicts)
    request.state.log.update(
        text_chars=sum(len(m.text) for m in messages),
        messages=len(messages),
        model_version=classifier.version,
    )
    data = [{**v, "id": m.id} for m, v in zip(messages, verdicts, strict=True)]
    return {
        "data": data,
        "count": len(data),
        "model_version": classifier.version,
        "request_id": request.state.request_id,
    }
