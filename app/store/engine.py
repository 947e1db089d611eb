"""Engines, sessions and migrations: SQLite by default, PostgreSQL when the URL says so."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .errors import StoreError

__all__ = ["DEFAULT_URL", "MIGRATIONS_DIR", "make_engine", "init_db", "session_factory", "alembic_config"]

DEFAULT_URL = "sqlite:///var/canhgiac.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0
_ALEMBIC_LOCK = threading.Lock()


def make_engine(url: str = DEFAULT_URL, *, echo: bool = False) -> Engine:
    """Create the engine for ``url``, tuned for many threads writing at once.

    Parameters
    ----------
    url : str
        ``sqlite:///path/to/file.db`` (the parent folder is created) or
        ``postgresql+psycopg2://user@host:port/db``.
    echo : bool
        Log every SQL statement.

    Returns
    -------
    Engine

    Notes
    -----
    On SQLite every transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock up
    front, so a second writer waits (up to the busy timeout) instead of failing with
    "database is locked" when it upgrades from reading to writing. The journal is WAL (readers
    never block the writer), ``synchronous=FULL`` (a commit survives a power cut) and foreign
    keys are enforced. Keep transactions short: the write lock is held until commit.

    Examples
    --------
    >>> engine = make_engine("sqlite:///var/canhgiac.db")  # doctest: +SKIP
    """
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        kwargs: dict = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
        if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs.update(pool_size=10, max_overflow=20)  # a file: one connection per thread
        engine = create_engine(u, echo=echo, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if backend == "postgresql":
        return create_engine(u, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise StoreError(f"unsupported database {backend!r} in the URL; use sqlite:/// or postgresql+psycopg2://")


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # Take transaction control away from the sqlite3 module so ``_sqlite_on_begin`` decides
    # how a transaction starts (and SAVEPOINT and transactional DDL work as documented).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cur.close()


def _sqlite_on_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit; use ``with factory.begin() as s:``."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration built in code (no ``alembic.ini``).

    Developers write a new migration with::

        from alembic import command
        from app.store.engine import alembic_config
        command.revision(alembic_config("sqlite:///var/dev.db"), "why it changes", autogenerate=True)
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def init_db(engine: Engine) -> None:
    """Bring the schema to the newest migration; safe to call at every start-up.

    Processes starting together take turns (an advisory lock on PostgreSQL, the write lock on
    SQLite); threads of one process take turns here, because Alembic keeps its migration
    context in module globals.
    """
    cfg = alembic_config()
    with _ALEMBIC_LOCK, engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
