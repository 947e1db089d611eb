"""Pattern-library hits as model features: the evidence people see also informs the model."""

from __future__ import annotations

from functools import cache

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["PatternFeatures", "PatternLibraryMismatch", "default_library"]


class PatternLibraryMismatch(RuntimeError):
    """The pattern library on disk is not the one the model was trained with."""


@cache
def default_library():
    """The pattern library shipped in ``app/patterns/data`` (loaded and validated once)."""
    from app.patterns import load_library

    return load_library(check_examples=False)


class PatternFeatures(TransformerMixin, BaseEstimator):
    """One column per reported pattern: its weight when it fires, else 0.

    The library itself is not pickled with the model; ``fit`` records its content hash and
    column order, and a model refuses to run against a library it was not trained with.
    """

    def __init__(self, scale: float = 0.2):
        self.scale = scale

    def fit(self, X, y=None):
        lib = default_library()
        self.ids_ = list(lib.ids)
        self.library_hash_ = lib.content_hash
        return self

    def check_library(self, lib) -> None:
        if lib.content_hash != self.library_hash_:
            raise PatternLibraryMismatch(
                f"[M011] the pattern library changed since this model was trained (model: "
                f"{self.library_hash_[:12]}, library: {lib.content_hash[:12]}); retrain the model "
                "(canhgiac train) or restore the library it was trained with"
            )

    def transform(self, X):
        lib = default_library()
        self.check_library(lib)
        rows = [lib.hit_vector(x) for x in X]
        return sp.csr_matrix(np.asarray(rows, dtype=np.float64).reshape(len(X), len(self.ids_)) * self.scale)

    def get_feature_names_out(self, input_features=None):
        return np.array([f"pattern__{i}" for i in self.ids_], dtype=object)
