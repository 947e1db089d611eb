"""``PatternLibrary``: the loaded, compiled patterns and the matcher."""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass

from app.text import NormalizedText

from ._meta import MetaExpr
from ._pattern import Pattern, PatternHit
from ._prefilter import NeedleIndex
from ._regex import Cue

__all__ = ["PatternLibrary"]

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A pattern ready to run: its cues, or its meta expression."""

    pattern: Pattern
    cues: tuple[Cue, ...]
    require: tuple[Cue, ...]
    unless: tuple[Cue, ...]
    meta: MetaExpr | None


class PatternLibrary:
    """Every pattern, compiled, with the content hash of the files they came from.

    Build it with :func:`load_library`, which validates the files.

    Attributes
    ----------
    patterns : list[Pattern]
        All patterns (sub-patterns and metas included) in file order.
    ids : list[str]
        The reported ids (no sub-patterns), sorted: the fixed column order of
        :meth:`hit_vector`.
    content_hash : str
        sha256 of the canonical content of all files.
    """

    def __init__(self, compiled: list[_Compiled], content_hash: str) -> None:
        self._plain = [c for c in compiled if c.meta is None]
        # metas arrive in dependency order (the loader sorts them): one pass evaluates them
        self._metas = [c for c in compiled if c.meta is not None]
        self.patterns: list[Pattern] = [c.pattern for c in compiled]
        self._by_id = {p.id: p for p in self.patterns}
        every_cue = [cue for c in compiled for cue in (*c.cues, *c.require, *c.unless)]
        self._index = NeedleIndex(
            (s for cue in every_cue for group in cue.needles or () for s in group),
            anywhere=(s for cue in every_cue for s in cue.anywhere),
        )
        # Which plain patterns a present needle can wake up: a pattern is a candidate when the
        # first (most selective) needle group of one of its cues is present, or when one of
        # its cues has no needle at all. The other patterns cannot fire and are not visited.
        self._always: list[int] = []
        self._wakes: dict[str, set[int]] = {}
        for i, c in enumerate(self._plain):
            for cue in c.cues:
                if cue.needles is None:
                    self._always.append(i)
                    break
                for s in cue.needles[0]:
                    self._wakes.setdefault(s, set()).add(i)
        # a meta whose ids all stayed silent always gives the same answer: work it out once
        self._meta_if_silent = {c.pattern.id: c.meta.evaluate(()) for c in self._metas if c.meta}
        self.ids: list[str] = sorted(p.id for p in self.patterns if not p.is_sub)
        self.content_hash = content_hash

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"PatternLibrary({len(self.ids)} reported patterns, hash={self.content_hash[:12]})"

    def get(self, pattern_id: str) -> Pattern:
        """The pattern with this id (``KeyError`` if there is none)."""
        return self._by_id[pattern_id]

    def _candidates(self, present: set[str]) -> set[int]:
        """The plain patterns woken by the needles present (the others cannot fire)."""
        candidates = set(self._always)
        for s in present:
            woken = self._wakes.get(s)
            if woken:
                candidates |= woken
        return candidates

    def _metas_firing(self, fired: Container[str], text: str, present: set[str]) -> Iterator[_Compiled]:
        """The metas that fire given the plain ids that fired, in dependency order.

        ``fired`` must grow with each one yielded (the caller adds it) so later metas see it.
        """
        for c in self._metas:
            assert c.meta is not None
            if c.meta.ids.isdisjoint(fired):
                fires = self._meta_if_silent[c.pattern.id]
            else:
                fires = c.meta.evaluate(fired)
            if fires and not _any(c.unless, text, present):
                yield c

    def fired(self, n: NormalizedText) -> dict[str, list[Span]]:
        """Every id that fired, sub-patterns included, with spans into ``n.folded``."""
        text = n.folded
        present = self._index.present(text)
        fired: dict[str, list[Span]] = {}
        for i in sorted(self._candidates(present)):
            c = self._plain[i]
            spans: list[Span] = []
            for cue in c.cues:
                if cue.may_match(present):
                    spans.extend(cue.spans(text))
            if not spans or _any(c.unless, text, present):
                continue
            for cue in c.require:
                found = cue.search(text) if cue.may_match(present) else None
                if found is None:
                    break
                spans.append(found)
            else:
                fired[c.pattern.id] = spans
        for c in self._metas_firing(fired, text, present):
            assert c.meta is not None
            fired[c.pattern.id] = [s for i in sorted(c.meta.ids) if i in fired for s in fired[i]]
        return fired

    def match(self, n: NormalizedText) -> list[PatternHit]:
        """The reported patterns that fire on a normalized message, strongest first.

        Parameters
        ----------
        n : NormalizedText
            The output of :func:`app.text.normalize`.

        Returns
        -------
        list[PatternHit]
            Sorted by weight (descending), then id; spans point into ``n.raw``.

        Examples
        --------
        >>> from app.patterns import load_library
        >>> from app.text import normalize
        >>> hit = load_library().match(normalize("Chuyển hết tiền vào tài khoản tạm giữ"))[0]
        >>> hit.id, hit.spans
        ('SAFE_ACCOUNT_TRANSFER', [(0, 37)])
        """
        hits = []
        to_raw: dict[Span, Span] = {}  # metas repeat the spans of their parts: map each once
        for pid, spans in self.fired(n).items():
            p = self._by_id[pid]
            if p.is_sub:
                continue
            raw = []
            for span in _merge(spans):
                if span not in to_raw:
                    to_raw[span] = n.span_to_raw(*span)
                raw.append(to_raw[span])
            hits.append(PatternHit(p.id, p.label, p.weight, p.name, p.description, _merge(raw)))
        hits.sort(key=lambda h: (-h.weight, h.id))
        return hits

    def fired_ids(self, n: NormalizedText) -> set[str]:
        """The reported ids that fire, as :meth:`match` finds them, without their spans.

        Stops at the first match of each pattern (``search``, not every match): what the
        model's features need, at about half the cost of :meth:`fired`.
        """
        text = n.folded
        present = self._index.present(text)
        fired: set[str] = set()
        for i in self._candidates(present):
            c = self._plain[i]
            if not any(cue.may_match(present) and cue.search(text) is not None for cue in c.cues):
                continue
            if _any(c.unless, text, present):
                continue
            if all(cue.may_match(present) and cue.search(text) is not None for cue in c.require):
                fired.add(c.pattern.id)
        for c in self._metas_firing(fired, text, present):
            fired.add(c.pattern.id)
        return {i for i in fired if not self._by_id[i].is_sub}

    def hit_vector(self, n: NormalizedText) -> list[float]:
        """The weight of each reported pattern that fired, 0.0 otherwise, in :attr:`ids` order."""
        fired = self.fired(n)
        return [self._by_id[i].weight if i in fired else 0.0 for i in self.ids]


def _any(cues: tuple[Cue, ...], text: str, present: set[str]) -> bool:
    return any(c.may_match(present) and c.search(text) is not None for c in cues)


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out
