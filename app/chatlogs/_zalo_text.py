"""Text pasted from a Zalo chat window: ``Name / 10:25 / text`` blocks or ``[10:25] Name: text`` lines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from ._textio import open_text, opener
from ._times import clock, year4
from ._types import Message, ReadStats, Reason

__all__ = ["ZALO_BRACKET", "is_zalo_time", "read_zalo_text"]

_CLOCK = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s?(?P<ampm>[AaPp][Mm]|SA|CH))?"
_DAY = r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4}|\d{2})"
# "10:25", "10:25 12/03/2024" or "12/03/2024 10:25" alone on a line.
_TIME_ONLY = re.compile(rf"^{_CLOCK}$")
_TIME_DAY = re.compile(rf"^{_CLOCK},?\s+{_DAY}$")
_DAY_TIME = re.compile(rf"^{_DAY},?\s+{_CLOCK}$")
# "[10:25] Name: text" or with a date inside the brackets.
ZALO_BRACKET = re.compile(r"^\[(?P<when>[^\[\]]{4,25})\]\s*(?P<sender>[^:\[\]]{1,80}?):\s?(?P<text>.*)$")
# A date heading: "12/03/2024", "Thứ Ba, 12/03/2024", "12 tháng 3, 2024", "Hôm nay", "Hôm qua".
_WEEKDAY = r"(?:(?:thứ\s+\w+|chủ\s+nhật|cn|t[2-7])\s*,?\s*)?"
_DATE_LINE = re.compile(
    rf"^{_WEEKDAY}(?:{_DAY}|(?P<d2>\d{{1,2}})\s+tháng\s+(?P<m2>\d{{1,2}}),?\s+(?P<y2>\d{{4}}))$",
    re.IGNORECASE,
)
_RELATIVE_DAY = re.compile(r"^(?:hôm nay|hôm qua|today|yesterday)$", re.IGNORECASE)
_MEDIA = re.compile(
    r"^\[(?:hình ảnh|ảnh|photo|image|sticker|nhãn dán|file|tệp|video|tin nhắn thoại|voice|gif|danh thiếp)\]$",
    re.IGNORECASE,
)
_RECALLED = re.compile(r"^(?:tin nhắn đã (?:được|bị) thu hồi|message recalled)\.?$", re.IGNORECASE)
_NOT_NAME_END = tuple(".?!,;…")


def _clock_of(m: re.Match) -> tuple[int, int, int]:
    return clock(m["H"], m["M"], m["S"], m["ampm"])


def _when(s: str, day: date | None) -> tuple[datetime | None, date | None]:
    """The time on a time line and the day it implies (a date on the line sets the day)."""
    m = _TIME_DAY.match(s) or _DAY_TIME.match(s)
    if m:
        day = date(year4(m["y"]), int(m["m"]), int(m["d"]))
    else:
        m = _TIME_ONLY.match(s)
        if m is None:
            raise ValueError(f"not a time: {s!r}")
    h, mi, sec = _clock_of(m)
    return (datetime(day.year, day.month, day.day, h, mi, sec) if day else None), day


def is_zalo_time(s: str) -> bool:
    """A line that is only a clock time, maybe with a date: a Zalo time line."""
    return bool(_TIME_ONLY.match(s) or _TIME_DAY.match(s) or _DAY_TIME.match(s))


def _is_name(s: str) -> bool:
    return 0 < len(s) <= 60 and len(s.split()) <= 8 and not s.endswith(_NOT_NAME_END) and "://" not in s


def _lookahead(lines: Iterable[str]) -> Iterator[tuple[int, str, str | None]]:
    it = iter(lines)
    prev = next(it, None)
    n = 1
    for line in it:
        yield n, prev.rstrip("\r\n"), line.rstrip("\r\n")
        prev, n = line, n + 1
    if prev is not None:
        yield n, prev.rstrip("\r\n"), None


class _Block:
    __slots__ = ("line", "sender", "time", "lines")

    def __init__(self, line: int, sender: str | None, time: datetime | None, first: str | None = None):
        self.line, self.sender, self.time = line, sender, time
        self.lines = [first] if first else []


def _finish(b: _Block, conversation: str, name: str, stats: ReadStats) -> Message | None:
    lines = [ln.rstrip() for ln in b.lines]
    kept = [ln for ln in lines if not _MEDIA.match(ln.strip())]
    text = "\n".join(kept).strip()
    if not text:
        stats.skip(Reason.MEDIA if len(kept) < len(lines) else Reason.EMPTY)
        return None
    if _RECALLED.match(text):
        stats.skip(Reason.DELETED)
        return None
    return Message(conversation, b.sender, b.time, text, f"{name}:{b.line}")


def _parse(lines: Iterable[str], name: str, conversation: str, stats: ReadStats) -> Iterator[Message]:
    day: date | None = None
    block: _Block | None = None
    header: tuple[int, str] | None = None  # a name line waiting for its time line
    block_mode = False  # the current block came from "Name / time": a bare time line starts the next
    undated = False
    orphan: int | None = None

    def flush():
        nonlocal block
        if block is not None:
            msg = _finish(block, conversation, name, stats)
            block = None
            return msg
        return None

    def clock_time(s: str, n: int) -> datetime | None:
        nonlocal day, undated
        try:
            when, day = _when(s, day)
        except ValueError as e:
            stats.report(f"{name}:{n}", Reason.BAD_TIME, str(e))
            return None
        if when is None and not undated:
            undated = True
            stats.report(f"{name}:{n}", Reason.BAD_TIME, "a clock time before any date line: time left empty")
        return when

    for n, line, nxt in _lookahead(lines):
        s = line.strip()
        if header is not None:  # this is the time line of a "Name / time" header
            hn, sender = header
            header = None
            block = _Block(hn, sender, clock_time(s, n))
            block_mode = True
            continue
        dm = _DATE_LINE.match(s)
        if dm or _RELATIVE_DAY.match(s):
            if (msg := flush()) is not None:
                yield msg
            if dm:
                try:
                    if dm["d"]:
                        day = date(year4(dm["y"]), int(dm["m"]), int(dm["d"]))
                    else:
                        day = date(int(dm["y2"]), int(dm["m2"]), int(dm["d2"]))
                except ValueError as e:
                    stats.report(f"{name}:{n}", Reason.BAD_TIME, str(e))
                    day = None
            else:
                day = None
            continue
        bm = ZALO_BRACKET.match(s)
        if bm and is_zalo_time(bm["when"].strip()):
            if (msg := flush()) is not None:
                yield msg
            block = _Block(n, bm["sender"].strip(), clock_time(bm["when"].strip(), n), bm["text"])
            block_mode = False
            continue
        if s and not is_zalo_time(s) and nxt is not None and is_zalo_time(nxt.strip()) and _is_name(s):
            if (msg := flush()) is not None:
                yield msg
            header = (n, s)
            continue
        if is_zalo_time(s) and block is not None and block_mode:
            sender = block.sender
            if (msg := flush()) is not None:
                yield msg
            block = _Block(n, sender, clock_time(s, n))
            continue
        if block is not None:
            block.lines.append(line)
        elif s and orphan is None:
            orphan = n
            stats.skip(Reason.MALFORMED, f"{name}:{n}", "text before the first sender and time")
    if header is not None:
        stats.skip(Reason.MALFORMED, f"{name}:{header[0]}", "a sender line without its time at the end")
    if (msg := flush()) is not None:
        yield msg


def read_zalo_text(path: Path, stats: ReadStats) -> Iterator[Message]:
    """Yield the messages of text copied from a Zalo chat window (formats in the README).

    Times get their day from the last date line (``12/03/2024``, ``Thứ Ba, 12/03/2024``) or
    from a date on the time line itself; without one the time is left empty and reported once.
    """
    stats.files.append(path.name)
    with open_text(opener(path), path.name, stats) as fh:
        for msg in _parse(fh, path.name, path.stem, stats):
            stats.read += 1
            yield msg
