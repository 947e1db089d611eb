"""Labeled cases and the feedback that proposes them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ._common import check_choice, check_label, check_text, dialect_insert, like_pattern, page
from .errors import Invalid, NotFound
from .models import CASE_STATUSES, FEEDBACK_VERDICTS, Case, Feedback, utcnow
from .values import fingerprint as text_fingerprint
from .values import search_form

__all__ = [
    "AddCasesResult",
    "MAX_TEXT_CHARS",
    "add_cases",
    "list_cases",
    "get_case",
    "update_case",
    "accepted_cases",
    "add_feedback",
]

MAX_TEXT_CHARS = 10_000
_CASE_FIELDS = {"text", "label", "channel", "source", "note"}
_CHUNK = 500  # fingerprints per SELECT ... IN: well under SQLite's limit of bound parameters
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass
class AddCasesResult:
    """What :func:`add_cases` did with each item.

    Attributes
    ----------
    ids : list[int]
        Ids of the cases stored now, in the order of the items.
    duplicates : list[dict]
        ``{"index", "existing_id"}`` for items that are already a case (or repeat an
        earlier item of the same call): nothing was stored for them.
    errors : list[dict]
        ``{"index", "field", "message"}`` for items that were refused.
    """

    ids: list[int] = field(default_factory=list)
    duplicates: list[dict[str, int]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _case_row(
    item: Any, created_by: str, status: str, source: str | None, *, label_required: bool = True
) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise Invalid("item", f"must be an object with text and label, not {type(item).__name__}")
    unknown = sorted(set(item) - _CASE_FIELDS)
    if unknown:
        raise Invalid(str(unknown[0]), f"unknown field; valid: {', '.join(sorted(_CASE_FIELDS))}")
    text = check_text("text", item.get("text"), MAX_TEXT_CHARS)
    now = utcnow()
    return {
        "text": text,
        "search_text": search_form(text),
        "label": check_label("label", item.get("label"), required=label_required),
        "channel": check_text("channel", item.get("channel"), 40, required=False),
        "source": check_text("source", item.get("source", source), 120, required=False),
        "note": check_text("note", item.get("note"), 2000, required=False),
        "created_by": created_by,
        "status": status,
        "fingerprint": text_fingerprint(text),
        "created_at": now,
        "updated_at": now,
    }


def _store_unique(session: Session, rows: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    """Insert rows (fingerprints distinct) unless their fingerprint exists: (inserted, existing).

    ``ON CONFLICT DO NOTHING`` lets the UNIQUE constraint settle races between sessions:
    on PostgreSQL a conflicting insert waits for the other transaction and then skips, and
    the follow-up SELECT (READ COMMITTED) sees the winner's row. Rows go in fingerprint order
    so two transactions inserting overlapping batches take locks in one order (no deadlock).
    """
    table = Case.__table__
    rows = sorted(rows, key=lambda r: r["fingerprint"])
    # One cached statement run for many rows: SQLAlchemy batches it ("insertmanyvalues"),
    # where a literal multi-row VALUES would be compiled anew for every call.
    stmt = (
        dialect_insert(session, table)
        .on_conflict_do_nothing(index_elements=["fingerprint"])
        .returning(table.c.fingerprint, table.c.id)
    )
    inserted: dict[str, int] = {}
    if rows:
        inserted.update((fp, id_) for fp, id_ in session.execute(stmt, rows))
    missing = [r["fingerprint"] for r in rows if r["fingerprint"] not in inserted]
    existing: dict[str, int] = {}
    for i in range(0, len(missing), _CHUNK):
        q = select(table.c.fingerprint, table.c.id).where(table.c.fingerprint.in_(missing[i : i + _CHUNK]))
        existing.update((fp, id_) for fp, id_ in session.execute(q))
    return inserted, existing


def add_cases(
    session: Session,
    items: Iterable[Mapping[str, Any]],
    created_by: str,
    *,
    status: str = "proposed",
    source: str | None = None,
) -> AddCasesResult:
    """Store labeled messages, each once: copies of a stored case are reported, not added.

    Parameters
    ----------
    session : Session
        The caller commits; keep one call per transaction when many writers run at once.
    items : iterable of mapping
        ``{"text", "label", "channel"?, "source"?, "note"?}``; ``label`` must be a taxonomy id.
    created_by : str
        Who adds them.
    status : str
        ``proposed`` (default: a reviewer accepts them) or ``accepted`` for trusted imports.
    source : str, optional
        Default ``source`` for items that do not name one.

    Returns
    -------
    AddCasesResult

    Examples
    --------
    >>> r = add_cases(s, [{"text": "Bạn đã trúng thưởng 50 triệu", "label": "prize_giveaway"}],
    ...               "reviewer@canhgiac")  # doctest: +SKIP
    >>> r.ids, r.duplicates, r.errors  # doctest: +SKIP
    ([1], [], [])
    """
    created_by = check_text("created_by", created_by, 120)
    check_choice("status", status, CASE_STATUSES)
    result = AddCasesResult()
    first: dict[str, int] = {}  # fingerprint -> index of its first item
    rows: dict[int, dict[str, Any]] = {}
    repeats: list[tuple[int, str]] = []
    for index, item in enumerate(items):
        try:
            row = _case_row(item, created_by, status, source)
        except Invalid as e:
            result.errors.append({"index": index, "field": e.field, "message": e.message})
            continue
        fp = row["fingerprint"]
        if fp in first:
            repeats.append((index, fp))
        else:
            first[fp] = index
            rows[index] = row
    inserted, existing = _store_unique(session, list(rows.values()))
    for index, row in rows.items():
        fp = row["fingerprint"]
        if fp in inserted:
            result.ids.append(inserted[fp])
        else:
            result.duplicates.append({"index": index, "existing_id": existing[fp]})
    for index, fp in repeats:
        result.duplicates.append({"index": index, "existing_id": inserted.get(fp) or existing[fp]})
    result.duplicates.sort(key=lambda d: d["index"])
    return result


def list_cases(
    session: Session,
    status: str | None = None,
    label: str | None = None,
    source: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Case], int]:
    """One page of cases, newest first, and how many match in all.

    ``q`` is a substring of the text; case and tone marks are ignored on both sides.
    """
    limit, offset = page(limit, offset)
    where = []
    if status is not None:
        where.append(Case.status == check_choice("status", status, CASE_STATUSES))
    if label is not None:
        where.append(Case.label == check_label("label", label))
    if source is not None:
        where.append(Case.source == source)
    if q:
        where.append(Case.search_text.like(like_pattern(search_form(q)), escape="\\"))
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    rows = session.scalars(select(Case).where(*where).order_by(Case.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def get_case(session: Session, case_id: int) -> Case:
    """The case with this id; raises :class:`NotFound`."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case", case_id)
    return case


def update_case(
    session: Session,
    case_id: int,
    *,
    status: str | None = None,
    label: str | None = None,
    reviewed_by: str,
    note: str | None = None,
) -> Case:
    """Review a case: accept, reject and/or relabel it; records who and when.

    Raises
    ------
    NotFound
        No case has ``case_id``.
    Invalid
        A bad status or label, or accepting a case that has no label.
    """
    reviewed_by = check_text("reviewed_by", reviewed_by, 120)
    if status is not None:
        check_choice("status", status, CASE_STATUSES)
    if label is not None:
        check_label("label", label)
    note = check_text("note", note, 2000, required=False)
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise NotFound("case", case_id)
    if (status or case.status) == "accepted" and (label or case.label) is None:
        raise Invalid("label", f"case {case_id} has no label; give one to accept it")
    if status is not None:
        case.status = status
    if label is not None:
        case.label = label
    if note is not None:
        case.note = note
    case.reviewed_by = reviewed_by
    case.reviewed_at = utcnow()
    session.flush()
    return case


def accepted_cases(session: Session) -> Sequence[Case]:
    """Every accepted case, oldest first: the reviewed data a retrain adds to its corpus."""
    return session.scalars(select(Case).where(Case.status == "accepted").order_by(Case.id)).all()


def add_feedback(
    session: Session,
    *,
    verdict: str,
    predicted_label: str,
    created_by: str,
    text: str | None = None,
    fingerprint: str | None = None,
    model_version: str | None = None,
    correct_label: str | None = None,
    comment: str | None = None,
    channel: str | None = None,
) -> Feedback:
    """Record what a person says about a verdict.

    With ``text`` (the person agreed to share it) the message also becomes a *proposed* case,
    or is linked to the case it already is; its label is ``correct_label``, or the predicted
    one when the verdict was ``correct``. Without ``text`` only its ``fingerprint`` is kept.

    Parameters
    ----------
    verdict : str
        ``correct`` or ``wrong``.
    predicted_label, correct_label : str
        Taxonomy ids; ``correct_label`` only makes sense with ``wrong``.
    fingerprint : str, optional
        Required when ``text`` is not given (see :func:`app.store.values.fingerprint`).

    Returns
    -------
    Feedback
        With ``case_id`` set when a case was created or found.
    """
    created_by = check_text("created_by", created_by, 120)
    check_choice("verdict", verdict, FEEDBACK_VERDICTS)
    check_label("predicted_label", predicted_label)
    check_label("correct_label", correct_label, required=False)
    if verdict == "correct" and correct_label not in (None, predicted_label):
        raise Invalid("correct_label", "differs from predicted_label although the verdict is 'correct'")
    comment = check_text("comment", comment, 2000, required=False)
    model_version = check_text("model_version", model_version, 80, required=False)
    case_id = None
    if text is not None:
        label = correct_label or (predicted_label if verdict == "correct" else None)
        item = {"text": text, "label": label, "channel": channel, "source": "feedback"}
        row = _case_row(item, created_by, "proposed", None, label_required=False)
        if fingerprint is not None and fingerprint != row["fingerprint"]:
            raise Invalid("fingerprint", "does not match the text")
        fingerprint = row["fingerprint"]
        inserted, existing = _store_unique(session, [row])
        case_id = inserted.get(fingerprint) or existing[fingerprint]
    elif fingerprint is None or not _HEX64.fullmatch(fingerprint):
        raise Invalid("fingerprint", "give the text, or its fingerprint (64 lower-case hex digits)")
    fb = Feedback(
        fingerprint=fingerprint,
        predicted_label=predicted_label,
        verdict=verdict,
        model_version=model_version,
        correct_label=correct_label,
        comment=comment,
        created_by=created_by,
        case_id=case_id,
    )
    session.add(fb)
    session.flush()
    return fb
