"""What a reader yields (``Message``) and what it reports about the rest (``ReadStats``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime

__all__ = [
    "FORMATS",
    "ChatlogError",
    "Message",
    "ReadIssue",
    "ReadStats",
    "Reason",
]

FORMATS = ("telegram", "messenger", "whatsapp", "zalo", "zalo_text", "csv", "jsonl")


class ChatlogError(ValueError):
    """A chat log cannot be read at all; the message has a code, the file and what to do."""


class Reason:
    """Why a record was skipped or reported: the keys of ``ReadStats.skipped_by_reason``."""

    SERVICE = "service"  # Telegram/Messenger service events: joins, calls, pins
    SYSTEM = "system"  # WhatsApp lines without a sender ("Messages and calls are end-to-end encrypted")
    MEDIA = "media_only"  # a photo, sticker, file ... with no text
    EMPTY = "empty"  # a record whose text is blank
    DELETED = "deleted"  # "This message was deleted", unsent Messenger messages
    MALFORMED = "malformed"  # cannot be parsed: bad JSON, a bad CSV row, an orphan line
    UNSAFE = "unsafe_member"  # a zip member whose name tries to leave the archive
    BAD_TIME = "bad_time"  # kept, with ``time=None``: the time could not be read
    ENCODING = "encoding"  # not a skip: the file was not UTF-8 and was decoded otherwise


@dataclass(slots=True)
class Message:
    """One chat message, as the readers yield it.

    ``time`` is timezone-aware when the export states the zone or an absolute instant
    (Telegram ``date_unixtime``, Messenger ``timestamp_ms``, ISO times with an offset),
    naive local time otherwise (WhatsApp, most CSV). ``source_ref`` points back into the
    input: ``file:line`` for text formats, ``file:$.json.path`` for JSON. ``id`` is the
    record's own id when the export has one.
    """

    conversation: str
    sender: str | None
    time: datetime | None
    text: str
    source_ref: str
    id: str | None = None

    def to_dict(self) -> dict:
        """The fields as a plain dict, ``time`` as an ISO 8601 string (or ``None``)."""
        d = asdict(self)
        d["time"] = self.time.isoformat() if self.time else None
        return d


@dataclass(slots=True)
class ReadIssue:
    """A problem with one record (or the rest of a file): where, why and the details."""

    source_ref: str
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.source_ref}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class ReadStats:
    """Counts of what a reader did; pass one to ``read_chatlog(stats=...)`` to get them.

    Every record the reader saw is either ``read`` (yielded) or ``skipped`` with a reason.
    ``issues`` lists malformed records and other problems with their location; only the
    first ``max_issues`` are kept (``issues_dropped`` counts the rest) so that a huge broken
    file cannot fill memory, but every one of them is still counted.
    """

    read: int = 0
    skipped: int = 0
    skipped_by_reason: Counter[str] = field(default_factory=Counter)
    issues: list[ReadIssue] = field(default_factory=list)
    issues_dropped: int = 0
    max_issues: int = 1000
    format: str | None = None
    encoding: str | None = None
    files: list[str] = field(default_factory=list)

    def skip(self, reason: str, source_ref: str | None = None, detail: str = "") -> None:
        """Count a skipped record; record an issue too when ``source_ref`` is given."""
        self.skipped += 1
        self.skipped_by_reason[reason] += 1
        if source_ref is not None:
            self.report(source_ref, reason, detail)

    def report(self, source_ref: str, reason: str, detail: str = "") -> None:
        """Record an issue without counting a skip (the record was kept or none existed)."""
        if len(self.issues) < self.max_issues:
            self.issues.append(ReadIssue(source_ref, reason, detail))
        else:
            self.issues_dropped += 1

    def as_dict(self) -> dict:
        """JSON-ready form for reports and the CLI."""
        return {
            "format": self.format,
            "encoding": self.encoding,
            "files": list(self.files),
            "read": self.read,
            "skipped": self.skipped,
            "skipped_by_reason": dict(self.skipped_by_reason),
            "issues": [str(i) for i in self.issues],
            "issues_dropped": self.issues_dropped,
        }
