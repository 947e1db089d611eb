"""``PatternLibrary``: the loaded, compiled patterns and the matcher."""

from __future__ import annotations

from dataclasses import dataclass

from app.text import NormalizedText

from ._meta import MetaExpr
from ._pattern import Pattern, PatternHit
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
        self.ids: list[str] = sorted(p.id for p in self.patterns if not p.is_sub)
        self.content_hash = content_hash

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"PatternLibrary({len(self.ids)} reported patterns, hash={self.content_hash[:12]})"

    def get(self, pattern_id: str) -> Pattern:
        """The pattern with this id (``KeyError`` if there is none)."""
        return self._by_id[pattern_id]

    def fired(self, n: NormalizedText) -> dict[str, list[Span]]:
        """Every id that fired, sub-patterns included, with spans into ``n.folded``."""
        text = n.folded
        fired: dict[str, list[Span]] = {}
        for c in self._plain:
            spans: list[Span] = []
            for cue in c.cues:
                if cue.may_match(text):
                    for m in cue.rx.finditer(text):
                        if m.end() > m.start():
                            spans.append(m.span())
            if not spans or _any(c.unless, text):
                continue
            for cue in c.require:
                m = cue.rx.search(text) if cue.may_match(text) else None
                if m is None:
                    break
                if m.end() > m.start():
                    spans.append(m.span())
            else:
                fired[c.pattern.id] = spans
        for c in self._metas:
            assert c.meta is not None
            if c.meta.evaluate(fired) and not _any(c.unless, text):
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
        for pid, spans in self.fired(n).items():
            p = self._by_id[pid]
            if p.is_sub:
                continue
            raw = _merge([n.span_to_raw(s, e) for s, e in spans])
            hits.append(PatternHit(p.id, p.label, p.weight, p.name, p.description, raw))
        hits.sort(key=lambda h: (-h.weight, h.id))
        return hits

    def hit_vector(self, n: NormalizedText) -> list[float]:
        """The weight of each reported pattern that fired, 0.0 otherwise, in :attr:`ids` order."""
        fired = self.fired(n)
        return [self._by_id[i].weight if i in fired else 0.0 for i in self.ids]


def _any(cues: tuple[Cue, ...], text: str) -> bool:
    return any(c.may_match(text) and c.rx.search(text) for c in cues)


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out
