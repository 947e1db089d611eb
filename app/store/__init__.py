"""The database: labeled cases, feedback, entities, model registry, retrain jobs, statistics."""

from .engine import DEFAULT_URL, init_db, make_engine, session_factory
from .errors import Conflict, Invalid, JobAlreadyRunning, NotFound, StoreError

__all__ = [
    "DEFAULT_URL",
    "Conflict",
    "Invalid",
    "JobAlreadyRunning",
    "NotFound",
    "StoreError",
    "init_db",
    "make_engine",
    "session_factory",
]
