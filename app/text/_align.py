"""Offset bookkeeping: every rewrite of the text remembers how to map spans back."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable

__all__ = ["OffsetMap", "rewrite"]


class OffsetMap:
    """Maps offsets in a rewritten string back to the string it was rewritten from.

    A rewrite is a sorted list of non-overlapping edits ``(src_start, src_end, out_start,
    out_end)``: the source slice ``[src_start, src_end)`` became the output slice
    ``[out_start, out_end)``. Outside the edits the two strings agree character by
    character. A span that starts or ends inside an edit widens to the whole edit, so a
    span over an expanded abbreviation (``ck`` -> ``chuyển khoản``) maps back to ``ck``.
    """

    __slots__ = ("_src_starts", "_src_ends", "_out_starts", "_out_ends")

    def __init__(self, edits: list[tuple[int, int, int, int]]) -> None:
        self._src_starts = [e[0] for e in edits]
        self._src_ends = [e[1] for e in edits]
        self._out_starts = [e[2] for e in edits]
        self._out_ends = [e[3] for e in edits]

    def start(self, pos: int) -> int:
        """Map an inclusive start offset of the output to the source."""
        i = bisect_right(self._out_starts, pos) - 1
        if i < 0:
            return pos
        if pos < self._out_ends[i]:
            return self._src_starts[i]
        return pos - self._out_ends[i] + self._src_ends[i]

    def end(self, pos: int) -> int:
        """Map an exclusive end offset of the output to the source."""
        i = bisect_left(self._out_starts, pos) - 1
        if i < 0:
            return pos
        if pos <= self._out_ends[i]:
            return self._src_ends[i]
        return pos - self._out_ends[i] + self._src_ends[i]


def rewrite(
    text: str,
    pattern: re.Pattern[str],
    repl: Callable[[re.Match[str]], str | None],
) -> tuple[str, OffsetMap | None]:
    """Substitute ``pattern`` in ``text`` and record the edits.

    ``repl`` returns the replacement, or ``None`` to keep the match. Returns the new text
    and an :class:`OffsetMap` (``None`` when nothing changed, which is the common case and
    costs only the regex scan).
    """
    parts: list[str] = []
    edits: list[tuple[int, int, int, int]] = []
    last = 0
    out_len = 0
    for m in pattern.finditer(text):
        new = repl(m)
        if new is None:
            continue
        s, e = m.span()
        if new == text[s:e]:
            continue
        parts.append(text[last:s])
        out_len += s - last
        edits.append((s, e, out_len, out_len + len(new)))
        parts.append(new)
        out_len += len(new)
        last = e
    if not edits:
        return text, None
    parts.append(text[last:])
    return "".join(parts), OffsetMap(edits)
