"""Explanations people can check: matched patterns, red flags and influential words, each
with spans into the original text, a summary of why, advice, and similar known scams."""

from __future__ import annotations

import numpy as np

from app.classifier import linear_model
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


def explain(classifier, n: NormalizedText, verdict: dict) -> None:
    """Add ``explanation`` and ``advice`` to ``verdict`` (in place).

    ``classifier`` is an :class:`app.service.Classifier`; its pattern library, similar-scam
    index and fitted pipeline are used as they are, so the explanation names the same
    evidence the model saw.
    """
    lib = getattr(classifier, "patterns", None)
    hits = lib.match(n) if lib is not None else []
    patterns = _pattern_dicts(n, hits)
    flags = red_flags(n)
    pipe = classifier.bundle.pipeline
    target = verdict["scam_type"] if verdict["verdict"] in ("scam", "suspicious") else verdict["label"]
    model = linear_model(pipe)
    classes = list(pipe.classes_)
    terms: list[dict] = []
    if hasattr(model, "coef_") and target in classes:
        x = pipe.named_steps["features"].transform([n])
        coef = np.asarray(model.coef_[classes.index(target)]).ravel()
        terms = top_terms(pipe, coef, n, x)
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
