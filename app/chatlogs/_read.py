"""``read_chatlog``: one entry point over every reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ._detect import detect_format
from ._messenger import read_messenger
from ._records import read_csv, read_json_list, read_jsonl
from ._telegram import read_telegram
from ._types import FORMATS, ChatlogError, Message, ReadStats
from ._whatsapp import read_whatsapp
from ._zalo_text import read_zalo_text

__all__ = ["read_chatlog"]


def read_chatlog(
    path: str | Path,
    format: str | None = None,
    *,
    text_column: str | None = None,
    stats: ReadStats | None = None,
) -> Iterator[Message]:
    """Stream the messages of an exported chat log.

    Parameters
    ----------
    path
        A file, or a folder (a Messenger thread or inbox, a Telegram export folder).
    format
        One of ``telegram``, ``messenger``, ``whatsapp``, ``zalo``, ``zalo_text``, ``csv``,
        ``jsonl``; detected with ``detect_format`` when ``None``.
    text_column
        For ``csv``/``zalo``/``jsonl``: the column holding the message text, if its name is
        not one of the known ones.
    stats
        Filled while reading: counts read and skipped by reason, issues with their
        file and line or JSON path, the encoding used.

    Yields
    ------
    Message
        In file order. Nothing is dropped silently: what is not yielded is counted in
        ``stats``.

    Examples
    --------
    >>> stats = ReadStats()
    >>> msgs = list(read_chatlog("data/samples/chatlogs/whatsapp/android_chat.txt", stats=stats))
    >>> msgs[0].sender, stats.skipped_by_reason["system"]
    ('Mẹ', 1)
    """
    path = Path(path)
    stats = stats if stats is not None else ReadStats()
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise ChatlogError(f"[C000] unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not path.exists():
        raise ChatlogError(f"[C001] {path} does not exist")
    stats.format = fmt
    if fmt == "telegram":
        file = path / "result.json" if path.is_dir() else path
        stats.files.append(file.name)
        return read_telegram(file, stats)
    if fmt == "messenger":
        return read_messenger(path, stats)
    if fmt == "whatsapp":
        return read_whatsapp(path, stats)
    if fmt == "zalo_text":
        return read_zalo_text(path, stats)
    if fmt == "jsonl":
        return read_jsonl(path, stats, text_column=text_column)
    if path.suffix.lower() == ".json":  # zalo (or csv) given as a JSON list
        return read_json_list(path, stats, text_column=text_column)
    return read_csv(path, stats, text_column=text_column)
