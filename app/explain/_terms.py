"""The words that weighed most in the model's decision, with spans into the original text."""

from __future__ import annotations

import re

import numpy as np

from app.text import NormalizedText

__all__ = ["top_terms"]

_WORD = re.compile(r"\w+")


def _channels(pipeline):
    """(name, HashedNgrams, column offset, weight) for each n-gram channel of the feature union."""
    union = pipeline.named_steps["features"]
    weights = union.transformer_weights or {}
    offset = 0
    out = []
    for name, trans in union.transformer_list:
        width = (
            len(trans.get_feature_names_out())
            if not hasattr(trans, "named_steps")
            else (trans.named_steps["counts"].n_features_out_)
        )
        if hasattr(trans, "named_steps") and "counts" in trans.named_steps:
            out.append((name, trans.named_steps["counts"], offset, weights.get(name, 1.0)))
        offset += width
    return out


def top_terms(pipeline, coef_row: np.ndarray, n: NormalizedText, x_row, k: int = 6) -> list[dict]:
    """Words of the message ranked by their contribution ``x_j * w_j`` toward one class.

    Each n-gram's contribution is shared among the words it covers, so a character 4-gram
    inside "khoản" counts for "khoản". Placeholders such as ``__url__`` map back to the link.
    """
    x = x_row.tocsr()
    value = dict(zip(x.indices.tolist(), x.data.tolist(), strict=True))
    words = [(m.start(), m.end()) for m in _WORD.finditer(n.folded)]
    if not words:
        return []
    starts = np.array([w[0] for w in words])
    score = np.zeros(len(words))
    for _, counts, offset, _w in _channels(pipeline):
        occ = counts.occurrences(n)
        if not occ:
            continue
        per_col: dict[int, int] = {}
        for _, _, c in occ:
            per_col[c] = per_col.get(c, 0) + 1
        for s, e, c in occ:
            j = offset + c
            v = value.get(j)
            if not v:
                continue
            contrib = v * float(coef_row[j]) / per_col[c]
            i0 = max(int(np.searchsorted(starts, s, side="right")) - 1, 0)
            hit = [i for i in range(i0, len(words)) if words[i][0] < e and words[i][1] > s]
            for i in hit:
                score[i] += contrib / len(hit)
    order, seen = [], set()
    for i in np.argsort(-score):
        term = n.text[words[i][0] : words[i][1]]
        if score[i] <= 0 or len(order) >= k:
            break
        if term not in seen:  # a word repeated in the message is named once, at its strongest
            seen.add(term)
            order.append(i)
    out = []
    for i in order:
        s, e = n.span_to_raw(*words[i])
        out.append(
            {
                "term": n.text[words[i][0] : words[i][1]],
                "text": n.raw[s:e],
                "start": s,
                "end": e,
                "weight": round(float(score[i]), 4),
            }
        )
    return out
