"""``/v1/labels``: the taxonomy, with names, descriptions and advice."""

from __future__ import annotations

from fastapi import APIRouter

from app.taxonomy import labels, report_channels

from ..deps import ReaderKey
from ..errors import problem_responses
from ..schemas import LabelsPublic

router = APIRouter(prefix="/v1/labels", tags=["reference"])


@router.get("", response_model=LabelsPublic, responses=problem_responses(401, 429, 500))
def read_labels(_key: ReaderKey) -> dict:
    """Every label (scam types first, then spam and legit) and where to report a scam."""
    data = [
        {
            "id": label.id,
            "is_scam": label.is_scam,
            "name": label.name,
            "description": label.description,
            "advice": label.advice,
        }
        for label in labels()
    ]
    return {"data": data, "count": len(data), "report": report_channels()}
