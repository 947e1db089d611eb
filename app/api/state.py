"""``ModelHolder``: the live classifier, swapped whole so a request never sees half a model."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.service import Classifier

__all__ = ["ModelHolder"]


class ModelHolder:
    """Keeps the classifier the service answers with.

    A handler calls :meth:`get` once and uses that object for the whole request; a retrain
    calls :meth:`swap` with a fully loaded classifier. Rebinding one attribute is atomic in
    CPython, so readers never wait and never see a mix of two models; the lock only keeps
    two concurrent swaps from interleaving.
    """

    def __init__(self, classifier: Classifier | None = None) -> None:
        self._classifier = classifier
        self._lock = threading.Lock()

    def get(self) -> Classifier | None:
        """The current classifier, or ``None`` before the first one is loaded."""
        return self._classifier

    def swap(self, new: Classifier) -> Classifier | None:
        """Make ``new`` the live classifier and return the one it replaced."""
        with self._lock:
            old, self._classifier = self._classifier, new
        return old

    def clear(self) -> Classifier | None:
        with self._lock:
            old, self._classifier = self._classifier, None
        return old
