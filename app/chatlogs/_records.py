"""Tables of records (CSV, JSONL, a JSON list; Zalo backups) into messages, by column names."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import ijson

from ._columns import fold_header, match_columns
from ._jsonstream import Items, first_event
from ._textio import nfc, open_text, opener
from ._times import parse_time
from ._types import ChatlogError, Message, ReadStats, Reason

__all__ = ["read_csv", "read_json_list", "read_jsonl"]

_SCALAR = (str, int, float)


def _cell(value: object, encoding: str | None) -> str | None:
    if value is None or isinstance(value, bool):
        return None if value is None else str(value)
    if isinstance(value, _SCALAR):
        s = nfc(str(value), encoding).strip()
        return s or None
    raise ValueError(f"a {type(value).__name__} where text was expected")


def _message(
    rec: Mapping[str, object], roles: Mapping[str, str], default_conv: str, ref: str, stats: ReadStats
) -> Message | None:
    try:
        text = _cell(rec.get(roles["text"]), stats.encoding)
        conv = _cell(rec.get(roles["conversation"]), stats.encoding) if "conversation" in roles else None
        sender = _cell(rec.get(roles["sender"]), stats.encoding) if "sender" in roles else None
        mid = _cell(rec.get(roles["id"]), stats.encoding) if "id" in roles else None
    except ValueError as e:
        stats.skip(Reason.MALFORMED, ref, str(e))
        return None
    if not text:
        stats.skip(Reason.EMPTY)
        return None
    when = None
    raw_time = rec.get(roles["time"]) if "time" in roles else None
    raw_date = rec.get(roles["date"]) if "date" in roles else None
    try:
        if raw_date not in (None, "") and raw_time not in (None, ""):
            try:
                when = parse_time(f"{raw_date} {raw_time}")
            except ValueError:
                when = parse_time(raw_time)
        else:
            when = parse_time(raw_time if raw_time not in (None, "") else raw_date)
    except (ValueError, OverflowError, OSError) as e:
        stats.report(ref, Reason.BAD_TIME, str(e))
    return Message(conv or default_conv, sender, when, text, ref, mid)


def _roles(keys: list[str], text_column: str | None, where: str) -> dict[str, str]:
    roles = match_columns(keys, text_column=text_column)
    named = text_column is None or fold_header(roles.get("text", "")) == fold_header(text_column)
    if "text" not in roles or not named:
        wanted = f"'{text_column}'" if text_column else "text, message, content, nội dung, tin nhắn ..."
        raise ChatlogError(
            f"[C007] {where}: no text column ({wanted}); columns are {', '.join(map(repr, keys))}. "
            "Name it with text_column=..."
        )
    return roles


def _delimiter(header_line: str, path: Path) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def read_csv(path: Path, stats: ReadStats, *, text_column: str | None = None) -> Iterator[Message]:
    """Yield a message per CSV row; the delimiter (``,``, ``;`` or tab) is read from the header.

    Rows whose field count differs from the header's are reported by line and skipped,
    since their columns cannot be trusted.
    """
    name = path.name
    stats.files.append(name)
    with open_text(opener(path), name, stats, newline="") as fh:
        first = fh.readline()
        fh.seek(0)
        reader = csv.reader(fh, delimiter=_delimiter(first, path))
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [h.replace("\ufeff", "").strip() for h in header]
        roles = _roles(header, text_column, name)
        width = len(header)
        last = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                stats.skip(Reason.MALFORMED, f"{name}:{last + 1}", str(e))
                last = reader.line_num
                continue
            start, last = last + 1, reader.line_num
            if not row:
                continue  # a blank line is no record
            if len(row) > width and not any(c.strip() for c in row[width:]):
                row = row[:width]
            if len(row) != width:
                stats.skip(
                    Reason.MALFORMED, f"{name}:{start}", f"{len(row)} fields where the header has {width}"
                )
                continue
            msg = _message(dict(zip(header, row, strict=True)), roles, path.stem, f"{name}:{start}", stats)
            if msg is not None:
                stats.read += 1
                yield msg


def read_jsonl(path: Path, stats: ReadStats, *, text_column: str | None = None) -> Iterator[Message]:
    """Yield a message per JSON line: ``text``, optional ``id``, ``conversation``, ``sender``, ``time``."""
    name = path.name
    stats.files.append(name)
    cache: dict[tuple[str, ...], dict[str, str]] = {}
    with open_text(opener(path), name, stats) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            ref = f"{name}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                stats.skip(Reason.MALFORMED, ref, f"invalid JSON: {e.msg} at column {e.colno}")
                continue
            msg = _record_message(rec, cache, text_column, path.stem, ref, stats)
            if msg is not None:
                yield msg


def _record_message(
    rec: object,
    cache: dict[tuple[str, ...], dict[str, str]],
    text_column: str | None,
    stem: str,
    ref: str,
    stats: ReadStats,
) -> Message | None:
    """The message of one JSON record (JSONL line or list item), or None with the reason counted.

    ``cache`` maps a record's keys to their roles: records of one export share their keys, so
    the columns are worked out once.
    """
    if not isinstance(rec, dict):
        stats.skip(Reason.MALFORMED, ref, f"a JSON {type(rec).__name__}, not an object")
        return None
    keys = tuple(rec)
    if keys not in cache:
        try:
            cache[keys] = _roles(list(keys), text_column, ref)
        except ChatlogError as e:
            stats.skip(Reason.MALFORMED, ref, str(e))
            return None
    msg = _message(rec, cache[keys], stem, ref, stats)
    if msg is not None:
        stats.read += 1
    return msg


def read_json_list(path: Path, stats: ReadStats, *, text_column: str | None = None) -> Iterator[Message]:
    """Yield a message per object of a JSON list (or of ``{"messages": [...]}``), streamed."""
    name = path.name
    stats.files.append(name)
    with open(path, "rb") as fh:
        first = first_event(fh)
    prefix, path_ref = ("item", "$") if first == "start_array" else ("messages.item", "$.messages")
    cache: dict[tuple[str, ...], dict[str, str]] = {}
    n = -1
    with open(path, "rb") as fh:
        items = Items(fh, prefix)
        try:
            for n, rec in enumerate(items):
                ref = f"{name}:{path_ref}[{n}]"
                msg = _record_message(rec, cache, text_column, path.stem, ref, stats)
                if msg is not None:
                    yield msg
        except ijson.JSONError as e:
            detail = f"invalid or truncated JSON: {e}"
            if items.inside:
                stats.skip(Reason.MALFORMED, f"{name}:{path_ref}[{n + 1}]", detail)
            else:
                stats.report(f"{name}:{path_ref}[{n}]", Reason.MALFORMED, detail + " (after this record)")
