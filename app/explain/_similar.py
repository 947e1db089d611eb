"""Similar known scams: MinHash signatures in an LSH index, like Rspamd's fuzzy hashes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from app.features._hashed import char_ngram_hashes
from app.text import NormalizedText, normalize

__all__ = ["SimilarIndex", "signature"]

N_PERM = 64
BANDS = 16
ROWS = N_PERM // BANDS
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20261130)
_A = _rng.integers(1, (1 << 61) - 1, N_PERM, dtype=np.uint64)
_B = _rng.integers(0, (1 << 61) - 1, N_PERM, dtype=np.uint64)


def signature(n: NormalizedText | str) -> np.ndarray | None:
    """MinHash of the message's char 5-grams (diacritics, case and digits ignored)."""
    if isinstance(n, str):
        n = normalize(n)
    text = re.sub(r"\d", "0", n.folded)
    if len(text) < 20:
        return None  # too short to call anything a copy
    _, h = char_ngram_hashes([text], 5, 5, 61)
    h = np.unique(h).astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = (h[None, :] * _A[:, None] + _B[:, None]) % _PRIME
    return mixed.min(axis=1)


class SimilarIndex:
    """Known scam messages by signature; ``query`` answers from a few hash-bucket look-ups."""

    def __init__(
        self,
        ids: list[str] | None = None,
        labels: list[str] | None = None,
        signatures: np.ndarray | None = None,
    ) -> None:
        self.ids = list(ids or [])
        self.labels = list(labels or [])
        self.signatures = signatures if signatures is not None else np.zeros((0, N_PERM), np.uint64)
        self._buckets: list[dict[bytes, list[int]]] = [{} for _ in range(BANDS)]
        for i, sig in enumerate(self.signatures):
            self._insert(i, sig)

    def _insert(self, i: int, sig: np.ndarray) -> None:
        for b in range(BANDS):
            self._buckets[b].setdefault(sig[b * ROWS : (b + 1) * ROWS].tobytes(), []).append(i)

    def add(self, case_id: str, label: str, n: NormalizedText | str) -> bool:
        sig = signature(n)
        if sig is None:
            return False
        self.ids.append(case_id)
        self.labels.append(label)
        self.signatures = np.vstack([self.signatures, sig[None, :]])
        self._insert(len(self.ids) - 1, sig)
        return True

    def query(self, n: NormalizedText | str, *, min_similarity: float = 0.6, k: int = 3) -> list[dict]:
        sig = signature(n)
        if sig is None or not self.ids:
            return []
        cand: set[int] = set()
        for b in range(BANDS):
            cand.update(self._buckets[b].get(sig[b * ROWS : (b + 1) * ROWS].tobytes(), ()))
        hits = []
        for i in cand:
            sim = float((self.signatures[i] == sig).mean())
            if sim >= min_similarity:
                hits.append({"id": self.ids[i], "label": self.labels[i], "similarity": round(sim, 3)})
        return sorted(hits, key=lambda h: -h["similarity"])[:k]

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            ids=np.array(self.ids, dtype=str),
            labels=np.array(self.labels, dtype=str),
            signatures=self.signatures,
        )

    @classmethod
    def load(cls, path: str | Path) -> SimilarIndex:
        data = np.load(path, allow_pickle=False)  # plain arrays only: nothing executes on load
        return cls(data["ids"].tolist(), data["labels"].tolist(), data["signatures"])
