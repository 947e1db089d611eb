"""The fitted pipeline's arithmetic without scikit-learn's per-call machinery.

For one message, ``FeatureUnion.transform`` and ``CalibratedClassifierCV.predict_proba`` spend
about 12 ms in validation, joblib dispatch and output wrapping around well under 1 ms of
arithmetic. :class:`FastScorer` reads the fitted parameters once and does the same arithmetic
directly (hashed counts -> sublinear tf x idf -> l2 norm, linear decision function, sigmoid
calibration, normalisation, and the naive Bayes share when the model blends one in). It
reproduces the pipeline's output to float precision (a test checks it), and falls back to the
pipeline for any step it does not know.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import Pipeline

from app.features import HashedNgrams

from ._blend import BlendedClassifier
from ._pipeline import calibrated_model, linear_model

__all__ = ["FastScorer"]


def _tfidf(m: sp.csr_matrix, tf: TfidfTransformer) -> sp.csr_matrix:
    m = m.astype(np.float64)
    if tf.sublinear_tf:
        np.log(m.data, out=m.data)
        m.data += 1.0
    if tf.use_idf:
        m.data *= tf.idf_[m.indices]
    if tf.norm == "l2":
        per_row = np.diff(m.indptr)
        rows = np.repeat(np.arange(m.shape[0]), per_row)
        norms = np.sqrt(np.bincount(rows, weights=m.data**2, minlength=m.shape[0]))
        norms[norms == 0] = 1.0  # empty rows (no known n-gram) stay empty
        m.data /= np.repeat(norms, per_row)
    elif tf.norm is not None:
        raise ValueError("unsupported norm")
    return m


class FastScorer:
    """Features and calibrated probabilities from a fitted canhgiac pipeline."""

    def __init__(self, pipeline) -> None:
        self.pipeline = pipeline
        union = pipeline.named_steps["features"]
        weights = union.transformer_weights or {}
        self._blocks = []
        for name, trans in union.transformer_list:
            w = float(weights.get(name, 1.0))
            steps = [s for _, s in trans.steps] if isinstance(trans, Pipeline) else None
            if (
                steps
                and len(steps) == 2
                and isinstance(steps[0], HashedNgrams)
                and isinstance(steps[1], TfidfTransformer)
            ):
                self._blocks.append(("ngrams", steps[0], steps[1], w))
            else:
                self._blocks.append(("other", trans, None, w))
        # One copy of the linear weights, transposed and C-contiguous (sparse @ dense.T would copy
        # 40 MB every call). The fitted estimator is given a view of the same memory, so the
        # pipeline, this scorer and the explanation read one array, not three.
        model = linear_model(pipeline)
        self.coef_t: np.ndarray | None = None
        self.coef_classes: list = []
        if hasattr(model, "coef_"):
            self.coef_t = np.ascontiguousarray(np.asarray(model.coef_, dtype=np.float64).T)
            model.coef_ = self.coef_t.T
            self.coef_classes = list(model.classes_)
        self._blend = pipeline.named_steps["clf"]
        if not isinstance(self._blend, BlendedClassifier):
            self._blend = None
        clf = calibrated_model(pipeline)
        self._proba = None
        cal = getattr(clf, "calibrated_classifiers_", None)
        if (
            cal
            and len(cal) == 1
            and cal[0].method == "sigmoid"
            and cal[0].estimator is model
            and self.coef_t is not None
        ):
            c = cal[0]
            order = np.searchsorted(np.asarray(c.classes), np.asarray(model.classes_))
            self._intercept = np.asarray(model.intercept_, dtype=np.float64)
            self._a = np.array([cal_.a_ for cal_ in c.calibrators], dtype=np.float64)
            self._b = np.array([cal_.b_ for cal_ in c.calibrators], dtype=np.float64)
            self._order = order
            self._n_classes = len(c.classes)
            self._proba = True

    def features(self, X) -> sp.csr_matrix:
        """What ``pipeline.named_steps["features"].transform(X)`` returns."""
        blocks = []
        for kind, a, b, w in self._blocks:
            m = _tfidf(a.transform(X), b) if kind == "ngrams" else sp.csr_matrix(a.transform(X))
            blocks.append(m * w if w != 1.0 else m)
        return sp.hstack(blocks, format="csr")

    def predict_proba_features(self, X: sp.csr_matrix) -> np.ndarray:
        """What ``pipeline.named_steps["clf"].predict_proba(X)`` returns."""
        if not self._proba:
            return self.pipeline.named_steps["clf"].predict_proba(X)
        P = self._calibrated(X)
        return self._blend.mix(P, X) if self._blend is not None else P

    def _calibrated(self, X: sp.csr_matrix) -> np.ndarray:
        D = np.asarray(X @ self.coef_t) + self._intercept
        if D.ndim == 1:
            D = D.reshape(-1, 1)
        P = np.zeros((X.shape[0], self._n_classes))
        P[:, self._order] = expit(-(self._a * D + self._b))
        denom = P.sum(axis=1, keepdims=True)
        uniform = np.full_like(P, 1.0 / self._n_classes)
        return np.divide(P, denom, out=uniform, where=denom != 0)
