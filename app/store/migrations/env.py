"""Alembic environment: runs on the connection ``init_db`` passes, or on ``sqlalchemy.url``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from app.store.engine import make_engine
from app.store.models import Base

config = context.config
target_metadata = Base.metadata
# Any 64-bit number unique to this purpose: concurrent start-ups take turns migrating.
PG_MIGRATION_LOCK = 0x63616E6867696163


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url: use init_db(engine) or alembic_config(url)")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
