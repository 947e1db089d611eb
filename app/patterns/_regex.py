"""Cue regexes: compiled under the library's safety rules, with the literals a match needs.

Like SpamAssassin's rule-base extractor, every cue is analysed once at load time for the
strings that any match must contain ("needles"). Matching finds the needles present in one
pass (``_prefilter``) and runs a cue's regex only when its needles are there: most cues
never run on most messages, which keeps a whole-library scan well under a millisecond.

Most cues also start with a known word (``\\b(?:chuyen|gui|nop)...``): for those, the regex
is tried only where one of these "leads" occurs (``str.find``), instead of at every position
of the message, which is what a plain ``finditer`` does when a pattern starts with ``\\b``.
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
_MAX_LEADS = 16  # more leads cost more str.find calls than one regex scan
_WORD = re.compile(r"\w")
_LEADING_NON_WORD = re.compile(r"^\W+")

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Cue:
    """A compiled cue; ``needles``: groups of strings, one of each must be in the text (None: no test)."""

    source: str
    rx: re.Pattern[str]
    needles: tuple[frozenset[str], ...] | None
    anywhere: frozenset[str] = frozenset()  # needles that may start inside a word
    leads: tuple[str, ...] | None = None  # every match starts with one of these

    def may_match(self, present: set[str]) -> bool:
        """Cheap test on the needles ``present`` in a text: False means no match is possible."""
        if self.needles is None:
            return True
        for group in self.needles:
            if group.isdisjoint(present):
                return False
        return True

    def spans(self, text: str) -> list[Span]:
        """The non-empty matches, exactly as ``rx.finditer`` would find them."""
        if self.leads is None:
            return [m.span() for m in self.rx.finditer(text) if m.end() > m.start()]
        out: list[Span] = []
        last = 0
        match = self.rx.match
        for p in self._starts(text):
            if p < last:
                continue
            m = match(text, p)  # \b and look-behinds still see the text before p
            if m is not None and m.end() > p:
                out.append((p, m.end()))
                last = m.end()
        return out

    def search(self, text: str) -> Span | None:
        """The first non-empty match, or None."""
        if self.leads is None:
            for m in self.rx.finditer(text):
                if m.end() > m.start():
                    return m.span()
            return None
        match = self.rx.match
        for p in self._starts(text):
            m = match(text, p)
            if m is not None and m.end() > p:
                return p, m.end()
        return None

    def _starts(self, text: str) -> list[int]:
        assert self.leads is not None
        starts: set[int] = set()
        find = text.find
        for lead in self.leads:
            i = find(lead)
            while i != -1:
                starts.add(i)
                i = find(lead, i + 1)
        return sorted(starts)


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
    needles, anywhere = _needles(tree)
    leads, _complete = _leads(tree)
    return Cue(source, rx, needles, anywhere, tuple(sorted(leads)) if leads else None)


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


def _needles(seq) -> tuple[tuple[frozenset[str], ...] | None, frozenset[str]]:
    """Sets of strings such that every match of ``seq`` contains one string of EACH set, and
    the strings among them that may start inside a word (the others start a word)."""
    sets = _needle_sets(seq, False)
    if not sets:
        return None, frozenset()
    # the most selective sets first (long strings, few of them): a miss is found soonest
    sets.sort(key=lambda c: (-min(map(len, c[0])), len(c[0])))
    chosen = sets[:_MAX_SETS]
    return tuple(group for group, _ in chosen), frozenset(x for _, mid in chosen for x in mid)


# A needle set, and those of its strings that may start inside a word.
_Needles = tuple[frozenset[str], frozenset[str]]


def _needle_sets(seq, at_word: bool) -> list[_Needles]:
    sets: list[_Needles] = []
    run: list[str] = []
    run_at_word = False
    boundary = at_word  # the current position starts a word (after \b or a blank)

    def flush() -> None:
        if run:
            sets.append(_word_starts({"".join(run)}, run_at_word))
            run.clear()

    for op, av in seq:
        if op is _c.LITERAL:
            ch = chr(av)
            if not run:
                run_at_word = boundary and _WORD.match(ch) is not None
            run.append(ch)
            boundary = _WORD.match(ch) is None
            continue
        if op is _c.AT:  # \b, ^, $ take no characters: a literal run goes on across them
            if av is _c.AT_BOUNDARY and not run:
                boundary = True
            continue
        glued = False
        if run and (op is _c.BRANCH or (op is _c.SUBPATTERN and not av[1] and not av[2])):
            # "c" + (hi con|on lai): the parser factors common prefixes out of alternatives;
            # glued back, the needles are whole words again ("chi con", "con lai")
            leads, _complete = _leads([(op, av)])
            if leads:
                prefix = "".join(run)
                sets.append(_word_starts({prefix + x for x in leads}, run_at_word))
                glued = True
        flush()
        if glued:
            pass  # the glued words say more than the word pieces inside the group
        elif op is _c.SUBPATTERN or op is _c.ATOMIC_GROUP:
            sets.extend(_needle_sets(av[-1] if op is _c.SUBPATTERN else av, boundary))
        elif op is _c.BRANCH:
            best = [_best(_needle_sets(alt, boundary)) for alt in av[1]]
            if all(best):
                sets.append(
                    (
                        frozenset(x for b in best if b for x in b[0]),
                        frozenset(x for b in best if b for x in b[1]),
                    )
                )
        elif op in _REPEATS:
            lo, _hi, sub = av
            if lo >= 1:
                sets.extend(_needle_sets(sub, False))
            # after "(?:lai )?" a word starts if one started before and the group ends in a blank
            ends_blank = bool(sub) and sub[-1][0] is _c.LITERAL and not _WORD.match(chr(sub[-1][1]))
            boundary = ends_blank and (boundary or lo >= 1)
            continue
        # classes, '.', lookarounds, back-references: no literal to rely on
        boundary = False
    flush()
    return [c for c in sets if min(map(len, c[0])) >= _MIN_NEEDLE]


def _word_starts(strings: set[str], at_word: bool) -> _Needles:
    """Drop the blanks and punctuation strings start with: what follows starts a word."""
    out: set[str] = set()
    mid: set[str] = set()
    for x in strings:
        y = _LEADING_NON_WORD.sub("", x)
        if x.startswith("__"):  # placeholders: the text layer always puts a blank before them
            out.add(x)
        elif not y:
            out.add(x)
            mid.add(x)
        elif y != x or at_word:
            out.add(y)
        else:
            out.add(x)
            mid.add(x)
    return frozenset(out), frozenset(mid)


def _best(sets: list[_Needles]) -> _Needles | None:
    return max(sets, key=lambda c: (min(map(len, c[0])), -len(c[0]))) if sets else None


def _leads(seq) -> tuple[frozenset[str] | None, bool]:
    """Strings one of which every match of ``seq`` starts with (None: unknown), and whether
    they are exactly what ``seq`` matches (so a following literal can be appended)."""
    items = list(seq)
    i = 0
    while i < len(items) and items[i][0] is _c.AT:  # a leading \b takes no characters
        i += 1
    prefixes = {""}
    for op, av in items[i:]:
        if op is _c.LITERAL:
            prefixes = {p + chr(av) for p in prefixes}
            continue
        if op is _c.SUBPATTERN and not av[1] and not av[2]:
            sub, complete = _leads(av[-1])
        elif op is _c.BRANCH:
            alts = [_leads(alt) for alt in av[1]]
            if any(a is None for a, _ in alts):
                sub, complete = None, False
            else:
                sub = frozenset(x for a, _ in alts if a is not None for x in a)
                complete = all(c for _, c in alts)
        else:
            sub, complete = None, False
        if sub is None:
            return _usable(prefixes), False
        joined = {p + x for p in prefixes for x in sub}
        if len(joined) > _MAX_LEADS:
            return _usable(prefixes), False
        prefixes = joined
        if not complete:
            return _usable(prefixes), False
    return _usable(prefixes), i == 0


def _usable(prefixes: set[str]) -> frozenset[str] | None:
    return frozenset(prefixes) if prefixes and "" not in prefixes else None
