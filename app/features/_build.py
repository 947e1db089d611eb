"""The feature union: n-gram channels over the normalized text plus dense signals."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from ._normalizer import field_folded, field_text
from ._signals import SignalFeatures

__all__ = ["build_features"]

TOKEN_PATTERN = r"(?u)\b\w+\b"  # keeps one-letter words and __url__-style placeholders


def build_features(params: dict) -> FeatureUnion:
    """Build the channels from the ``[model]`` section of the training config.

    Channels: char n-grams of the diacritic-free text (robust to missing tones and to the
    remaining spelling noise), word n-grams of the text with diacritics (where tones carry
    meaning), word n-grams of the diacritic-free text, and the entity/disguise signals.
    """
    cmin, cmax = params.get("char_ngram", (2, 5))
    wmin, wmax = params.get("word_ngram", (1, 2))
    min_df = int(params.get("min_df", 2))
    common = {"lowercase": False, "sublinear_tf": True, "min_df": min_df, "dtype": np.float32}
    channels = [
        (
            "char_folded",
            TfidfVectorizer(
                analyzer="char",
                preprocessor=field_folded,
                ngram_range=(cmin, cmax),
                max_features=int(params.get("max_char_features", 300_000)),
                **common,
            ),
        ),
        (
            "word_text",
            TfidfVectorizer(
                preprocessor=field_text,
                token_pattern=TOKEN_PATTERN,
                ngram_range=(wmin, wmax),
                max_features=int(params.get("max_word_features", 150_000)),
                **common,
            ),
        ),
        (
            "word_folded",
            TfidfVectorizer(
                preprocessor=field_folded,
                token_pattern=TOKEN_PATTERN,
                ngram_range=(wmin, wmax + 1),
                max_features=int(params.get("max_word_features", 150_000)),
                **common,
            ),
        ),
        ("signals", SignalFeatures()),
    ]
    weights = params.get("channel_weights") or None
    return FeatureUnion(channels, transformer_weights=weights)
