"""Finding the conversation, sender, time and text columns of a table by their names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = ["ROLES", "fold_header", "match_columns"]

# Synonyms per role, Vietnamese and English; compared without case, diacritics, "_" or "-".
# A header equal to a synonym wins over one that merely contains it ("Tên nhóm" is a
# conversation, "Tên người gửi" a sender); the longest contained synonym wins otherwise.
ROLES: dict[str, tuple[str, ...]] = {
    "conversation": (
        "conversation", "conversation name", "hội thoại", "cuộc trò chuyện", "tên hội thoại",
        "nhóm", "tên nhóm", "group", "group name", "chat", "chat name", "thread", "title",
    ),
    "sender": (
        "sender", "sender name", "người gửi", "tên người gửi", "from", "author", "người nhắn",
        "tên", "name",
    ),
    "time": ("time", "thời gian", "timestamp", "datetime", "date time", "ngày giờ", "giờ", "sent at"),
    "date": ("date", "ngày"),
    "text": (
        "text", "message", "nội dung", "tin nhắn", "content", "body", "msg", "sms", "nội dung tin nhắn",
    ),
    "id": ("id", "message id", "msg id", "mã", "mã tin nhắn"),
}  # fmt: skip
# Too generic to count when they are only part of a longer header.
_EXACT_ONLY = {"ten", "name", "id", "ma", "chat", "from", "msg"}


def fold_header(name: str) -> str:
    """Lower case, no diacritics, ``đ`` as ``d``, separators as single spaces."""
    s = unicodedata.normalize("NFD", str(name).replace("\ufeff", "").strip().lower())
    s = "".join(c for c in s if unicodedata.category(c) != "Mn").replace("đ", "d")
    return " ".join(re.split(r"[\s_\-./]+", s)).strip()


_FOLDED = {role: tuple(fold_header(s) for s in syns) for role, syns in ROLES.items()}


def _candidates(header: str) -> Iterable[tuple[int, str]]:
    h = fold_header(header)
    words = f" {h} "
    for role, syns in _FOLDED.items():
        best = 0
        for syn in syns:
            if h == syn:
                best = max(best, 1000)
            elif syn not in _EXACT_ONLY and " id " not in words and f" {syn} " in words:
                best = max(best, len(syn))
        if best:
            yield best, role


def match_columns(headers: Sequence[str], *, text_column: str | None = None) -> dict[str, str]:
    """Map roles (conversation, sender, time, date, text, id) to the headers that hold them.

    Parameters
    ----------
    headers
        Column names as they appear in the file.
    text_column
        The text column chosen by the caller, matched without case; wins over the names.

    Returns
    -------
    dict
        ``role -> header`` for the roles found; ``text`` is missing when no column fits.

    Examples
    --------
    >>> match_columns(["Thời gian", "Người gửi", "Nội dung"])
    {'time': 'Thời gian', 'sender': 'Người gửi', 'text': 'Nội dung'}
    """
    found: dict[str, str] = {}
    taken: set[str] = set()
    if text_column is not None:
        wanted = fold_header(text_column)
        for h in headers:
            if fold_header(h) == wanted:
                found["text"] = h
                taken.add(h)
                break
    scored = sorted(
        ((score, -i, role, h) for i, h in enumerate(headers) for score, role in _candidates(h)),
        reverse=True,
    )
    for _, _, role, h in scored:
        if role not in found and h not in taken:
            found[role] = h
            taken.add(h)
    return found
