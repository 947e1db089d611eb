"""Pattern-library hits as model features: the evidence people see also informs the model."""

from __future__ import annotations

from functools import cache

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["PatternFeatures", "PatternLibraryMismatch", "default_library", "pattern_hits", "pattern_ids"]


class PatternLibraryMismatch(RuntimeError):
    """The pattern library on disk is not the one the model was trained with."""


@cache
def default_library():
    """The pattern library shipped in ``app/patterns/data`` (loaded and validated once)."""
    from app.patterns import load_library

    return load_library(check_examples=False)


def pattern_hits(lib, n) -> list:
    """``lib.match(n)``, remembered on the NormalizedText so features and explanations share it."""
    cache = getattr(n, "cache", None)
    if cache is None:
        return lib.match(n)
    key = ("pattern_hits", lib.content_hash)
    if key not in cache:
        cache[key] = lib.match(n)
    return cache[key]


def pattern_ids(lib, n) -> set[str]:
    """The reported ids that fire on ``n``: from its remembered hits when an explanation has
    already matched it, else ``lib.fired_ids`` (no spans, about half the cost), remembered too."""
    cache = getattr(n, "cache", None)
    if cache is None:
        return lib.fired_ids(n)
    hits = cache.get(("pattern_hits", lib.content_hash))
    if hits is not None:
        return {h.id for h in hits}
    key = ("pattern_ids", lib.content_hash)
    if key not in cache:
        cache[key] = lib.fired_ids(n)
    return cache[key]


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
        col = {pid: j for j, pid in enumerate(self.ids_)}
        out = np.zeros((len(X), len(self.ids_)), dtype=np.float64)
        for i, x in enumerate(X):
            for pid in pattern_ids(lib, x):
                out[i, col[pid]] = lib.get(pid).weight
        return sp.csr_matrix(out * self.scale)

    def get_feature_names_out(self, input_features=None):
        return np.array([f"pattern__{i}" for i in self.ids_], dtype=object)
