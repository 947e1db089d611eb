"""WhatsApp's ``_chat.txt`` (Android and iOS, 12- and 24-hour clocks) and its ``.zip``."""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ._textio import open_text, opener
from ._times import clock, year4
from ._types import ChatlogError, Message, ReadStats, Reason

__all__ = ["WHATSAPP_HEADER", "read_whatsapp", "safe_member_name"]

_DATE = r"(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4}|\d{2})"
_TIME = (
    r"(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?"
    r"(?:[ \u202f\u00a0]?(?P<ampm>[AaPp]\.?\s?[Mm]\.?|SA|CH|sa|ch))?"
)
# Android "12/03/24, 14:05 - " or iOS "[12/03/24, 14:05:09] ", then "Name: text" or a system line.
_HEADER = re.compile(rf"^(?P<ios>\[)?{_DATE},?\s{_TIME}(?(ios)\]\s|\s[-–]\s)(?P<rest>.*)$")
WHATSAPP_HEADER = _HEADER
# Direction and embedding marks WhatsApp sprinkles around names, media and system lines.
_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"))
_MEDIA_LINE = re.compile(
    r"^(?:<[^<>]*(?:media|omitted|phương tiện|bỏ qua)[^<>]*>"
    r"|<(?:attached|đính kèm): [^<>]+>"
    r"|(?:image|video|audio|sticker|gif|document|contact card|voice message|photo)\s+omitted"
    r"|.+ • .+ omitted"
    r"|đã bỏ qua (?:hình ảnh|video|âm thanh|nhãn dán|gif|tài liệu|thẻ liên hệ)"
    r"|\S+\.\w{2,5} \((?:file attached|tệp đính kèm)\)"
    r"|null)$",
    re.IGNORECASE,
)
_EDITED = re.compile(
    r"\s*<(?:This message was edited|Tin nhắn này đã được chỉnh sửa|Đã chỉnh sửa)>\s*$", re.I
)
_DELETED = re.compile(
    r"^(?:This message was deleted|You deleted this message"
    r"|Tin nhắn này đã bị xóa|Bạn đã xóa tin nhắn này)\.?$",
    re.IGNORECASE,
)
_NAME_PREFIXES = (
    "WhatsApp Chat with ",
    "WhatsApp Chat - ",
    "Đoạn chat WhatsApp với ",
    "Trò chuyện WhatsApp với ",
)


def conversation_name(filename: str) -> str:
    """``WhatsApp Chat - Nhom.zip`` -> ``Nhom``; ``_chat.txt`` -> ``_chat``."""
    stem = PurePosixPath(filename).stem
    for p in _NAME_PREFIXES:
        if stem.startswith(p):
            return stem[len(p) :].strip() or stem
    return stem


def _day_first(lines: Iterable[str]) -> bool:
    """Vietnamese phones write day first; US ones month first. Decide from the first proof."""
    for line in lines:
        m = _HEADER.match(line.translate(_MARKS))
        if m:
            a, b = int(m["a"]), int(m["b"])
            if a > 12 >= b:
                return True
            if b > 12 >= a:
                return False
    return True


def _time(m: re.Match, day_first: bool) -> datetime:
    a, b = int(m["a"]), int(m["b"])
    d, mo = (a, b) if day_first else (b, a)
    return datetime(year4(m["y"]), mo, d, *clock(m["H"], m["M"], m["S"], m["ampm"]))


class _Pending:
    __slots__ = ("line", "sender", "time", "lines", "marked")

    def __init__(self, line: int, sender: str | None, time: datetime | None, first: str, marked: bool):
        self.line, self.sender, self.time, self.lines, self.marked = line, sender, time, [first], marked


def _finish(p: _Pending, conversation: str, ref: str, stats: ReadStats) -> Message | None:
    if p.sender is None:
        stats.skip(Reason.SYSTEM)
        return None
    lines = [ln.translate(_MARKS).replace("\u202f", " ").rstrip() for ln in p.lines]
    if lines:
        lines[-1] = _EDITED.sub("", lines[-1])
    kept = [ln for ln in lines if not _MEDIA_LINE.match(ln.strip())]
    text = "\n".join(kept).strip()
    if not text:
        stats.skip(Reason.MEDIA if len(kept) < len(lines) else Reason.EMPTY)
        return None
    if _DELETED.match(text):
        stats.skip(Reason.DELETED)
        return None
    if p.marked and len(kept) == len(lines):
        # iOS writes system events as "[time] Group name: \u200eYou created group ..."
        stats.skip(Reason.SYSTEM)
        return None
    return Message(conversation, p.sender, p.time, text, ref)


def _parse(lines: Iterable[str], name: str, conversation: str, day_first: bool, stats: ReadStats):
    pending: _Pending | None = None
    orphan: int | None = None
    n = 0
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        m = _HEADER.match(line.translate(_MARKS))
        if m is None:
            if pending is not None:
                pending.lines.append(line)
            elif line.strip() and orphan is None:
                orphan = n
            continue
        if orphan is not None:
            stats.skip(Reason.MALFORMED, f"{name}:{orphan}", "text before the first message header")
            orphan = None
        if pending is not None:
            msg = _finish(pending, conversation, f"{name}:{pending.line}", stats)
            if msg is not None:
                yield msg
        try:
            when = _time(m, day_first)
        except ValueError as e:
            stats.report(f"{name}:{n}", Reason.BAD_TIME, str(e))
            when = None
        clean = m["rest"]
        sender: str | None = None
        text, marked = clean, False
        idx = clean.find(": ")
        if idx > 0:
            sender, text = clean[:idx].strip(), clean[idx + 2 :]
            # iOS marks system events "[time] Group: \u200eYou created group": look in the raw line.
            raw_idx = line.find(": ")
            marked = raw_idx >= 0 and line[raw_idx + 2 : raw_idx + 3] == "\u200e"
        elif clean.rstrip().endswith(":") and len(clean.strip()) > 1:
            sender, text = clean.rstrip()[:-1].strip(), ""
        pending = _Pending(n, sender, when, text, marked)
    if orphan is not None:
        stats.skip(Reason.MALFORMED, f"{name}:{orphan}", "text before the first message header")
    if pending is not None:
        msg = _finish(pending, conversation, f"{name}:{pending.line}", stats)
        if msg is not None:
            yield msg


def _read_text(open_binary: Callable[[], BinaryIO], name: str, conversation: str, stats: ReadStats):
    stats.files.append(name)
    with open_text(open_binary, name, stats) as fh:
        day_first = _day_first(fh)
    with open_text(open_binary, name, stats) as fh:
        for msg in _parse(fh, name, conversation, day_first, stats):
            stats.read += 1
            yield msg


def safe_member_name(info: zipfile.ZipInfo) -> bool:
    """False for absolute paths, ``..``, drive letters, backslashes and symlinks."""
    name = info.filename
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return False
    if any(part == ".." for part in name.split("/")):
        return False
    return not stat.S_ISLNK(info.external_attr >> 16)


def _pick_member(zf: zipfile.ZipFile, zname: str, stats: ReadStats) -> zipfile.ZipInfo:
    safe = []
    for info in zf.infolist():
        if info.is_dir():
            continue
        if safe_member_name(info):
            safe.append(info)
        else:
            stats.skip(Reason.UNSAFE, f"{zname}!{info.filename}", "member path leaves the archive; not read")
    chats = [i for i in safe if PurePosixPath(i.filename).name == "_chat.txt"]
    texts = chats or [i for i in safe if i.filename.lower().endswith(".txt")]
    if len(texts) != 1:
        found = ", ".join(i.filename for i in texts) or "none"
        raise ChatlogError(
            f"[C005] {zname}: expected _chat.txt or a single .txt chat in the zip, found {found}"
        )
    return texts[0]


def read_whatsapp(path: Path, stats: ReadStats) -> Iterator[Message]:
    """Yield the messages of a WhatsApp ``_chat.txt`` or of the ``.zip`` WhatsApp shares.

    A zip is read in place, member by stream, never extracted; members whose names try to
    leave the archive are reported and not read. Lines that do not start with a time
    header continue the previous message.
    """
    if path.suffix.lower() != ".zip":
        yield from _read_text(opener(path), path.name, conversation_name(path.name), stats)
        return
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise ChatlogError(f"[C006] {path.name} is not a readable zip: {e}") from None
    with zf:
        info = _pick_member(zf, path.name, stats)
        name = f"{path.name}!{info.filename}"
        conv = conversation_name(path.name if info.filename.endswith("_chat.txt") else info.filename)
        yield from _read_text(lambda: zf.open(info), name, conv, stats)
