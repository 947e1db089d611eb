"""The HTTP API (FastAPI): ``create_app`` builds it; ``app.main:app`` is what uvicorn serves."""

from .main import create_app, load_model

__all__ = ["create_app", "load_model"]
