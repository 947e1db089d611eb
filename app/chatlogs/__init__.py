"""Streaming readers for exported chat logs (Telegram, Messenger, WhatsApp, Zalo, CSV, JSONL).

>>> from app.chatlogs import ReadStats, read_chatlog
>>> stats = ReadStats()
>>> for msg in read_chatlog("data/samples/chatlogs/telegram/result.json", stats=stats):
...     pass
"""

from ._columns import ROLES, match_columns
from ._detect import detect_format
from ._messenger import fix_mojibake
from ._read import read_chatlog
from ._summary import render_summary_md, summarize
from ._telegram import telegram_text
from ._times import parse_time
from ._types import FORMATS, ChatlogError, Message, ReadIssue, ReadStats, Reason
from ._write import excel_safe, write_results

__all__ = [
    "FORMATS",
    "ROLES",
    "ChatlogError",
    "Message",
    "ReadIssue",
    "ReadStats",
    "Reason",
    "detect_format",
    "excel_safe",
    "fix_mojibake",
    "match_columns",
    "parse_time",
    "read_chatlog",
    "render_summary_md",
    "summarize",
    "telegram_text",
    "write_results",
]
