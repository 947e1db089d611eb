"""An in-process token bucket per caller (API key, or client IP without one).

Each worker process keeps its own buckets: with ``uvicorn --workers N`` a caller may make up
to N times the configured rate in total. That is enough to stop a runaway script; a shared
limit belongs in the reverse proxy or a shared store.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["TokenBuckets"]


class TokenBuckets:
    """``per_minute`` requests a minute per identity, in bursts of up to ``per_minute``.

    Not thread-safe on purpose: it is only used from the event loop (middleware).
    """

    def __init__(
        self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, identity: str) -> float:
        """Spend a token for ``identity``; return 0 if allowed, else seconds until one is free."""
        now = self.clock()
        tokens, last = self._buckets.get(identity, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[identity] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_keys:
                self._prune(now)
            return 0.0
        self._buckets[identity] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        # Buckets that have refilled completely hold no information: forget them, so a flood of
        # distinct addresses cannot grow memory without bound.
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.capacity]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) > self.max_keys:  # still too many: drop the oldest half
            for k in sorted(self._buckets, key=lambda k: self._buckets[k][1])[: len(self._buckets) // 2]:
                del self._buckets[k]

    @staticmethod
    def retry_after(seconds: float) -> int:
        return max(1, math.ceil(seconds))
