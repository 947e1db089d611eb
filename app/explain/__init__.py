"""Explanations people can check: matched patterns, red flags and influential words, each
with spans into the original text, a summary of why, advice, and similar known scams."""

from __future__ import annotations

from app.features import pattern_hits
from app.text import NormalizedText

from ._redflags import FLAG_REASONS, red_flags
from ._similar import SimilarIndex, signature
from ._summary import advice_for, summarize
from ._terms import top_terms

__all__ = [
    "FLAG_REASONS",
    "SimilarIndex",
    "advice_for",
    "explain",
    "red_flags",
    "signature",
    "summarize",
    "top_terms",
]


def _pattern_dicts(n: NormalizedText, hits) -> list[dict]:
    out = []
    for h in hits:
        out.append(
            {
                "id": h.id,
                "label": h.label,
                "name": h.name,
                "description": h.description,
                "weight": h.weight,
                "spans": [{"start": s, "end": e, "text": n.raw[s:e]} for s, e in h.spans],
            }
        )
    return sorted(out, key=lambda p: -p["weight"])


def explain(classifier, n: NormalizedText, verdict: dict, x_row=None) -> None:
    """Add ``explanation`` and ``advice`` to ``verdict`` (in place).

    ``classifier`` is an :class:`app.service.Classifier`; its pattern library, similar-scam
    index and fitted pipeline are used as they are, so the explanation names the same
    evidence the model saw. ``x_row`` is the message's feature row when the caller already
    computed it (the service does), saving a second transform.
    """
    lib = getattr(classifier, "patterns", None)
    hits = pattern_hits(lib, n) if lib is not None else []
    patterns = _pattern_dicts(n, hits)
    flags = red_flags(n)
    pipe = classifier.bundle.pipeline
    target = verdict["scam_type"] if verdict["verdict"] in ("scam", "suspicious") else verdict["label"]
    fast = classifier.fast  # holds the model's one copy of the weights, one column per class
    terms: list[dict] = []
    if fast.coef_t is not None and target in fast.coef_classes:
        if x_row is None:
            x_row = fast.features([n])
        terms = top_terms(pipe, fast.coef_t[:, fast.coef_classes.index(target)], n, x_row)
    index = getattr(classifier, "similar", None)
    similar = index.query(n) if index is not None and verdict["verdict"] != "safe" else []
    summary = summarize(verdict, patterns, flags, similar)
    verdict["explanation"] = {
        "summary": summary["vi"],
        "summary_en": summary["en"],
        "patterns": patterns,
        "red_flags": flags,
        "top_terms": terms,
        "similar_known_scams": similar,
    }
    verdict["advice"] = advice_for(verdict)
