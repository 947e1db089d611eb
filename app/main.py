"""The ASGI entry point: ``uvicorn app.main:app``. Importing it reads settings, loads no model."""

from app.api import create_app

app = create_app()
