"""The facade every front end uses: ``classify(text)`` and ``classify_many(texts)``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

from app.classifier import FastScorer, ModelBundle, decide_many, load_bundle
from app.entities import apply_to_verdict
from app.features import pattern_hits
from app.taxonomy import get_label, scam_labels
from app.text import NormalizedText, normalize

__all__ = ["Classifier", "DEFAULT_MODEL_DIR"]

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "model"


def _pattern_library():
    try:
        from app.features import default_library

        return default_library()
    except ImportError:  # the pattern library is optional for a bare model
        return None


class Classifier:
    """A loaded model ready to score messages.

    Normalization runs once per message: the pipeline accepts :class:`NormalizedText`, and
    the same object feeds the explanation, so training and serving share every step.
    """

    def __init__(self, bundle: ModelBundle) -> None:
        self.bundle = bundle
        self.version = bundle.version
        self.classes = bundle.classes
        self.thresholds = bundle.thresholds
        self._scams = set(scam_labels())
        self.fast = FastScorer(bundle.pipeline)
        self.patterns = _pattern_library()
        self.similar = None
        index_path = bundle.path / "similar.npz"
        if index_path.exists():
            from app.explain import SimilarIndex

            self.similar = SimilarIndex.load(index_path)
        # The suspicious-entity list (an EntityIndex or LiveIndex), when a database is set up:
        # a message naming a listed account, number or site gets more risk and a red flag.
        self.entity_index = None

    @classmethod
    def from_dir(cls, model_dir: str | Path | None = None, version: str | None = None) -> Classifier:
        """Load the active (or the named) version from ``model_dir``."""
        return cls(load_bundle(model_dir or DEFAULT_MODEL_DIR, version))

    # -- scoring ---------------------------------------------------------------------------
    def _verdicts(self, normed: list[NormalizedText], explain: bool) -> list[dict]:
        if not normed:
            return []
        # features once for the batch: the classifier and the explanation read the same rows;
        # the fast scorer is the pipeline's own arithmetic without per-call overhead
        if explain and self.patterns is not None:  # full hits (with spans) first: the features reuse them
            for n in normed:
                pattern_hits(self.patterns, n)
        X = self.fast.features(normed)
        P = self.fast.predict_proba_features(X)
        out = decide_many(P, self.classes, self._scams, self.thresholds)
        X = X.tocsr() if explain else None
        for i, (n, v) in enumerate(zip(normed, out, strict=True)):
            label = get_label(v["label"])
            v["label_name"] = label.name
            v["model_version"] = self.version
            v["entities"] = [e.to_dict() for e in n.entities]
            if explain:
                self._explain(n, v, X[i])
            apply_to_verdict(v, self.entity_index, self.thresholds)
        return out

    def _explain(self, n: NormalizedText, verdict: dict, x_row=None) -> None:
        """Attach the explanation and advice (see ``app.explain``)."""
        from app.explain import explain

        explain(self, n, verdict, x_row)

    def classify(self, text: str, *, explain: bool = True) -> dict:
        """Score one message and return the verdict object (a JSON-ready dict)."""
        return self._verdicts([normalize(text)], explain)[0]

    def classify_many(
        self, texts: Iterable[str], *, explain: bool = False, batch_size: int = 512
    ) -> Iterator[dict]:
        """Score messages in batches, yielding verdicts in input order (streams: constant memory)."""
        it = iter(texts)
        while batch := list(itertools.islice(it, batch_size)):
            yield from self._verdicts([normalize(t) for t in batch], explain)
