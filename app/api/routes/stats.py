"""``/v1/stats``: how many messages got which verdict, by day, label, verdict and channel."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from ..db import DatabaseDep, get_counter
from ..deps import AnalystKey
from ..errors import ApiProblem, problem_responses
from ..schemas import StatsPublic

router = APIRouter(prefix="/v1/stats", tags=["statistics"])

MAX_DAYS = 3 * 366
DEFAULT_DAYS = 30


@router.get("", response_model=StatsPublic, responses=problem_responses(401, 403, 422, 429, 500, 503))
def read_stats(
    request: Request,
    db: DatabaseDep,
    _key: AnalystKey,
    day_from: Annotated[date | None, Query(alias="from", description="First day (UTC), YYYY-MM-DD.")] = None,
    day_to: Annotated[date | None, Query(alias="to", description="Last day (UTC), inclusive.")] = None,
) -> dict:
    """Verdict counts from ``from`` to ``to`` inclusive (default: the last 30 days); counts only."""
    from app.store import repo

    day_to = day_to or datetime.now(UTC).date()
    day_from = day_from or day_to - timedelta(days=DEFAULT_DAYS - 1)
    if day_to < day_from:
        raise ApiProblem(422, "validation-error", f"to: {day_to} is before from {day_from}", field="to")
    if (day_to - day_from).days >= MAX_DAYS:
        raise ApiProblem(
            422,
            "validation-error",
            f"the period has {(day_to - day_from).days + 1} days; ask for at most {MAX_DAYS} at a time",
            field="from",
            limit=MAX_DAYS,
        )
    get_counter(request.app).flush()  # this worker's pending counts first
    with db.Session() as s:
        rows = repo.stats_between(s, day_from, day_to)
    by_label: Counter[str] = Counter()
    by_verdict: Counter[str] = Counter()
    for r in rows:
        by_label[r.label] += r.count
        by_verdict[r.verdict] += r.count
    return {
        "from": day_from,
        "to": day_to,
        "total": sum(r.count for r in rows),
        "by_day": [
            {"day": r.day, "label": r.label, "verdict": r.verdict, "channel": r.channel, "count": r.count}
            for r in rows
        ],
        "by_label": dict(by_label),
        "by_verdict": dict(by_verdict),
    }
