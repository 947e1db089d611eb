"""The Vietnamese text layer: clean-up, disguise undoing, entities with spans, folding."""

from ._disguise import is_syllable
from ._entities import ENTITY_KINDS, Entity
from ._normalize import PLACEHOLDERS, NormalizedText, normalize
from ._segment import segment
from ._tables import fold

__all__ = [
    "ENTITY_KINDS",
    "Entity",
    "NormalizedText",
    "PLACEHOLDERS",
    "fold",
    "is_syllable",
    "normalize",
    "segment",
]
