"""Building the one Pipeline that training and serving share."""

from __future__ import annotations

from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from app.features import Normalizer, build_features

from ._blend import BlendedClassifier

__all__ = ["build_pipeline", "calibrated_model", "linear_model"]


def build_pipeline(params: dict) -> Pipeline:
    """normalize -> features (n-gram channels + signals) -> calibrated linear model, with
    ``nb_weight`` of naive Bayes mixed in when it is above 0 (:class:`BlendedClassifier`).

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
    nb_weight = float(params.get("nb_weight", 0.0))
    if nb_weight > 0:
        clf = BlendedClassifier(clf, nb_alpha=float(params.get("nb_alpha", 0.1)), nb_weight=nb_weight)
    return Pipeline([("normalize", Normalizer()), ("features", build_features(params)), ("clf", clf)])


def calibrated_model(pipeline: Pipeline):
    """The fitted calibrated linear model (inside the blend, when there is one)."""
    clf = pipeline.named_steps["clf"]
    return clf.base_ if isinstance(clf, BlendedClassifier) else clf


def linear_model(pipeline: Pipeline):
    """The fitted linear model inside the calibrator (its ``coef_`` explains by weight)."""
    clf = calibrated_model(pipeline)
    if isinstance(clf, CalibratedClassifierCV):
        return clf.calibrated_classifiers_[0].estimator
    return clf
