"""Telegram Desktop's machine-readable export (``result.json``), streamed with ijson."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import ijson

from ._telegram_fast import MARK, ChatMarker, Unrecognised
from ._times import from_epoch, local_with_offset
from ._types import Message, ReadStats, Reason

__all__ = ["read_telegram", "read_telegram_events", "telegram_text"]

# Where chats sit in the two layouts: ijson prefix of a chat -> JSON path of its list.
_CHAT_BASES = {"": "$", "chats.list.item": "$.chats.list", "left_chats.list.item": "$.left_chats.list"}
_MSG_PREFIXES = {(b + "." if b else "") + "messages.item": b for b in _CHAT_BASES}
_CHAT_KEYS = {(b + "." if b else "") + k: (b, k) for b in _CHAT_BASES for k in ("name", "id")}
_MEDIA_KEYS = (
    "photo", "file", "media_type", "sticker_emoji", "poll", "location_information",
    "contact_information", "game_title", "invoice_information", "place_name",
)  # fmt: skip


def telegram_text(value: object) -> str:
    """Plain text from Telegram's ``text``: a string, or a list of strings and entities.

    A ``text_link`` entity shows one text and opens another address; the address is what a
    scam hides, so it is kept in brackets after the shown text.

    Examples
    --------
    >>> telegram_text(["Nhận quà ", {"type": "text_link", "text": "tại đây", "href": "http://qua.vip"}])
    'Nhận quà tại đây (http://qua.vip)'
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise ValueError(f"text is a {type(value).__name__}")
    parts = []
    for part in value:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict):
            text = part.get("text") or ""
            if not isinstance(text, str):
                raise ValueError(f"entity text is a {type(text).__name__}")
            href = part.get("href")
            parts.append(f"{text} ({href})" if href and href != text else text)
        else:
            raise ValueError(f"text part is a {type(part).__name__}")
    return "".join(parts)


def _time(msg: dict) -> datetime | None:
    date, unix = msg.get("date"), msg.get("date_unixtime")
    local = datetime.fromisoformat(date) if isinstance(date, str) else None
    if unix is None or unix == "":
        return local
    unixtime = float(unix)
    return local_with_offset(local, unixtime) if local else from_epoch(unixtime)


def _message(msg: object, conversation: str, ref: str, stats: ReadStats) -> Message | None:
    if not isinstance(msg, dict):
        stats.skip(Reason.MALFORMED, ref, f"message is a {type(msg).__name__}")
        return None
    if msg.get("type", "message") != "message":
        stats.skip(Reason.SERVICE)
        return None
    try:
        text = telegram_text(msg.get("text")).strip()
    except ValueError as e:
        stats.skip(Reason.MALFORMED, ref, str(e))
        return None
    if not text:
        stats.skip(Reason.MEDIA if any(k in msg for k in _MEDIA_KEYS) else Reason.EMPTY)
        return None
    try:
        when = _time(msg)
    except (ValueError, TypeError, OverflowError) as e:
        stats.report(ref, Reason.BAD_TIME, str(e))
        when = None
    sender = msg.get("from")
    mid = msg.get("id")
    return Message(
        conversation,
        str(sender) if sender is not None else None,
        when,
        text,
        ref,
        str(mid) if mid is not None else None,
    )


_SCALARS = frozenset(("string", "number", "boolean", "null"))
_ENDS = frozenset(("end_map", "end_array"))
_SKIP = object()  # a nested value that is only noted as present (text_entities, polls ...)


def read_telegram_events(path: Path, stats: ReadStats) -> Iterator[Message]:
    """Yield the messages of a Telegram export, one chat or the whole account, streamed.

    The file is walked as ijson events: only the chat being read (its name and id) and the
    one message being built are held in memory, so a 1 GB export reads in constant memory.
    Top-level fields of a message are set directly from the events (the hot path); only a
    ``text`` list is built as an object, and ``text_entities`` (a copy of ``text``) is
    skipped. A JSON error ends the file; it is reported at the JSON path reached.
    """
    name = path.name
    chat: dict[str, object] = {"name": None, "id": None}
    chat_no = dict.fromkeys(_CHAT_BASES, -1)
    msg_no = -1
    msg: dict | None = None  # the message being read
    key = ""
    sub: ijson.ObjectBuilder | object | None = None  # a nested value being built or skipped
    sub_prefix = ""
    where = f"{name}:$"
    with open(path, "rb") as fh:
        try:
            for prefix, event, value in ijson.parse(fh, use_float=True):
                if msg is not None:
                    if sub is not None:
                        if event in _ENDS and prefix == sub_prefix:
                            msg[key] = sub.value if sub is not _SKIP else True
                            sub = None
                        elif sub is not _SKIP:
                            sub.event(event, value)
                    elif event == "map_key":
                        key = value
                    elif event in _SCALARS:
                        msg[key] = value
                    elif event == "end_map":
                        conv = chat["name"] or (f"chat {chat['id']}" if chat["id"] is not None else name)
                        m = _message(msg, str(conv), where, stats)
                        msg = None
                        if m is not None:
                            stats.read += 1
                            yield m
                    else:  # start_map / start_array of a field
                        sub_prefix = prefix
                        if key == "text":
                            sub = ijson.ObjectBuilder()
                            sub.event(event, value)
                        else:
                            sub = _SKIP
                elif prefix in _MSG_PREFIXES and event not in ("end_map", "end_array", "map_key"):
                    msg_no += 1
                    base = _MSG_PREFIXES[prefix]
                    chat_ref = _CHAT_BASES[base] + (f"[{chat_no[base]}]" if base else "")
                    where = f"{name}:{chat_ref}.messages[{msg_no}]"
                    if event == "start_map":
                        msg, sub = {}, None
                    else:  # a message that is not an object: report it, keep going
                        stats.skip(Reason.MALFORMED, where, f"message is a {event.replace('start_', '')}")
                elif prefix in _CHAT_BASES and event == "start_map":
                    chat_no[prefix] += 1
                    chat = {"name": None, "id": None}
                elif event == "start_array" and prefix + ".item" in _MSG_PREFIXES:
                    msg_no = -1
                elif prefix in _CHAT_KEYS and event in ("string", "number"):
                    chat[_CHAT_KEYS[prefix][1]] = value
        except ijson.JSONError as e:
            if msg is not None:  # the message being read is lost: count it
                stats.skip(Reason.MALFORMED, where, f"invalid or truncated JSON: {e}")
            else:
                stats.report(where, Reason.MALFORMED, f"invalid or truncated JSON after this point: {e}")


def _layout(path: Path) -> str | None:
    """The C builder's prefix: a full export or a single chat; ``None`` if not found early."""
    with open(path, "rb") as fh:
        try:
            for i, (prefix, event, value) in enumerate(ijson.parse(fh)):
                if prefix == "" and event == "map_key" and value in ("chats", "left_chats", "messages"):
                    return "messages.item" if value == "messages" else "chats.list.item.messages.item"
                if i > 200_000:
                    return None
        except ijson.JSONError:
            return None
    return None


def _read_marked(path: Path, prefix: str, stats: ReadStats) -> Iterator[Message]:
    name = path.name
    conv, ref, n = name, f"{name}:$.messages", -1
    with open(path, "rb") as fh:
        marker = ChatMarker(fh)
        try:
            for obj in ijson.items(marker, prefix, use_float=True):
                if type(obj) is dict and len(obj) == 1 and MARK in obj:
                    chat_path, chat_name, chat_id = marker.chats[obj[MARK]]
                    conv = chat_name or f"chat {chat_id}"
                    ref, n = f"{name}:{chat_path}.messages", -1
                    continue
                n += 1
                m = _message(obj, conv, f"{ref}[{n}]", stats)
                if m is not None:
                    stats.read += 1
                    yield m
        except ijson.JSONError as e:
            # The C builder does not say whether it broke inside a message: assume it did.
            stats.skip(Reason.MALFORMED, f"{ref}[{n + 1}]", f"invalid or truncated JSON: {e}")


def read_telegram(path: Path, stats: ReadStats) -> Iterator[Message]:
    """Yield the messages of a Telegram export, one chat or the whole account, streamed.

    Uses the fast path (ijson's C builder with chat marks, ``_telegram_fast``) when the
    export has Telegram's usual layout, else the event reader. If the fast path meets an
    unusual chat header midway, the event reader takes over from the start, skipping the
    messages already yielded and recounting ``stats`` from where they stood.
    """
    prefix = _layout(path)
    if prefix is None:
        yield from read_telegram_events(path, stats)
        return
    before = (
        stats.read,
        stats.skipped,
        stats.skipped_by_reason.copy(),
        len(stats.issues),
        stats.issues_dropped,
    )
    yielded = 0
    try:
        for m in _read_marked(path, prefix, stats):
            yielded += 1
            yield m
        return
    except Unrecognised:
        pass
    stats.read, stats.skipped, stats.skipped_by_reason, n_issues, stats.issues_dropped = before
    del stats.issues[n_issues:]
    for i, m in enumerate(read_telegram_events(path, stats)):
        if i >= yielded:
            yield m
