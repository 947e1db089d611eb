"""The classifier: the shared Pipeline, model bundles on disk, and verdict rules."""

from ._bundle import (
    ARTEFACT,
    ModelBundle,
    ModelError,
    active_version,
    list_versions,
    load_bundle,
    runtime_versions,
    save_bundle,
    set_active,
)
from ._fast import FastScorer
from ._pipeline import build_pipeline, linear_model
from ._verdict import VERDICTS, decide, decide_many

__all__ = [
    "ARTEFACT",
    "FastScorer",
    "ModelBundle",
    "ModelError",
    "VERDICTS",
    "active_version",
    "build_pipeline",
    "decide",
    "decide_many",
    "linear_model",
    "list_versions",
    "load_bundle",
    "runtime_versions",
    "save_bundle",
    "set_active",
]
