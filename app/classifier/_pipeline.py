"""Building the one Pipeline that training and serving share."""

from __future__ import annotations

from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from app.features import Normalizer, build_features

__all__ = ["build_pipeline", "linear_model"]


def build_pipeline(params: dict) -> Pipeline:
    """normalize -> features (n-gram channels + signals) -> calibrated logistic regression.

    ``params`` is the ``[model]`` section of ``training/config.toml``.
    """
    kind = params.get("estimator", "linear_svc")
    if kind == "linear_svc":
        # one-vs-rest linear SVM: as accurate as logistic regression on sparse text and an
        # order of magnitude faster to fit; the calibrator turns its margins into probabilities
        base = LinearSVC(
            C=float(params.get("C", 0.5)),
            class_weight=params.get("class_weight") or None,
            max_iter=int(params.get("max_iter", 5000)),
        )
    elif kind == "logreg":
        base = LogisticRegression(
            C=float(params.get("C", 8.0)),
            max_iter=int(params.get("max_iter", 2000)),
            class_weight=params.get("class_weight") or None,
        )
    else:
        raise ValueError(f"[M010] unknown model.estimator {kind!r}; use 'linear_svc' or 'logreg'")
    method = params.get("calibration", "sigmoid")
    clf = CalibratedClassifierCV(base, method=method, cv=int(params.get("calibration_cv", 3)), ensemble=False)
    return Pipeline([("normalize", Normalizer()), ("features", build_features(params)), ("clf", clf)])


def linear_model(pipeline: Pipeline):
    """The fitted linear model inside the calibrator (its ``coef_`` explains by weight)."""
    clf = pipeline.named_steps["clf"]
    if isinstance(clf, CalibratedClassifierCV):
        return clf.calibrated_classifiers_[0].estimator
    return clf
