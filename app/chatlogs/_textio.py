"""Opening text exports: UTF-8 with or without BOM, else cp1258, else latin-1, and saying which."""

from __future__ import annotations

import codecs
import io
import unicodedata
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from ._types import ReadStats, Reason

__all__ = ["nfc", "open_text", "opener", "sniff_encoding"]

_CHUNK = 1 << 20


def _decodes(open_binary: Callable[[], BinaryIO], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open_binary() as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_encoding(open_binary: Callable[[], BinaryIO]) -> str:
    """``utf-8-sig`` (with BOM), ``utf-8``, ``cp1258`` or ``latin-1``: the first that decodes.

    The whole file is checked in 1 MiB chunks (constant memory), because an export can be
    pure ASCII for megabytes before its first Vietnamese letter.
    """
    with open_binary() as fh:
        bom = fh.read(3) == codecs.BOM_UTF8
    if _decodes(open_binary, "utf-8"):
        return "utf-8-sig" if bom else "utf-8"
    return "cp1258" if _decodes(open_binary, "cp1258") else "latin-1"


def nfc(text: str, encoding: str | None) -> str:
    """cp1258 writes Vietnamese tones as combining marks: compose them as UTF-8 text would."""
    return unicodedata.normalize("NFC", text) if encoding == "cp1258" else text


@contextmanager
def open_text(
    open_binary: Callable[[], BinaryIO], name: str, stats: ReadStats, *, newline: str | None = None
):
    """A text stream over ``open_binary()`` in the sniffed encoding, recorded in ``stats``."""
    encoding = sniff_encoding(open_binary)
    stats.encoding = encoding
    if encoding not in ("utf-8", "utf-8-sig"):
        stats.report(name, Reason.ENCODING, f"not UTF-8, read as {encoding}")
    with open_binary() as raw:
        text: IO[str] = io.TextIOWrapper(raw, encoding=encoding, newline=newline)
        try:
            yield text
        finally:
            text.detach()


def opener(path: Path) -> Callable[[], BinaryIO]:
    """A callable opening ``path`` for binary reading, as ``open_text`` wants."""
    return lambda: open(path, "rb")
