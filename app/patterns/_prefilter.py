"""One scan finds every cue literal in a message: a trie-shaped regex over all needles.

Testing each cue's literals with ``in`` costs a substring search per literal (about 1,000 a
message). Instead one regex, built as a trie so that each position tries only the letters
that can follow, reports the longest literal starting at every position; the literals that
are prefixes of a found one are present too. Most literals follow a ``\\b`` in their cue, so
they are looked for only where a word starts, which skips four positions in five. The result
is every literal present (and perhaps a few more, never fewer), and each cue then needs only
set look-ups.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["NeedleIndex"]


class NeedleIndex:
    """The set of needles (literal strings) present in a text, found in a single pass."""

    def __init__(self, needles: Iterable[str], anywhere: Iterable[str] = ()) -> None:
        """``needles`` start where a word starts; ``anywhere`` ones may start inside a word."""
        mid = set(anywhere)
        at_word = set(needles) - mid
        known = at_word | mid
        self._closure: dict[str, frozenset[str]] = {
            w: frozenset(w[:i] for i in range(1, len(w) + 1) if w[:i] in known) for w in known
        }
        self._scans = []
        if at_word:
            # (?<![a-z0-9_]) lets through every position where a cue's \b can hold
            self._scans.append(re.compile(r"(?<![a-z0-9_])(?=(" + _trie(sorted(at_word)) + "))"))
        if mid:
            self._scans.append(re.compile("(?=(" + _trie(sorted(mid)) + "))"))

    def present(self, text: str) -> set[str]:
        """Every needle that occurs in ``text`` (a superset is possible, never a subset)."""
        out: set[str] = set()
        closure = self._closure
        for rx in self._scans:
            for found in set(rx.findall(text)):
                out |= closure[found]
        return out


def _trie(words: list[str]) -> str:
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node(root)


def _node(node: dict) -> str:
    # greedy optional groups: at each position the longest needle wins, shorter ones that
    # are its prefixes are added back by the closure
    alts = [re.escape(ch) + _node(child) for ch, child in sorted(node.items()) if ch]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    if "" in node:
        return "(?:" + body + ")?"
    return body
