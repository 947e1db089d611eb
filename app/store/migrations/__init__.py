"""Alembic migrations of the store, applied in code by ``app.store.init_db``."""
