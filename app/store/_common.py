"""Helpers shared by the repository modules: per-dialect INSERT, validation, LIKE patterns."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from app.taxonomy import label_ids

from .errors import Invalid, StoreError

__all__ = ["dialect_insert", "check_text", "check_label", "check_choice", "like_pattern", "page"]


def dialect_insert(session: Session, table: Any) -> Any:
    """``INSERT`` with ``on_conflict_do_nothing`` / ``on_conflict_do_update`` for this database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - make_engine refuses other databases
        raise StoreError(f"unsupported database {name!r}")
    return insert(table)


def check_text(field: str, value: Any, limit: int, *, required: bool = True) -> str | None:
    """A stripped string of at most ``limit`` characters (``None`` allowed unless required)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(field, "is required and must not be empty")
        return None
    if not isinstance(value, str):
        raise Invalid(field, f"must be a string, not {type(value).__name__}")
    value = value.strip()
    if len(value) > limit:
        raise Invalid(field, f"is {len(value)} characters long; the limit is {limit}")
    return value


def check_label(field: str, value: Any, *, required: bool = True) -> str | None:
    """A label id of the taxonomy; the error lists the valid ones."""
    if value is None and not required:
        return None
    if value not in _labels():
        raise Invalid(field, f"unknown label {value!r}; valid: {', '.join(label_ids())}")
    return value


@cache
def _labels() -> frozenset[str]:
    return frozenset(label_ids())


def check_choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise Invalid(field, f"{value!r} is not one of {', '.join(choices)}")
    return value


def like_pattern(q: str) -> str:
    """``q`` as a substring pattern for ``ILIKE ... ESCAPE '\\'``, wildcards taken literally."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def page(limit: int, offset: int) -> tuple[int, int]:
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise Invalid("limit", f"must be an integer from 1 to 1000, not {limit!r}")
    if not isinstance(offset, int) or offset < 0:
        raise Invalid("offset", f"must be a non-negative integer, not {offset!r}")
    return limit, offset
