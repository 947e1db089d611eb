"""The scam-pattern library: named, weighted, described regex patterns kept as YAML data."""

from ._check import check_library
from ._errors import PatternError
from ._labels import LABELS, PATTERN_LABELS, SCAM_LABELS
from ._library import PatternLibrary
from ._load import DATA_DIR, load_library
from ._meta import MetaExpr, parse_meta
from ._pattern import Pattern, PatternHit

__all__ = [
    "DATA_DIR",
    "LABELS",
    "MetaExpr",
    "PATTERN_LABELS",
    "Pattern",
    "PatternError",
    "PatternHit",
    "PatternLibrary",
    "SCAM_LABELS",
    "check_library",
    "load_library",
    "parse_meta",
]
