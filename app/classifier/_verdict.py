"""From class probabilities to a verdict: scam, suspicious, spam or safe."""

from __future__ import annotations

import numpy as np

__all__ = ["VERDICTS", "decide", "decide_many"]

VERDICTS = ("scam", "suspicious", "spam", "safe")


def decide(probs: dict[str, float], scam_labels: set[str], thresholds: dict[str, float]) -> dict:
    """Turn probabilities into the verdict fields.

    ``risk_score`` is the probability that the message is any scam. ``verdict`` is ``scam``
    at or above the ``scam`` threshold, ``suspicious`` at or above ``suspicious``, else
    ``spam`` or ``safe`` by which of the two is likelier. ``label`` agrees with it: the scam
    type when ``is_scam``, otherwise ``spam`` or ``legit``; ``scam_type`` always names the
    likeliest scam type (useful for a ``suspicious`` verdict).
    """
    risk = float(sum(p for k, p in probs.items() if k in scam_labels))
    scam_type = max((k for k in probs if k in scam_labels), key=probs.__getitem__)
    p_spam, p_legit = probs.get("spam", 0.0), probs.get("legit", 0.0)
    benign = "spam" if p_spam > p_legit else "legit"
    if risk >= thresholds["scam"]:
        verdict, label = "scam", scam_type
    elif risk >= thresholds["suspicious"]:
        verdict, label = "suspicious", benign
    else:
        verdict, label = ("spam" if benign == "spam" else "safe"), benign
    return {
        "verdict": verdict,
        "label": label,
        "is_scam": verdict == "scam",
        "risk_score": round(min(max(risk, 0.0), 1.0), 4),
        "scam_type": scam_type,
        "probabilities": {k: round(float(v), 4) for k, v in probs.items()},
    }


def decide_many(P: np.ndarray, classes: list[str], scam_labels: set[str], thresholds: dict) -> list[dict]:
    """:func:`decide` for each row of ``P`` (columns in ``classes`` order), vectorized."""
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or not len(P):
        return [decide(dict(zip(classes, row, strict=True)), scam_labels, thresholds) for row in P]
    scam_cols = [i for i, c in enumerate(classes) if c in scam_labels]
    if not scam_cols:
        return [decide(dict(zip(classes, row, strict=True)), scam_labels, thresholds) for row in P]
    # the same sums and comparisons as decide(), in the same order of addition
    risk = np.zeros(len(P))
    for i in scam_cols:
        risk = risk + P[:, i]
    scam_type = [classes[scam_cols[j]] for j in np.argmax(P[:, scam_cols], axis=1)]
    spam = P[:, classes.index("spam")] if "spam" in classes else np.zeros(len(P))
    legit = P[:, classes.index("legit")] if "legit" in classes else np.zeros(len(P))
    rounded = np.round(P, 4).tolist()
    risk_out = np.round(np.clip(risk, 0.0, 1.0), 4).tolist()
    out = []
    for r in range(len(P)):
        benign = "spam" if spam[r] > legit[r] else "legit"
        if risk[r] >= thresholds["scam"]:
            verdict, label = "scam", scam_type[r]
        elif risk[r] >= thresholds["suspicious"]:
            verdict, label = "suspicious", benign
        else:
            verdict, label = ("spam" if benign == "spam" else "safe"), benign
        out.append(
            {
                "verdict": verdict,
                "label": label,
                "is_scam": verdict == "scam",
                "risk_score": risk_out[r],
                "scam_type": scam_type[r],
                "probabilities": dict(zip(classes, rounded[r], strict=True)),
            }
        )
    return out
