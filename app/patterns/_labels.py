"""The label taxonomy as the pattern library sees it (``app/taxonomy/labels.yaml``)."""

from __future__ import annotations

from app.taxonomy import label_ids, scam_labels

__all__ = ["SCAM_LABELS", "LABELS", "PATTERN_LABELS"]

SCAM_LABELS: tuple[str, ...] = scam_labels()
LABELS: tuple[str, ...] = label_ids()
# A pattern may also point to "any": a cross-cutting cue (urgency, secrecy ...) of no one family.
PATTERN_LABELS: tuple[str, ...] = (*LABELS, "any")
