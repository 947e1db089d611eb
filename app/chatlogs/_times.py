"""Reading the many ways chat exports write a time; Vietnamese day-first by default."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

__all__ = ["clock", "from_epoch", "local_with_offset", "parse_time"]

_DATE = r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4}|\d{2})"
_TIME = (
    r"(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"(?:[\s\u202f\u00a0]*(?P<ampm>[AaPp]\.?\s?[Mm]\.?|SA|CH|sa|ch))?"
)
_DATE_TIME = re.compile(rf"^{_DATE}(?:[\s,T]+{_TIME})?$")
_TIME_DATE = re.compile(rf"^{_TIME}[\s,]+{_DATE}$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def clock(hour: str, minute: str, second: str | None, ampm: str | None) -> tuple[int, int, int]:
    """Hour, minute, second from clock strings; ``ampm`` is AM/PM or Vietnamese SA/CH."""
    h, m, s = int(hour), int(minute), int(second or 0)
    if ampm:
        pm = ampm.strip().lower().replace(".", "").replace(" ", "") in ("pm", "ch")
        if not 1 <= h <= 12:
            raise ValueError(f"hour {h} with {ampm.strip()}")
        h = h % 12 + (12 if pm else 0)
    return h, m, s


def year4(y: str) -> int:
    """Two-digit years are this century: chat apps are younger than 2000."""
    return int(y) + 2000 if len(y) == 2 else int(y)


def from_epoch(value: float) -> datetime:
    """An aware UTC time from epoch seconds, or milliseconds when the number is that large."""
    if abs(value) > 1e11:
        value = value / 1000
    return datetime.fromtimestamp(value, tz=UTC)


@lru_cache(maxsize=256)
def _zone(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


_EPOCH = datetime(1970, 1, 1)


def local_with_offset(local: datetime, unixtime: float) -> datetime:
    """``local`` (naive wall clock) with the UTC offset implied by the instant ``unixtime``.

    Telegram writes both the exporter's wall-clock ``date`` and ``date_unixtime``; their
    difference is the exporter's UTC offset, so the result keeps both the local hour a
    person saw and the exact instant. An implausible offset gives the instant in UTC.
    """
    minutes = round(((local - _EPOCH).total_seconds() - unixtime) / 60)
    if minutes % 15 or abs(minutes) > 14 * 60:
        return from_epoch(unixtime)
    return local.replace(tzinfo=_zone(minutes))


def parse_time(value: object, *, day_first: bool = True) -> datetime | None:
    """A datetime from an export's time field, ``None`` for a blank one.

    Accepts datetimes, epoch seconds or milliseconds (aware, UTC), ISO 8601 (aware when it
    has an offset or ``Z``), ``dd/mm/yyyy[, HH:MM[:SS][ AM|PM|SA|CH]]`` with ``/``, ``.`` or
    ``-``, and Zalo's ``HH:MM dd/mm/yyyy``. Raises ``ValueError`` for anything else.

    Examples
    --------
    >>> parse_time("12/03/2024 14:05")
    datetime.datetime(2024, 3, 12, 14, 5)
    >>> parse_time("2:05 CH 12/03/2024").hour
    14
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return from_epoch(float(value))
    s = str(value).strip()
    if not s:
        return None
    if _NUMBER.match(s):
        return from_epoch(float(s))
    m = _DATE_TIME.match(s) or _TIME_DATE.match(s)
    if m:
        d, mo = int(m["d"]), int(m["m"])
        if not day_first:
            d, mo = mo, d
        h, mi, sec = clock(m["H"], m["M"], m["S"], m["ampm"]) if m["H"] else (0, 0, 0)
        return datetime(year4(m["y"]), mo, d, h, mi, sec)
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"not a time: {s[:40]!r}") from None
