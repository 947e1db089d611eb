"""Word segmentation with underthesea: the only module that imports it."""

from __future__ import annotations

from functools import cache

__all__ = ["segment"]


@cache
def _tokenizer():
    from underthesea import word_tokenize  # imported late: it costs ~1 s at start-up

    return word_tokenize


def segment(text: str) -> list[str]:
    """Split ``text`` into words, joining the syllables of a compound with ``_``.

    Examples
    --------
    >>> segment("chuyển khoản ngay cho ngân hàng")
    ['chuyển_khoản', 'ngay', 'cho', 'ngân_hàng']
    """
    if not text.strip():
        return []
    return [w.replace(" ", "_") for w in _tokenizer()(text)]
