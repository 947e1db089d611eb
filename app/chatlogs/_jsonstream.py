"""Streaming the items of one JSON array with ijson, knowing where a broken file broke."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import ijson

__all__ = ["Items", "first_event"]


class Items:
    """The objects at ``prefix`` (e.g. ``"messages.item"``), streamed from ``fh``.

    After an ``ijson.JSONError``, ``inside`` tells whether the parser was in the middle of
    an item (which is then lost and must be counted) or between items.
    """

    def __init__(self, fh: BinaryIO, prefix: str):
        self.fh, self.prefix, self.inside = fh, prefix, False

    def _events(self) -> Iterator[tuple[str, str, object]]:
        prefix, item = self.prefix, self.prefix + "."
        for p, event, value in ijson.parse(self.fh, use_float=True):
            self.inside = (p == prefix and event != "end_map" and event != "end_array") or p.startswith(item)
            yield p, event, value

    def __iter__(self) -> Iterator[object]:
        return iter(ijson.items(self._events(), self.prefix))


def first_event(fh: BinaryIO) -> str | None:
    """The first parse event of a JSON file (``start_map``, ``start_array`` ...), if any."""
    try:
        for _, event, _ in ijson.parse(fh):
            return event
    except ijson.JSONError:
        return None
    return None
