"""Scoring statistics: counts per day, label, verdict and channel; never text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ._common import check_label, check_text, dialect_insert
from .errors import Invalid
from .models import PatternStat, VerdictStat, utcnow

__all__ = ["increment_stats", "stats_between", "increment_pattern_stats", "pattern_stats_between"]


def increment_stats(session: Session, rows: Iterable[tuple[date, str, str, str | None]]) -> int:
    """Count one message per ``(day, label, verdict, channel)`` row.

    Rows are summed first, then each key is added with one atomic upsert
    (``ON CONFLICT ... DO UPDATE SET count = count + excluded.count``), in key order so
    concurrent writers on PostgreSQL lock rows in the same order. ``channel`` None counts as
    ``unknown``.

    Returns
    -------
    int
        How many rows were counted.
    """
    counts: Counter[tuple[date, str, str, str]] = Counter()
    for day, label, verdict, channel in rows:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise Invalid("day", f"must be a date (the UTC day), not {type(day).__name__}")
        key = (
            day,
            check_label("label", label),
            check_text("verdict", verdict, 16),
            check_text("channel", channel, 40, required=False) or "unknown",
        )
        counts[key] += 1
    now = utcnow()
    values = [
        {"day": d, "label": lab, "verdict": v, "channel": c, "count": n, "created_at": now, "updated_at": now}
        for (d, lab, v, c), n in sorted(counts.items())
    ]
    t = VerdictStat.__table__
    stmt = dialect_insert(session, t)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "label", "verdict", "channel"],
        set_={"count": t.c.count + stmt.excluded.count, "updated_at": stmt.excluded.updated_at},
    )
    if values:
        session.execute(stmt, values)
    return sum(counts.values())


def stats_between(session: Session, day_from: date, day_to: date) -> list[VerdictStat]:
    """Counts from ``day_from`` to ``day_to`` inclusive, by day, label, verdict, channel."""
    if day_to < day_from:
        raise Invalid("day_to", f"{day_to} is before day_from {day_from}")
    q = (
        select(VerdictStat)
        .where(VerdictStat.day >= day_from, VerdictStat.day <= day_to)
        .order_by(VerdictStat.day, VerdictStat.label, VerdictStat.verdict, VerdictStat.channel)
    )
    return list(session.scalars(q))


def increment_pattern_stats(session: Session, counts: dict[tuple[date, str], int]) -> int:
    """Add ``n`` to the count of each ``(day, pattern id)``: how many verdicts it fired in."""
    now = utcnow()
    values = []
    for (day, pattern), n in sorted(counts.items()):
        if isinstance(day, datetime) or not isinstance(day, date):
            raise Invalid("day", f"must be a date (the UTC day), not {type(day).__name__}")
        if not isinstance(n, int) or n < 0:
            raise Invalid("count", f"must be a whole number >= 0, not {n!r}")
        values.append(
            {
                "day": day,
                "pattern": check_text("pattern", pattern, 80),
                "count": n,
                "created_at": now,
                "updated_at": now,
            }
        )
    if values:
        t = PatternStat.__table__
        stmt = dialect_insert(session, t)
        stmt = stmt.on_conflict_do_update(
            index_elements=["day", "pattern"],
            set_={"count": t.c.count + stmt.excluded.count, "updated_at": stmt.excluded.updated_at},
        )
        session.execute(stmt, values)
    return sum(v["count"] for v in values)


def pattern_stats_between(session: Session, day_from: date, day_to: date) -> list[PatternStat]:
    """Pattern counts from ``day_from`` to ``day_to`` inclusive, by day and pattern."""
    if day_to < day_from:
        raise Invalid("day_to", f"{day_to} is before day_from {day_from}")
    q = (
        select(PatternStat)
        .where(PatternStat.day >= day_from, PatternStat.day <= day_to)
        .order_by(PatternStat.day, PatternStat.pattern)
    )
    return list(session.scalars(q))
