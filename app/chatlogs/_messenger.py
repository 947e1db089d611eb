"""Facebook Messenger's JSON export (``message_1.json`` ...), with its mojibake repaired."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import ijson

from ._jsonstream import Items
from ._times import from_epoch
from ._types import ChatlogError, Message, ReadStats, Reason

__all__ = ["fix_mojibake", "messenger_files", "read_messenger"]

_FILE = re.compile(r"^message_(\d+)\.json$")
_MEDIA_KEYS = ("photos", "videos", "audio_files", "files", "gifs", "sticker")
_SERVICE_TYPES = {"Call", "Subscribe", "Unsubscribe"}


def fix_mojibake(s: str) -> str:
    """Undo Facebook's export bug: UTF-8 bytes written as ``\\u00XX`` escapes.

    The repair is applied only when it round-trips (the string is all Latin-1 and those
    bytes are valid UTF-8), so a string that is already right is left alone.

    Examples
    --------
    >>> fix_mojibake("TÃ´i")
    'Tôi'
    >>> fix_mojibake("Tôi")
    'Tôi'
    """
    if s.isascii():
        return s
    try:
        return s.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


def messenger_files(path: Path) -> list[Path]:
    """``message_N.json`` files: the one given, those in a thread folder, or in all below."""
    if path.is_file():
        return [path]

    def number(p: Path) -> int:
        return int(_FILE.match(p.name)[1])

    direct = sorted((p for p in path.iterdir() if _FILE.match(p.name)), key=number)
    if direct:
        return direct
    found = sorted(
        path.rglob("message_*.json"), key=lambda p: (p.parent.as_posix(), int(_FILE.match(p.name)[1]))
    )
    found = [p for p in found if _FILE.match(p.name)]
    if not found:
        raise ChatlogError(f"[C004] no message_N.json in {path}: give a Messenger thread folder or file")
    return found


def _title(path: Path) -> str | None:
    """The thread title, which Facebook writes after the messages: one cheap pass of events."""
    try:
        with open(path, "rb") as fh:
            for prefix, event, value in ijson.parse(fh):
                if prefix == "title" and event == "string":
                    return fix_mojibake(value)
    except ijson.JSONError:
        return None
    return None


def _message(msg: object, conversation: str, ref: str, stats: ReadStats) -> Message | None:
    if not isinstance(msg, dict):
        stats.skip(Reason.MALFORMED, ref, f"message is a {type(msg).__name__}")
        return None
    if msg.get("type") in _SERVICE_TYPES or "call_duration" in msg:
        stats.skip(Reason.SERVICE)
        return None
    if msg.get("is_unsent"):
        stats.skip(Reason.DELETED)
        return None
    content = msg.get("content")
    if content is not None and not isinstance(content, str):
        stats.skip(Reason.MALFORMED, ref, f"content is a {type(content).__name__}")
        return None
    text = fix_mojibake(content or "").strip()
    share = msg.get("share")
    link = share.get("link") if isinstance(share, dict) else None
    if isinstance(link, str) and link and link not in text:
        text = f"{text}\n{link}".strip()
    if not text:
        stats.skip(Reason.MEDIA if any(k in msg for k in _MEDIA_KEYS) else Reason.EMPTY)
        return None
    when = None
    if msg.get("timestamp_ms") is not None:
        try:
            when = from_epoch(float(msg["timestamp_ms"]) / 1000)
        except (TypeError, ValueError, OverflowError) as e:
            stats.report(ref, Reason.BAD_TIME, str(e))
    sender = msg.get("sender_name")
    return Message(conversation, fix_mojibake(sender) if isinstance(sender, str) else None, when, text, ref)


def read_messenger(path: Path, stats: ReadStats) -> Iterator[Message]:
    """Yield the messages of a Messenger thread file or folder, ``message_1.json`` first.

    Facebook writes each file newest first; the order is kept as written (``summarize``
    orders by time). The conversation is the thread ``title``, else the folder name.
    """
    root = path if path.is_dir() else path.parent
    for file in messenger_files(path):
        rel = file.relative_to(root).as_posix() if path.is_dir() else file.name
        stats.files.append(rel)
        conversation = _title(file) or file.parent.name
        n = -1
        with open(file, "rb") as fh:
            items = Items(fh, "messages.item")
            try:
                for n, msg in enumerate(items):
                    m = _message(msg, conversation, f"{rel}:$.messages[{n}]", stats)
                    if m is not None:
                        stats.read += 1
                        yield m
            except ijson.JSONError as e:
                detail = f"invalid or truncated JSON: {e}"
                if items.inside:  # the message being read is lost: count it
                    stats.skip(Reason.MALFORMED, f"{rel}:$.messages[{n + 1}]", detail)
                else:
                    stats.report(f"{rel}:$.messages[{n}]", Reason.MALFORMED, detail + " (after this message)")
