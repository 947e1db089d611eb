"""Picklable scikit-learn transformers that turn messages into features."""

from ._build import build_features
from ._hashed import HashedNgrams
from ._normalizer import Normalizer, field_folded, field_text
from ._patterns import PatternFeatures, PatternLibraryMismatch, default_library, pattern_hits
from ._signals import SIGNAL_NAMES, SUSPICIOUS_TLDS, SignalFeatures, url_flags

__all__ = [
    "HashedNgrams",
    "Normalizer",
    "PatternFeatures",
    "PatternLibraryMismatch",
    "default_library",
    "pattern_hits",
    "SignalFeatures",
    "SIGNAL_NAMES",
    "SUSPICIOUS_TLDS",
    "build_features",
    "field_folded",
    "field_text",
    "url_flags",
]
