"""The store as the API uses it: one engine per worker, migrated once, opened on first use."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database"]

log = logging.getLogger("canhgiac.api")


class Database:
    """Engine and session factory for ``url``; :meth:`open` creates and migrates them once.

    A database that is down at start-up does not stop the service (classifying needs no
    database): the endpoints that do need it answer 503 and the next request tries again.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._lock = threading.Lock()
        self._extras: dict = {}  # per-process helpers built on it (entity index, verdict counter)

    @property
    def engine(self) -> Engine:
        self.open()
        assert self._engine is not None
        return self._engine

    @property
    def Session(self) -> sessionmaker[Session]:  # noqa: N802 - reads like the sessionmaker it is
        return self.open()

    def open(self) -> sessionmaker[Session]:
        """The session factory; the first call creates the engine and runs the migrations."""
        if self._sessions is not None:
            return self._sessions
        from app.store import init_db, make_engine, session_factory

        with self._lock:
            if self._sessions is None:
                engine = make_engine(self.url)
                try:
                    init_db(engine)
                except BaseException:
                    engine.dispose()
                    raise
                self._engine, self._sessions = engine, session_factory(engine)
        return self._sessions

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = self._sessions = None
