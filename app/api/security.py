"""API keys: ``Authorization: Bearer <key>`` checked in constant time against the configured keys."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from app.settings import ROLES, Settings

__all__ = ["Principal", "authenticate", "bearer_token"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role and a short key fingerprint, or anonymous (``role`` is None)."""

    role: str | None
    key_id: str | None = None

    def at_least(self, role: str) -> bool:
        return self.role is not None and ROLES.index(self.role) >= ROLES.index(role)


ANONYMOUS = Principal(None)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate(settings: Settings, token: str | None) -> Principal | None:
    """The principal for ``token``: ANONYMOUS without one, None for a key that matches nothing.

    Every configured key is compared, with :func:`hmac.compare_digest` on SHA-256 digests, so
    the time taken does not tell which key (or how much of one) matched. Plain keys are stored
    as their digest too, so a hashed and a plain key are checked the same way.
    """
    if token is None:
        return ANONYMOUS
    digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
    found: Principal | None = None
    for key in settings.api_keys:
        if hmac.compare_digest(digest, key.digest) and found is None:
            found = Principal(key.role, key.digest.hex()[:12])
    return found
