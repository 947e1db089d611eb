"""What a pattern is (``Pattern``) and what a match reports (``PatternHit``)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Pattern", "PatternHit"]


@dataclass(frozen=True)
class Pattern:
    """One entry of a pattern file, validated.

    Attributes
    ----------
    id : str
        ``UPPER_SNAKE``, unique in the library; ids starting with ``__`` are sub-patterns.
    label : str
        The taxonomy label the pattern points to, or ``"any"`` for a cross-cutting cue.
    weight : float
        Evidence strength, 0.1 to 5.
    name, description : dict[str, str]
        ``{"vi": ..., "en": ...}``.
    file : str
        The file it came from (``bank_phishing.yaml``).
    is_meta : bool
        Whether it combines other patterns instead of matching text.
    is_sub : bool
        Whether it is a sub-pattern: used by metas, never reported.
    cues, require, unless : tuple[str, ...]
        Regexes on the folded text (empty for metas, which may still have ``unless``).
    meta : str or None
        The meta expression.
    examples, counter_examples : tuple[str, ...]
        Messages it must hit and must not hit (comments already stripped).
    """

    id: str
    label: str
    weight: float
    name: dict[str, str]
    description: dict[str, str]
    file: str
    is_meta: bool = False
    is_sub: bool = False
    cues: tuple[str, ...] = ()
    require: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    meta: str | None = None
    examples: tuple[str, ...] = field(default=(), repr=False)
    counter_examples: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class PatternHit:
    """A reported pattern that fired on a message.

    ``spans`` are sorted, merged ``(start, end)`` offsets into the ORIGINAL message: the words
    that fired it (for a meta, the words of the patterns it combines).
    """

    id: str
    label: str
    weight: float
    name: dict[str, str]
    description: dict[str, str]
    spans: list[tuple[int, int]]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "label": self.label,
            "weight": self.weight,
            "name": dict(self.name),
            "description": dict(self.description),
            "spans": [list(s) for s in self.spans],
        }
