"""The service's settings: one ``BaseSettings`` read from ``CANHGIAC_*`` variables, validated once."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["ROOT", "ROLES", "ApiKey", "Settings", "SettingsError", "get_settings", "load_settings"]

ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "CANHGIAC_"
ROLES = ("reader", "analyst", "admin")  # each role can do everything the roles before it can
MIN_KEY_CHARS = 16
_HEX64 = re.compile(r"[0-9a-f]{64}")


class SettingsError(ValueError):
    """A ``CANHGIAC_*`` variable is wrong; the message names each variable and what to fix."""


@dataclass(frozen=True, repr=False)
class ApiKey:
    """One configured key: its role and the SHA-256 of the key (plain keys are hashed on load)."""

    role: str
    digest: bytes

    def __repr__(self) -> str:  # never print a secret, not even its hash
        return f"ApiKey(role={self.role!r})"


def _parse_api_keys(raw: str) -> list[ApiKey]:
    """``role:key`` or ``role:sha256:<hex>`` pairs separated by commas."""
    keys: list[ApiKey] = []
    for i, item in enumerate(raw.split(","), 1):
        item = item.strip()
        if not item:
            continue
        role, sep, secret = item.partition(":")
        role = role.strip().lower()
        # The messages below name the entry by position and role: never echo the secret.
        if not sep:
            raise ValueError(f"entry {i} has no role; write role:key with role one of {', '.join(ROLES)}")
        if role not in ROLES:
            raise ValueError(f"entry {i} has an unknown role {role!r}; valid roles: {', '.join(ROLES)}")
        secret = secret.strip()
        if not secret:
            raise ValueError(f"entry {i} (role {role}) has an empty key")
        if secret.startswith("sha256:"):
            hexdigest = secret[len("sha256:") :].strip().lower()
            if not _HEX64.fullmatch(hexdigest):
                raise ValueError(
                    f"entry {i} (role {role}) is marked sha256: but is not 64 hexadecimal characters"
                )
            keys.append(ApiKey(role, bytes.fromhex(hexdigest)))
        else:
            if len(secret) < MIN_KEY_CHARS:
                raise ValueError(
                    f"entry {i} (role {role}) is {len(secret)} characters long; use at least "
                    f"{MIN_KEY_CHARS} random characters (python -c 'import secrets; print(secrets.token_urlsafe(32))')"
                )
            keys.append(ApiKey(role, hashlib.sha256(secret.encode("utf-8")).digest()))
    return keys


class Settings(BaseSettings):
    """Every knob of the service and the CLI; each field is read from ``CANHGIAC_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore", validate_default=True
    )

    model_dir: Path = Field(ROOT / "model", description="Folder with model versions and ACTIVE.")
    database_url: str = Field(
        "sqlite:///var/canhgiac.db",
        description="SQLAlchemy URL; a relative SQLite path is taken from the repository root.",
        repr=False,  # it may hold a password
    )
    api_keys: Annotated[list[ApiKey], NoDecode] = Field(
        default_factory=list, description="Comma-separated role:key or role:sha256:<hex> pairs."
    )
    read_requires_key: bool = Field(False, description="Whether reading endpoints need a reader key.")
    max_text_chars: int = Field(10_000, ge=1, description="Longest message text, in characters.")
    max_batch: int = Field(1000, ge=1, description="Most messages in one batch request.")
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024, description="Largest request body.")
    worker_threads: int = Field(
        4,
        ge=1,
        le=64,
        description="Handlers each worker runs at once (CPU-bound: keep it near the core count).",
    )
    max_upload_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Largest chat-log upload to /v1/chatlogs/score."
    )
    rate_limit_per_minute: int = Field(
        600, ge=0, description="Requests a minute per key (or client IP without one); 0 turns it off."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS; empty turns CORS off."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    model_poll_seconds: float = Field(
        1.0, ge=0, description="How often each worker checks model/ACTIVE for a new version; 0 turns it off."
    )
    retrain_config: Path | None = Field(
        None,
        description="Training config for retrain jobs started by the API (default: training/config.toml).",
    )

    @field_validator("model_dir", mode="after")
    @classmethod
    def _absolute_model_dir(cls, v: Path) -> Path:
        return v if v.is_absolute() else ROOT / v

    @field_validator("retrain_config", mode="after")
    @classmethod
    def _absolute_retrain_config(cls, v: Path | None) -> Path | None:
        if v is None:
            return None
        v = v if v.is_absolute() else ROOT / v
        if not v.is_file():
            raise ValueError(f"names no file ({v})")
        return v

    @field_validator("database_url", mode="after")
    @classmethod
    def _check_database_url(cls, v: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(v.strip())
        except ArgumentError:
            raise ValueError(
                "is not a database URL; examples: sqlite:///var/canhgiac.db, "
                "postgresql+psycopg2://user@host/db"
            ) from None
        db = url.database
        if url.get_backend_name() == "sqlite" and db and db != ":memory:" and not db.startswith("file:"):
            if not Path(db).is_absolute():
                url = url.set(database=str(ROOT / db))
        return url.render_as_string(hide_password=False)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_api_keys(cls, v: object) -> object:
        return _parse_api_keys(v) if isinstance(v, str) else v

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, v: object) -> object:
        if isinstance(v, str):
            return [o.strip().rstrip("/") for o in v.split(",") if o.strip()]
        return v

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, v: object) -> object:
        return v.strip().upper() if isinstance(v, str) else v

    def role_rank(self, role: str) -> int:
        return ROLES.index(role)


def _explain(exc: ValidationError) -> str:
    """One line per bad variable, without the value (it may be a secret)."""
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        field = str(err["loc"][0]) if err["loc"] else "?"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"{ENV_PREFIX}{field.upper()}: {msg}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read the environment (``overrides`` win), raising :class:`SettingsError` with clear lines."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_explain(exc)) from None


@cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return load_settings()
