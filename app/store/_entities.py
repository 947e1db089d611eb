"""The suspicious-entity list: reported accounts, wallets, phones, domains, links and handles."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from ._common import check_choice, check_text, dialect_insert, like_pattern, page
from .errors import Invalid, NotFound
from .models import ENTITY_KINDS, ENTITY_STATUSES, SuspiciousEntity, utcnow
from .values import normalize_entity

__all__ = [
    "upsert_entity",
    "get_entity",
    "get_entity_by_id",
    "list_entities",
    "set_entity_status",
    "all_entities_for_index",
    "upsert_entities",
    "entity_changes",
    "INDEX_COLUMNS",
]


def upsert_entity(
    session: Session,
    kind: str,
    value: str,
    *,
    source: str | None = None,
    reporter: str | None = None,
    reason: str | None = None,
    display: str | None = None,
    bank: str | None = None,
    seen_at: datetime | None = None,
    messages: int = 1,
    cases: int = 0,
) -> SuspiciousEntity:
    """Report an entity, or count one more sighting of it.

    The value is normalized (see :func:`app.store.values.normalize_entity`), so
    ``0912 345 678`` and ``+84912345678`` are one entity. A new entity is ``reported``; a known
    one keeps its status (a cleared one stays cleared), gains ``messages``/``cases`` in its
    counts and widens ``first_seen``..``last_seen``. One atomic upsert: concurrent reports of
    the same entity all count.

    Examples
    --------
    >>> upsert_entity(s, "bank_account", "0071000986547", bank="Vietcombank",
    ...               source="feedback", reason="nhận tiền lừa đảo").value  # doctest: +SKIP
    'VCB:0071000986547'
    """
    norm = normalize_entity(kind, value, bank=bank)
    for name, n in (("messages", messages), ("cases", cases)):
        if not isinstance(n, int) or n < 0:
            raise Invalid(name, f"must be a whole number >= 0, not {n!r}")
    now = utcnow()
    seen = seen_at or now
    if seen.tzinfo is None:
        raise Invalid("seen_at", "must be timezone-aware")
    t = SuspiciousEntity.__table__
    stmt = dialect_insert(session, t).values(
        kind=kind,
        value=norm,
        display=check_text("display", display, 300, required=False) or value.strip(),
        status="reported",
        source=check_text("source", source, 120, required=False),
        reporter=check_text("reporter", reporter, 120, required=False),
        reason=check_text("reason", reason, 2000, required=False),
        first_seen=seen,
        last_seen=seen,
        message_count=messages,
        case_count=cases,
        created_at=now,
        updated_at=now,
    )
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["kind", "value"],
        set_={
            "message_count": t.c.message_count + new.message_count,
            "case_count": t.c.case_count + new.case_count,
            "first_seen": case((new.first_seen < t.c.first_seen, new.first_seen), else_=t.c.first_seen),
            "last_seen": case((new.last_seen > t.c.last_seen, new.last_seen), else_=t.c.last_seen),
            "reason": func.coalesce(t.c.reason, new.reason),
            "source": func.coalesce(t.c.source, new.source),
            "reporter": func.coalesce(t.c.reporter, new.reporter),
            "updated_at": new.updated_at,
        },
    ).returning(t.c.id)
    entity_id = session.execute(stmt).scalar_one()
    return session.get(SuspiciousEntity, entity_id, populate_existing=True)


def get_entity(session: Session, kind: str, value: str, *, bank: str | None = None) -> SuspiciousEntity:
    """Look an entity up by kind and value as a person writes it; raises :class:`NotFound`."""
    norm = normalize_entity(kind, value, bank=bank)
    entity = session.scalar(
        select(SuspiciousEntity).where(SuspiciousEntity.kind == kind, SuspiciousEntity.value == norm)
    )
    if entity is None:
        raise NotFound(f"{kind}", norm)
    return entity


def get_entity_by_id(session: Session, entity_id: int) -> SuspiciousEntity:
    entity = session.get(SuspiciousEntity, entity_id)
    if entity is None:
        raise NotFound("entity", entity_id)
    return entity


def list_entities(
    session: Session,
    *,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[SuspiciousEntity], int]:
    """One page of entities, most recently seen first, and how many match in all."""
    limit, offset = page(limit, offset)
    where = []
    if kind is not None:
        where.append(SuspiciousEntity.kind == check_choice("kind", kind, ENTITY_KINDS))
    if status is not None:
        where.append(SuspiciousEntity.status == check_choice("status", status, ENTITY_STATUSES))
    if q:
        pattern = like_pattern(q)
        where.append(
            or_(
                SuspiciousEntity.value.ilike(pattern, escape="\\"),
                SuspiciousEntity.display.ilike(pattern, escape="\\"),
            )
        )
    total = session.scalar(select(func.count()).select_from(SuspiciousEntity).where(*where)) or 0
    rows = session.scalars(
        select(SuspiciousEntity)
        .where(*where)
        .order_by(SuspiciousEntity.last_seen.desc(), SuspiciousEntity.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def set_entity_status(
    session: Session, entity_id: int, status: str, *, reason: str | None = None
) -> SuspiciousEntity:
    """Confirm or clear a reported entity (or put it back to ``reported``)."""
    check_choice("status", status, ENTITY_STATUSES)
    entity = session.get(SuspiciousEntity, entity_id, with_for_update=True)
    if entity is None:
        raise NotFound("entity", entity_id)
    if status == "confirmed" and entity.status != "confirmed":
        entity.confirmed_at = utcnow()
    entity.status = status
    if reason is not None:
        entity.reason = check_text("reason", reason, 2000, required=False)
    session.flush()
    return entity


def all_entities_for_index(
    session: Session, *, include_cleared: bool = False
) -> Iterator[tuple[str, str, str]]:
    """Stream ``(kind, value, status)`` of every listed entity, for building a lookup index.

    Rows arrive in batches, so memory stays flat for millions of entities; consume the
    iterator before the session's transaction ends.
    """
    q = select(SuspiciousEntity.kind, SuspiciousEntity.value, SuspiciousEntity.status).order_by(
        SuspiciousEntity.id
    )
    if not include_cleared:
        q = q.where(SuspiciousEntity.status != "cleared")
    for row in session.execute(q.execution_options(yield_per=1000)):
        yield row.kind, row.value, row.status


def upsert_entities(
    session: Session,
    items: Iterable[tuple[str, str]],
    *,
    source: str | None = None,
    reporter: str | None = None,
    reason: str | None = None,
    seen_at: datetime | None = None,
    status: str = "reported",
) -> int:
    """Report many ``(kind, value)`` entities with one statement (a bulk import's batch).

    Values are normalized as by :func:`upsert_entity`; duplicates within the batch count once.
    A known entity gains one sighting and widens its dates. With ``status="confirmed"`` new and
    reported entities become confirmed, but a cleared one stays cleared: a person decided that.

    Returns
    -------
    int
        How many distinct entities the batch held.
    """
    check_choice("status", status, ("reported", "confirmed"))
    now = utcnow()
    seen = seen_at or now
    if seen.tzinfo is None:
        raise Invalid("seen_at", "must be timezone-aware")
    source = check_text("source", source, 120, required=False)
    reporter = check_text("reporter", reporter, 120, required=False)
    reason = check_text("reason", reason, 2000, required=False)
    rows: dict[tuple[str, str], dict] = {}
    for kind, value in items:
        norm = normalize_entity(kind, value)
        rows.setdefault(
            (kind, norm),
            {
                "kind": kind,
                "value": norm,
                "display": value.strip()[:300],
                "status": status,
                "source": source,
                "reporter": reporter,
                "reason": reason,
                "first_seen": seen,
                "last_seen": seen,
                "message_count": 0,
                "case_count": 0,
                "confirmed_at": seen if status == "confirmed" else None,
                "created_at": now,
                "updated_at": now,
            },
        )
    if not rows:
        return 0
    t = SuspiciousEntity.__table__
    stmt = dialect_insert(session, t)
    new = stmt.excluded
    set_ = {
        "first_seen": case((new.first_seen < t.c.first_seen, new.first_seen), else_=t.c.first_seen),
        "last_seen": case((new.last_seen > t.c.last_seen, new.last_seen), else_=t.c.last_seen),
        "source": func.coalesce(t.c.source, new.source),
        "reason": func.coalesce(t.c.reason, new.reason),
        "updated_at": new.updated_at,
    }
    if status == "confirmed":
        set_["status"] = case((t.c.status == "cleared", t.c.status), else_=new.status)
        set_["confirmed_at"] = case((t.c.status == "reported", new.confirmed_at), else_=t.c.confirmed_at)
    # Sorted: concurrent imports on PostgreSQL lock rows in the same order.
    session.execute(
        stmt.on_conflict_do_update(index_elements=["kind", "value"], set_=set_),
        sorted(rows.values(), key=lambda r: (r["kind"], r["value"])),
    )
    return len(rows)


_T = SuspiciousEntity.__table__
# Table columns, not ORM attributes: plain rows, without the ORM's per-row work (index builds
# read millions of them).
INDEX_COLUMNS = (
    _T.c.id,
    _T.c.kind,
    _T.c.value,
    _T.c.status,
    _T.c.source,
    _T.c.first_seen,
    _T.c.last_seen,
    _T.c.message_count,
    _T.c.case_count,
    _T.c.updated_at,
)


def entity_changes(session: Session, since: datetime | None = None) -> Iterator:
    """Stream every entity (cleared ones too) changed at or after ``since`` (all when None).

    Rows carry :data:`INDEX_COLUMNS`, in ``updated_at`` order, in batches: building a lookup
    index of millions of entities keeps memory flat. With ``since`` the query is a range scan
    of the ``updated_at`` index, cheap enough to poll every few seconds.
    """
    q = select(*INDEX_COLUMNS).order_by(_T.c.updated_at, _T.c.id)
    if since is not None:
        q = q.where(_T.c.updated_at >= since)
    result = session.connection().execution_options(yield_per=5000).execute(q)
    yield from result
