"""``LiveIndex``: the entity index kept in step with the database, polled every few seconds."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from pathlib import Path

from ._index import EntityIndex, Match

__all__ = ["LiveIndex", "POLL_SECONDS", "OVERLAP", "index_from_database"]

log = logging.getLogger("canhgiac.entities")

POLL_SECONDS = 3.0
# A row stamped at T may commit a moment after a row stamped later (PostgreSQL, two writers):
# each poll reads again from a little before the newest stamp it has seen, so it is not missed.
OVERLAP = timedelta(seconds=10)


class LiveIndex:
    """An :class:`EntityIndex` built from the database once, then refreshed by polling.

    The first use loads every entity (streamed). Afterwards, when :data:`POLL_SECONDS` have
    passed, the caller that notices asks the database for the rows changed since the newest
    one seen (an index range scan on ``updated_at``; usually nothing) and applies them; other
    callers meanwhile answer from the index as it is, never waiting. Writers in this process
    call :meth:`refresh` right after they commit, so their own changes show at once.

    Parameters
    ----------
    session_factory : sessionmaker
        Sessions on the store.
    poll_seconds : float
        How stale the index may get before someone polls (other processes' writes).
    """

    def __init__(self, session_factory, poll_seconds: float = POLL_SECONDS) -> None:
        self.session_factory = session_factory
        self.poll_seconds = poll_seconds
        self._index: EntityIndex | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def _load(self) -> EntityIndex:
        from app.store import repo

        t0 = time.perf_counter()
        index = EntityIndex()
        with self.session_factory() as s:
            index.put_rows(repo.entity_changes(s))
        log.info("entity index built: %d entities in %.2f s", len(index), time.perf_counter() - t0)
        return index

    def refresh(self) -> int:
        """Apply what changed in the database since the last look; returns how many rows."""
        with self._lock:
            return self._refresh_locked()

    def _refresh_locked(self) -> int:
        from app.store import repo

        if self._index is None:
            self._index = self._load()
            self._checked = time.monotonic()
            return len(self._index)
        index = self._index
        since = index.watermark - OVERLAP if index.watermark else None
        with self.session_factory() as s:
            n = index.put_rows(repo.entity_changes(s, since))
        self._checked = time.monotonic()
        return n

    def get(self) -> EntityIndex:
        """The index, polled first if it is older than ``poll_seconds`` (by one caller only)."""
        if self._index is None:
            self.refresh()
        elif time.monotonic() - self._checked >= self.poll_seconds and self._lock.acquire(blocking=False):
            try:
                self._refresh_locked()
            except Exception as exc:  # a database hiccup must not fail a verdict: use what we have
                self._checked = time.monotonic()
                log.warning("entity index refresh failed: %s", type(exc).__name__)
            finally:
                self._lock.release()
        assert self._index is not None
        return self._index

    def match_entity(self, entity: dict) -> Match | None:
        """As :meth:`EntityIndex.match_entity`, on the fresh index (what verdicts call)."""
        return self.get().match_entity(entity)


def index_from_database(url: str) -> EntityIndex | None:
    """A snapshot of the list in the database at ``url`` (for the CLI), or None when there is
    no list there: an SQLite file that does not exist, or a database not yet migrated."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from app.store import make_engine, session_factory

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        db = u.database
        if not db or db == ":memory:" or (not db.startswith("file:") and not Path(db).exists()):
            return None
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            if "entities" not in inspect(c).get_table_names():
                return None
        return LiveIndex(session_factory(engine)).get()
    finally:
        engine.dispose()
