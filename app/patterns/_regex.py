"""Cue regexes: compiled under the library's safety rules, with the literals a match needs.

Like SpamAssassin's rule-base extractor, every cue is analysed once at load time for the
strings that any match must contain ("needles"). Matching then tests those with a plain
substring search and runs the regex only when one is present: most cues never run on most
messages, which keeps a whole-library scan well under a millisecond.
"""

from __future__ import annotations

import re
import re._constants as _c  # the regex parser ships with the stdlib; used only at load time
import re._parser as _p
from dataclasses import dataclass

from app.text import fold

__all__ = ["Cue", "compile_cue"]

_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT)
_MIN_NEEDLE = 2
_MAX_SETS = 3


@dataclass(frozen=True, slots=True)
class Cue:
    """A compiled cue; ``needles``: groups of strings, one of each must be in the text (None: no test)."""

    source: str
    rx: re.Pattern[str]
    needles: tuple[tuple[str, ...], ...] | None

    def may_match(self, text: str) -> bool:
        """Cheap test: False means the regex cannot match ``text``."""
        if self.needles is None:
            return True
        for group in self.needles:
            for s in group:
                if s in text:
                    break
            else:
                return False
        return True


def compile_cue(source: str) -> Cue:
    """Compile a cue for the folded text; raise ``ValueError`` (unsafe) or ``re.error``.

    Rejected: upper-case letters or diacritics (the folded text has neither, so the cue could
    never match), unbounded ``.*``/``.+`` gaps and nested quantifiers such as ``(a+)+``,
    which can backtrack for seconds on a long message.
    """
    if not isinstance(source, str) or not source:
        raise ValueError("a regex must be a non-empty string")
    rx = re.compile(source)
    tree = _p.parse(source)
    _check(tree, source, inside=None)
    if rx.fullmatch("") is not None:
        raise ValueError(f"regex {source!r} matches the empty string")
    return Cue(source, rx, _needles(tree))


def _check(seq, source: str, inside: tuple[int, int] | None) -> None:
    for op, av in seq:
        if op is _c.LITERAL:
            ch = chr(av)
            if ch != ch.lower() or fold(ch) != ch:
                raise ValueError(
                    f"regex {source!r} has {ch!r}: cues run on lower-case text without diacritics"
                )
        elif op in _REPEATS:
            lo, hi, sub = av
            unbounded = hi == _c.MAXREPEAT
            if unbounded and len(sub) == 1 and sub[0][0] is _c.ANY:
                raise ValueError(f"regex {source!r} has an unbounded '.*' or '.+': bound it, e.g. .{{0,40}}")
            if inside is not None and hi != 1:
                outer_lo, outer_hi = inside
                if unbounded or outer_hi == _c.MAXREPEAT:
                    raise ValueError(
                        f"regex {source!r} nests quantifiers (like (a+)+): it can backtrack without end"
                    )
            _check(sub, source, (lo, hi) if hi != 1 else inside)
        elif op is _c.SUBPATTERN:
            _check(av[-1], source, inside)
        elif op is _c.ATOMIC_GROUP:
            _check(av, source, inside)
        elif op is _c.BRANCH:
            for alt in av[1]:
                _check(alt, source, inside)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            _check(av[1], source, inside)


def _needles(seq) -> tuple[tuple[str, ...], ...] | None:
    """Sets of strings such that every match of ``seq`` contains one string of EACH set."""
    sets = _needle_sets(seq)
    if not sets:
        return None
    # the most selective sets first (long strings, few of them): a miss is found soonest
    sets.sort(key=lambda c: (-min(map(len, c)), len(c)))
    return tuple(tuple(sorted(c, key=lambda s: (-len(s), s))) for c in sets[:_MAX_SETS])


def _needle_sets(seq) -> list[frozenset[str]]:
    sets: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            sets.append(frozenset({"".join(run)}))
            run.clear()

    for op, av in seq:
        if op is _c.LITERAL:
            run.append(chr(av))
        elif op is _c.AT:
            continue  # \b, ^, $ take no characters: a literal run goes on across them
        elif op is _c.SUBPATTERN or op is _c.ATOMIC_GROUP:
            flush()
            sets.extend(_needle_sets(av[-1] if op is _c.SUBPATTERN else av))
        elif op is _c.BRANCH:
            flush()
            best = [_best(_needle_sets(alt)) for alt in av[1]]
            if all(best):
                sets.append(frozenset(s for b in best if b for s in b))
        elif op in _REPEATS:
            flush()
            lo, _hi, sub = av
            if lo >= 1:
                sets.extend(_needle_sets(sub))
        else:  # classes, '.', lookarounds, back-references: no literal to rely on
            flush()
    flush()
    return [c for c in sets if min(map(len, c)) >= _MIN_NEEDLE]


def _best(sets: list[frozenset[str]]) -> frozenset[str] | None:
    return max(sets, key=lambda c: (min(map(len, c)), -len(c))) if sets else None
