"""One scan finds every cue literal in a message: Aho-Corasick over all needles.

Testing each cue's literals with ``in`` costs a substring search per literal (about 1,300 a
message). Instead an Aho-Corasick automaton (``pyahocorasick``, C) finds every occurrence of
every literal in one pass over the text, and each cue then needs only set look-ups.

Most literals follow a ``\\b`` in their cue, so they count only where a word starts (the
character before is not ``[a-z0-9_]``). Rather than check each hit in Python, the text and
those literals are both *marked*: a ``\\x01`` is put before every character that starts a
word (the first one included). A marked literal then occurs in the marked text exactly where
the literal occurs at a word start, because each mark depends only on the character before
it, which lies inside the match. Literals that may start inside a word ("anywhere") are
looked for in the plain text. The result is exactly the set of literals present.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from operator import itemgetter

import ahocorasick

__all__ = ["NeedleIndex"]

_MARK = "\x01"
_second = itemgetter(1)  # (end, needle) -> needle
_WORD_START = re.compile(r"(?<![a-z0-9_])")  # an empty match at every position a \b word can start


def _mark(text: str) -> str:
    return _WORD_START.sub(_MARK, text)


def _automaton(words: dict[str, str]) -> ahocorasick.Automaton | None:
    if not words:
        return None
    auto = ahocorasick.Automaton()
    for key, needle in words.items():
        auto.add_word(key, needle)
    auto.make_automaton()
    return auto


class NeedleIndex:
    """The set of needles (literal strings) present in a text, found in a single pass."""

    def __init__(self, needles: Iterable[str], anywhere: Iterable[str] = ()) -> None:
        """``needles`` start where a word starts; ``anywhere`` ones may start inside a word."""
        mid = set(anywhere)
        at_word = set(needles) - mid
        self._at_word = _automaton({_mark(w): w for w in at_word if w})
        self._anywhere = _automaton({w: w for w in mid if w})

    def present(self, text: str) -> set[str]:
        """Every needle that occurs in ``text`` (at a word start, unless it may occur anywhere)."""
        out: set[str] = set()
        if self._at_word is not None:
            out.update(map(_second, self._at_word.iter(_mark(text))))
        if self._anywhere is not None:
            out.update(map(_second, self._anywhere.iter(text)))
        return out
