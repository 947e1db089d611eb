"""Telling an export's format from its name and first bytes."""

from __future__ import annotations

import itertools
import json
import zipfile
from pathlib import Path

import ijson

from ._types import ChatlogError
from ._whatsapp import WHATSAPP_HEADER
from ._zalo_text import ZALO_BRACKET, is_zalo_time

__all__ = ["detect_format"]

_TELEGRAM_TOP = {"chats", "left_chats", "personal_information", "frequent_contacts", "contacts"}
_TELEGRAM_MSG = {"date", "date_unixtime", "from", "from_id", "text_entities"}
_MESSENGER_KEYS = {"participants", "thread_path", "is_still_participant", "magic_words"}
_MESSENGER_MSG = {"sender_name", "timestamp_ms"}


def _json_kind(path: Path) -> str:
    top: set[str] = set()
    first_msg: set[str] = set()
    with open(path, "rb") as fh:
        try:
            for i, (prefix, event, value) in enumerate(ijson.parse(fh)):
                if i == 0 and event == "start_array":
                    return "zalo"
                if event == "map_key":
                    if prefix == "":
                        top.add(value)
                    elif prefix == "messages.item":
                        first_msg.add(value)
                if top & _TELEGRAM_TOP or first_msg & _TELEGRAM_MSG:
                    return "telegram"
                if top & _MESSENGER_KEYS or first_msg & _MESSENGER_MSG:
                    return "messenger"
                if i > 200_000:
                    break
        except ijson.JSONError:
            pass
    if "messages" in top:
        return "zalo"
    raise ChatlogError(
        f"[C002] {path.name}: a JSON file that looks like neither a Telegram nor a Messenger export "
        "nor a list of messages; pass format=..."
    )


def _head_lines(path: Path, n: int = 50) -> list[str]:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        return [ln.rstrip("\r\n") for ln in itertools.islice(fh, n)]


def _text_kind(path: Path) -> str:
    lines = [ln for ln in _head_lines(path) if ln.strip()]
    if not lines:
        raise ChatlogError(f"[C003] {path.name} is empty: nothing to read")
    if sum(bool(WHATSAPP_HEADER.match(ln.lstrip("\u200e"))) for ln in lines) >= 1:
        return "whatsapp"
    if lines[0].lstrip().startswith("{"):
        try:
            json.loads(lines[0])
            return "jsonl"
        except json.JSONDecodeError:
            pass
    if any(ZALO_BRACKET.match(ln.strip()) or is_zalo_time(ln.strip()) for ln in lines):
        return "zalo_text"
    raise ChatlogError(
        f"[C003] {path.name}: text that is neither a WhatsApp chat nor a Zalo paste nor JSONL; "
        "pass format=..."
    )


def detect_format(path: str | Path) -> str:
    """The format of the export at ``path``: one of ``FORMATS``.

    Folders with ``message_N.json`` are Messenger, with ``result.json`` Telegram; ``.zip`` is
    WhatsApp; JSON is told apart by its keys, text by its first lines; CSV is ``zalo`` when
    the file name says Zalo, else ``csv``.

    Examples
    --------
    >>> detect_format("data/samples/chatlogs/whatsapp/ios_chat.txt")
    'whatsapp'
    """
    path = Path(path)
    if not path.exists():
        raise ChatlogError(f"[C001] {path} does not exist")
    if path.is_dir():
        if any(path.rglob("message_*.json")):
            return "messenger"
        if (path / "result.json").is_file():
            return "telegram"
        raise ChatlogError(f"[C002] {path}: a folder without message_N.json or result.json; give a file")
    suffix = path.suffix.lower()
    if suffix == ".zip" and zipfile.is_zipfile(path):
        return "whatsapp"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return _json_kind(path)
    if suffix in (".csv", ".tsv"):
        return "zalo" if "zalo" in path.name.lower() else "csv"
    return _text_kind(path)
