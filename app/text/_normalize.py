"""``normalize(raw)``: the one entry point of the text layer, used by training and serving."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._align import OffsetMap, rewrite
from ._disguise import undo_disguise
from ._entities import Entity, find_entities
from ._tables import fold
from ._unicode import clean_unicode

__all__ = ["NormalizedText", "normalize", "PLACEHOLDERS"]

PLACEHOLDERS = {
    "url": "__url__",
    "email": "__email__",
    "phone": "__phone__",
    "bank_account": "__account__",
    "money": "__money__",
    "otp": "__otp__",
    "handle": "__handle__",
}
_SPACES = re.compile(r"\s{2,}|[^\S ]")  # runs of blanks, and any blank that is not a space


@dataclass(slots=True)
class NormalizedText:
    """A message made ready for the model, with the way back to the original text.

    Attributes
    ----------
    raw : str
        The text as received.
    clean : str
        Unicode cleaned (NFC, invisible characters removed, fancy letters folded), case kept.
    text : str
        ``clean`` lower-cased, entities replaced by placeholders (``__url__`` ...), disguise
        undone and whitespace collapsed: the model's main input.
    folded : str
        ``text`` without diacritics; it has the same length, so offsets are shared.
    entities : list[Entity]
        What was found, with spans into ``raw``.
    disguise : dict[str, int]
        How much disguise was undone: ``invisible``, ``fancy``, ``homoglyph``, ``salted``, ``glued``, ``spaced``,
        ``leet``, ``teencode`` counts, and ``words`` (the number of words, for rates).
    """

    raw: str
    clean: str
    text: str
    folded: str
    entities: list[Entity]
    disguise: dict[str, int]
    _to_clean: list[OffsetMap] = field(default_factory=list, repr=False)
    _to_raw: list[OffsetMap] = field(default_factory=list, repr=False)
    # results later steps derive from this text (e.g. pattern hits), so each is computed once
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def span_to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``text`` (or ``folded``) to the span of ``raw`` it came from."""
        for om in reversed(self._to_clean):
            start, end = om.start(start), om.end(end)
        return self.clean_span_to_raw(start, end)

    def clean_span_to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``clean`` to ``raw``."""
        for om in reversed(self._to_raw):
            start, end = om.start(start), om.end(end)
        return start, end

    @property
    def disguise_score(self) -> float:
        """Share of words that were disguised (0 for plain text; can exceed 1 for heavy use)."""
        d = self.disguise
        # "glued" is left out: brandname senders write "[SieuThiHoaBinh]" too
        n = d["fancy"] + d["homoglyph"] + 2 * (d["spaced"] + d["salted"]) + d["leet"] + min(d["invisible"], 5)
        return n / max(d["words"], 1)

    def segmented(self) -> list[str]:
        """Word-segment ``text`` with underthesea (slow: about 1 ms a message)."""
        from ._segment import segment

        return segment(self.text)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "folded": self.folded,
            "clean": self.clean,
            "entities": [e.to_dict() for e in self.entities],
            "disguise": dict(self.disguise),
            "disguise_score": round(self.disguise_score, 3),
        }


def normalize(raw: str) -> NormalizedText:
    """Normalize a Vietnamese message.

    Never raises on text: empty strings, emoji, NUL bytes, lone surrogates, right-to-left
    text and HTML all come back as a (possibly empty) :class:`NormalizedText`.

    Examples
    --------
    >>> n = normalize("B4n da zu d!eu k1en nh4n t1en, ck vào STK 0071000986547 Vietcombank")
    >>> n.text
    'ban da đủ dieu kien nhan tien, chuyển khoản vào số tài khoản __account__ vietcombank'
    >>> e = n.entities[0]; (e.kind, n.raw[e.start:e.end])
    ('bank_account', '0071000986547')
    """
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise TypeError(f"normalize() takes a str, not {type(raw).__name__}")
    clean, to_raw, counts = clean_unicode(raw)
    low = clean.lower()
    if len(low) != len(clean):  # rare letters whose lower case is longer (İ): keep offsets
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in clean)
    folded_low = fold(low)
    found = find_entities(low, folded_low)

    to_clean: list[OffsetMap] = []
    text = low
    if found:
        parts: list[str] = []
        edits: list[tuple[int, int, int, int]] = []
        last = 0
        out = 0
        for e in found:
            parts.append(low[last : e.start])
            out += e.start - last
            ph = " " + PLACEHOLDERS[e.kind] + " "
            edits.append((e.start, e.end, out, out + len(ph)))
            parts.append(ph)
            out += len(ph)
            last = e.end
        parts.append(low[last:])
        text = "".join(parts)
        to_clean.append(OffsetMap(edits))
    text, maps, dcounts = undo_disguise(text)
    to_clean.extend(maps)
    text, om = rewrite(text, _SPACES, _one_space)
    if om:
        to_clean.append(om)
    if text.startswith(" ") or text.endswith(" "):
        stripped = text.strip()
        lead = len(text) - len(text.lstrip())
        edits = []
        if lead:
            edits.append((0, lead, 0, 0))
        if len(text) - lead > len(stripped):
            edits.append((lead + len(stripped), len(text), len(stripped), len(stripped)))
        to_clean.append(OffsetMap(edits))
        text = stripped
    counts.update(dcounts)
    counts["words"] = text.count(" ") + 1 if text else 0

    entities = []
    for e in found:
        rs, re_ = _map_all(to_raw, e.start, e.end)
        entities.append(Entity(e.kind, rs, re_, raw[rs:re_], e.value, e.attrs))
    return NormalizedText(raw, clean, text, fold(text), entities, counts, to_clean, to_raw)


def _one_space(m: re.Match[str]) -> str:
    return " "


def _map_all(maps: list[OffsetMap], start: int, end: int) -> tuple[int, int]:
    for om in reversed(maps):
        start, end = om.start(start), om.end(end)
    return start, end
