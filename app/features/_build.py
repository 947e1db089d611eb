"""The feature union: n-gram channels over the normalized text plus dense signals."""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline

from ._hashed import HashedNgrams
from ._patterns import PatternFeatures
from ._signals import SignalFeatures

__all__ = ["build_features", "CHANNELS"]

CHANNELS = ("char_folded", "word_text", "word_folded")


def _channel(kind: str, field: str, ngram_range, bits: int, params: dict, max_key: str) -> Pipeline:
    return Pipeline(
        [
            (
                "counts",
                HashedNgrams(
                    kind,
                    field,
                    tuple(ngram_range),
                    bits,
                    int(params.get("min_df", 2)),
                    int(params.get(max_key, 200_000)),
                ),
            ),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ]
    )


def build_features(params: dict) -> FeatureUnion:
    """Build the channels from the ``[model]`` section of the training config.

    Channels: char n-grams of the diacritic-free text (robust to missing tones and to the
    remaining spelling noise), word n-grams of the text with diacritics (where tones carry
    meaning), word n-grams of the diacritic-free text, and the entity/disguise signals.
    """
    wmin, wmax = params.get("word_ngram", (1, 2))
    channels = [
        (
            "char_folded",
            _channel("char", "folded", params.get("char_ngram", (2, 5)), 21, params, "max_char_features"),
        ),
        ("word_text", _channel("word", "text", (wmin, wmax), 20, params, "max_word_features")),
        ("word_folded", _channel("word", "folded", (wmin, wmax + 1), 20, params, "max_word_features")),
        ("signals", SignalFeatures()),
    ]
    if params.get("patterns", True):
        channels.append(("patterns", PatternFeatures(float(params.get("pattern_scale", 0.2)))))
    return FeatureUnion(channels, transformer_weights=params.get("channel_weights") or None)
