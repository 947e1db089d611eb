"""The pipeline's first step: raw strings in, :class:`NormalizedText` objects out."""

from __future__ import annotations

from sklearn.base import BaseEstimator, TransformerMixin

from app.text import NormalizedText, normalize

__all__ = ["Normalizer", "field_text", "field_folded"]


class Normalizer(TransformerMixin, BaseEstimator):
    """Apply :func:`app.text.normalize` to every message (stateless)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X) -> list[NormalizedText]:
        return [x if isinstance(x, NormalizedText) else normalize(x) for x in X]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags


# Module-level selectors (not lambdas) so the fitted pipeline pickles.
def field_text(n: NormalizedText) -> str:
    """The normalized text with diacritics, padded so edge n-grams exist."""
    return " " + n.text + " "


def field_folded(n: NormalizedText) -> str:
    """The diacritic-free text, padded."""
    return " " + n.folded + " "
