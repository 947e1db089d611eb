"""The fast path for Telegram exports: ijson's C item builder, with chat boundaries marked in the bytes.

Walking ijson events in Python costs several times more than letting ijson's C backend build
each message. The C builder sees only one prefix, so it cannot tell which chat a message
belongs to; this reader marks the start of every chat's ``messages`` array in the byte stream
with a small object (``{"__canhgiac_chat__": k}``) that the C builder then yields in order.

The mark is placed by matching ``"messages": [`` in the raw bytes: in valid JSON that byte
sequence is always a key (a quote inside a string is escaped). It is accepted only after
Telegram's chat header (``{"name": ..., "type": ..., "id": ..., ``), read from the bytes just
before it. A ``messages`` array without that header raises ``Unrecognised``, and the caller
falls back to the event reader, which handles any layout.
"""

from __future__ import annotations

import json
import re
from typing import BinaryIO

__all__ = ["MARK", "ChatMarker", "Unrecognised"]

MARK = "__canhgiac_chat__"
_CHUNK = 1 << 16
_HISTORY = 8192  # bytes kept to read a chat header that straddles two chunks
_KEY = re.compile(rb'"(messages|chats|left_chats)"\s*:\s*([\[{])')
_HEADER = re.compile(
    rb'\{\s*(?:"name"\s*:\s*(?P<name>"(?:[^"\\]|\\.)*"|null)\s*,\s*)?'
    rb'"type"\s*:\s*"[^"\\]*"\s*,\s*"id"\s*:\s*(?P<id>-?\d+)\s*,\s*\Z'
)
_LISTS = {b"chats": "$.chats.list", b"left_chats": "$.left_chats.list"}


class Unrecognised(Exception):
    """A ``messages`` array whose chat header is not Telegram's usual one."""


class ChatMarker:
    """A binary reader over ``raw`` that inserts a mark at the start of each chat's messages.

    ``chats[k]`` is ``(json_path_of_chat, name, id)`` for the chat of mark ``k``. The key
    ``"left_chats"`` is renamed ``"chats"`` so that one prefix finds every message (ijson
    streams duplicate keys as they come); the JSON paths still say ``left_chats``.
    """

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.pending = b""  # read but not yet examined (a key may straddle chunks)
        self.history = b""  # the last bytes handed out, for headers that straddle
        self.out = bytearray()
        self.eof = False
        self.base = "$"
        self.index = -1
        self.chats: list[tuple[str, str | None, int | None]] = []

    def _examine(self, buf: bytes, final: bool) -> tuple[bytes, bytes]:
        """Mark what can be decided in ``buf``; return (bytes to hand out, bytes to keep)."""
        pieces = []
        pos = 0
        for m in _KEY.finditer(buf):
            key = m[1]
            if key in _LISTS:
                if m[2] == b"{":
                    self.base, self.index = _LISTS[key], -1
                    if key == b"left_chats":  # one prefix for the C builder: call them "chats" too
                        pieces.append(buf[pos : m.start()] + b'"chats"' + buf[m.start() + 12 : m.end()])
                        pos = m.end()
                continue
            if m[2] != b"[":
                continue
            rest = buf[m.end() :].lstrip()
            if not rest and not final:
                return b"".join(pieces) + buf[pos : m.start()], buf[m.start() :]
            before = (self.history + b"".join(pieces) + buf[pos : m.start()])[-_HISTORY:]
            header = _HEADER.search(before)
            if header is None:
                raise Unrecognised(f"messages array at byte ~{len(self.history)} without a chat header")
            name = json.loads(header["name"]) if header["name"] else None
            self.index += 1
            path = self.base if self.base == "$" else f"{self.base}[{self.index}]"
            self.chats.append((path, name, int(header["id"])))
            mark = b'{"' + MARK.encode() + b'": ' + str(len(self.chats) - 1).encode() + b"}"
            pieces.append(buf[pos : m.end()] + mark + (b"" if rest.startswith(b"]") else b","))
            pos = m.end()
        keep = 0 if final else min(64, len(buf) - pos)
        pieces.append(buf[pos : len(buf) - keep])
        return b"".join(pieces), buf[len(buf) - keep :]

    def read(self, n: int = -1) -> bytes:
        while not self.eof and (n < 0 or len(self.out) < n):
            chunk = self.raw.read(_CHUNK)
            self.eof = not chunk
            ready, self.pending = self._examine(self.pending + chunk, self.eof)
            self.history = (self.history + ready)[-_HISTORY:]
            self.out += ready
        if n < 0 or n >= len(self.out):
            data, self.out = bytes(self.out), bytearray()
        else:
            data = bytes(self.out[:n])
            del self.out[:n]
        return data
