"""The database for the API, opened lazily: engine, sessions, the live entity index and the
verdict counters. Everything hangs off ``app.state`` and is created on first use, so an app
that never touches the store never opens it."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from app.entities import LiveIndex

from .database import Database

__all__ = [
    "Database",
    "DatabaseDep",
    "LiveIndexDep",
    "VerdictCounter",
    "close_db",
    "count_verdicts",
    "get_database",
    "get_live_index",
    "STATS_FLUSH_SECONDS",
]

log = logging.getLogger("canhgiac.api")
STATS_FLUSH_SECONDS = 1.0
ENTITY_POLL_SECONDS = 3.0  # other workers' changes to the list show within this
_OPEN_LOCK = threading.Lock()


def get_database(app: FastAPI) -> Database:
    """The app's database (one per worker, see ``app.api.database``), opened and migrated on first use."""
    db = getattr(app.state, "database", None)
    if db is None:
        with _OPEN_LOCK:
            db = getattr(app.state, "database", None)
            if db is None:
                db = Database(app.state.settings.database_url)
                app.state.database = db
    db.open()
    return db


def get_live_index(app: FastAPI) -> LiveIndex:
    """The suspicious-entity index of this process, built from the database on first use."""
    db = get_database(app)
    live = db._extras.get("index")
    if live is None:
        with _OPEN_LOCK:
            live = db._extras.setdefault("index", LiveIndex(db.Session, poll_seconds=ENTITY_POLL_SECONDS))
    return live


def _database_dep(request: Request) -> Database:
    return get_database(request.app)


def _live_index_dep(request: Request) -> LiveIndex:
    return get_live_index(request.app)


DatabaseDep = Annotated[Database, Depends(_database_dep)]
LiveIndexDep = Annotated[LiveIndex, Depends(_live_index_dep)]


class VerdictCounter:
    """Counts verdicts by day, label, verdict and channel (and pattern ids), in memory, and
    adds them to the database at most every :data:`STATS_FLUSH_SECONDS`.

    One upsert per distinct key instead of one write per request keeps SQLite's single writer
    free for real work; :meth:`flush` writes what is pending at once (before reading the
    statistics, and at shutdown). Counts only: no text ever reaches it.
    """

    def __init__(self, db: Database, interval: float = STATS_FLUSH_SECONDS) -> None:
        self.db = db
        self.interval = interval
        self._rows: Counter[tuple[date, str, str, str | None]] = Counter()
        self._patterns: Counter[tuple[date, str]] = Counter()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def add(self, verdicts: list[dict], channels: list[str | None]) -> None:
        day = datetime.now(UTC).date()
        with self._lock:
            for v, channel in zip(verdicts, channels, strict=True):
                self._rows[(day, v["label"], v["verdict"], channel)] += 1
                exp = v.get("explanation") or {}
                for pid in {p["id"] for p in exp.get("patterns", ()) if "id" in p}:
                    self._patterns[(day, pid)] += 1
            if self._timer is None:
                self._timer = threading.Timer(self.interval, self._tick)
                self._timer.daemon = True
                self._timer.start()

    def _tick(self) -> None:
        with self._lock:
            self._timer = None
        self.flush()

    def flush(self) -> int:
        """Write every pending count now; returns how many verdicts were written."""
        from app.store import repo

        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, Counter()
                patterns, self._patterns = self._patterns, Counter()
            if not rows and not patterns:
                return 0
            try:
                with self.db.Session.begin() as s:
                    n = repo.increment_stats(s, _expand(rows))
                    repo.increment_pattern_stats(s, dict(patterns))
            except Exception as exc:  # keep the counts for the next flush rather than lose them
                with self._lock:
                    self._rows.update(rows)
                    self._patterns.update(patterns)
                log.warning("verdict statistics not written yet: %s", type(exc).__name__)
                return 0
            return n

    def close(self) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.flush()


def _expand(rows: Counter) -> list[tuple]:
    # increment_stats counts one message per row it is given.
    return [key for key, n in rows.items() for _ in range(n)]


def get_counter(app: FastAPI) -> VerdictCounter:
    db = get_database(app)
    counter = db._extras.get("counter")
    if counter is None:
        with _OPEN_LOCK:
            counter = db._extras.setdefault("counter", VerdictCounter(db))
    return counter


def count_verdicts(app: FastAPI, verdicts: list[dict], channels: list[str | None], thresholds: dict) -> None:
    """What the API does with every verdict it makes, before answering: let the suspicious-entity
    list raise its risk, and count it. The store being down never fails a verdict."""
    from app.entities import apply_to_verdict

    try:
        live = get_live_index(app)
        for v in verdicts:
            apply_to_verdict(v, live, thresholds)
    except Exception as exc:
        log.warning("entity list not consulted: %s", type(exc).__name__)
    try:
        get_counter(app).add(verdicts, channels)
    except Exception as exc:
        log.warning("verdict not counted: %s", type(exc).__name__)


def close_db(app: FastAPI) -> None:
    """At shutdown: write pending counts and close the connections."""
    db = getattr(app.state, "database", None)
    if db is None:
        return
    counter = db._extras.get("counter")
    if counter is not None:
        counter.close()
    db.dispose()
