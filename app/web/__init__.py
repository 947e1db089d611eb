"""The pages a person uses: ``/`` to check a message and see why, ``/analyst`` to review cases."""

from .routes import CSP, router, static_app

__all__ = ["CSP", "router", "static_app"]
