"""The database reachability check behind ``/readyz`` (the store will own the engine later)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

__all__ = ["DatabaseProbe"]


class DatabaseProbe:
    """Runs ``SELECT 1`` on ``url``; creates the folder of an SQLite file first."""

    def __init__(self, url: str, timeout: float = 3.0) -> None:
        self.url = url
        self.timeout = timeout
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def _get_engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                url = make_url(self.url)
                connect_args: dict = {}
                backend = url.get_backend_name()
                if backend == "sqlite":
                    db = url.database
                    if db and db != ":memory:" and not db.startswith("file:"):
                        Path(db).parent.mkdir(parents=True, exist_ok=True)
                    connect_args["timeout"] = self.timeout
                elif backend == "postgresql":
                    connect_args["connect_timeout"] = max(1, int(self.timeout))
                self._engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
            return self._engine

    def check(self) -> str | None:
        """None when the database answers, else a short reason (no URL: it may hold a password)."""
        try:
            with self._get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not ready", never a 500
            with self._lock:
                engine, self._engine = self._engine, None
            if engine is not None:
                engine.dispose()
            return f"database unreachable ({type(exc).__name__})"
        return None

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
