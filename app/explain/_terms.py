"""The words that weighed most in the model's decision, with spans into the original text."""

from __future__ import annotations

import re
import weakref

import numpy as np

from app.text import NormalizedText

__all__ = ["top_terms"]

_WORD = re.compile(r"\w+")


def _width(trans) -> int:
    counts = trans.named_steps["counts"] if hasattr(trans, "named_steps") else trans
    width = getattr(counts, "n_features_out_", None)
    if width is None and hasattr(counts, "ids_"):
        width = len(counts.ids_)
    return int(width) if width is not None else len(trans.get_feature_names_out())


# per fitted pipeline; an entry goes with its pipeline (a swapped-out model leaves nothing here)
_LAYOUT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _channels(pipeline):
    """(name, HashedNgrams, column offset, weight) for each n-gram channel (cached per pipeline)."""
    key = pipeline
    if key not in _LAYOUT:
        union = pipeline.named_steps["features"]
        weights = union.transformer_weights or {}
        offset = 0
        out = []
        for name, trans in union.transformer_list:
            if hasattr(trans, "named_steps") and "counts" in trans.named_steps:
                out.append((name, trans.named_steps["counts"], offset, weights.get(name, 1.0)))
            offset += _width(trans)
        _LAYOUT[key] = out
    return _LAYOUT[key]


def top_terms(pipeline, coef_row: np.ndarray, n: NormalizedText, x_row, k: int = 6) -> list[dict]:
    """Words of the message ranked by their contribution ``x_j * w_j`` toward one class.

    Each n-gram's contribution is shared between the words at its two ends, so a character
    4-gram inside "khoản" counts for "khoản". Placeholders such as ``__url__`` map back to the
    link. Vectorized: about as costly as transforming the message once.
    """
    x = x_row.tocsr()
    words = [(m.start(), m.end()) for m in _WORD.finditer(n.folded)]
    if not words or x.nnz == 0:
        return []
    word_of = np.full(len(n.folded) + 1, -1, dtype=np.int64)
    for i, (s, e) in enumerate(words):
        word_of[s:e] = i
    score = np.zeros(len(words))
    order = np.argsort(x.indices)
    x_idx, x_val = x.indices[order], x.data[order]
    for _, counts, offset, _w in _channels(pipeline):
        o_starts, o_ends, o_cols = counts.occurrences(n)
        if not len(o_cols):
            continue
        starts = np.clip(o_starts, 0, len(n.folded) - 1)
        ends = np.clip(o_ends - 1, 0, len(n.folded) - 1)
        cols = o_cols + offset
        pos = np.searchsorted(x_idx, cols)
        pos = np.minimum(pos, len(x_idx) - 1)
        present = x_idx[pos] == cols
        if not present.any():
            continue
        # x_j is the whole column's value: split it among the column's occurrences
        uniq, inverse, per_col = np.unique(cols, return_inverse=True, return_counts=True)
        contrib = np.where(present, x_val[pos] * coef_row[cols], 0.0) / per_col[inverse]
        w0, w1 = word_of[starts], word_of[ends]
        same = w0 == w1
        for w, share in ((w0, np.where(same, 1.0, 0.5)), (w1, np.where(same, 0.0, 0.5))):
            ok = w >= 0
            np.add.at(score, w[ok], contrib[ok] * share[ok])
    chosen, seen = [], set()
    for i in np.argsort(-score):
        if score[i] <= 0 or len(chosen) >= k:
            break
        term = n.text[words[i][0] : words[i][1]]
        if term not in seen:  # a word repeated in the message is named once, at its strongest
            seen.add(term)
            chosen.append(i)
    out = []
    for i in chosen:
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
