"""Dependencies as ``Annotated`` aliases: handlers ask for ``SettingsDep``, ``ClassifierDep``,
``ReaderKey``, ``AnalystKey`` or ``AdminKey`` and read like a sentence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.service import Classifier
from app.settings import Settings

from .errors import ApiProblem
from .security import Principal, authenticate
from .state import ModelHolder

__all__ = [
    "AdminKey",
    "AnalystKey",
    "ClassifierDep",
    "HolderDep",
    "ReaderKey",
    "SessionDep",
    "SettingsDep",
    "get_app_settings",
    "get_classifier",
    "get_session",
    "who",
]

# Declared for /docs ("Authorize" button); the checks below decide, with problem responses.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from CANHGIAC_API_KEYS, sent as `Authorization: Bearer <key>`.",
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="canhgiac"'}


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_holder(request: Request) -> ModelHolder:
    return request.app.state.holder


HolderDep = Annotated[ModelHolder, Depends(get_holder)]


def get_classifier(holder: HolderDep) -> Classifier:
    """The live classifier, taken once: the whole request uses this one model."""
    clf = holder.get()
    if clf is None:
        raise ApiProblem(
            503, "model-not-loaded", "no model is loaded yet; retry shortly", headers={"Retry-After": "5"}
        )
    return clf


ClassifierDep = Annotated[Classifier, Depends(get_classifier)]


def get_session(request: Request) -> Iterator[Session]:
    """A database session for this request; the handler commits what it changes."""
    try:
        sessions = request.app.state.database.open()
    except Exception as exc:
        raise ApiProblem(
            503,
            "database-unavailable",
            f"the database does not answer ({type(exc).__name__}); retry shortly",
            headers={"Retry-After": "5"},
        ) from None
    with sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def who(principal: Principal) -> str:
    """How a caller is recorded (``created_by``, ``reviewed_by``...): role and key id, never the key."""
    if principal.role is None:
        return "anonymous"
    return f"{principal.role}:{principal.key_id}"


def _require(role: str, *, always: bool):
    def dependency(
        request: Request,
        settings: SettingsDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        token = credentials.credentials if credentials else None
        principal = authenticate(settings, token)
        if principal is None:
            raise ApiProblem(401, "unauthorized", "the API key is not valid", headers=_CHALLENGE)
        if principal.role is None and (always or settings.read_requires_key):
            raise ApiProblem(
                401, "unauthorized", "send an API key as Authorization: Bearer <key>", headers=_CHALLENGE
            )
        if principal.role is not None and not principal.at_least(role):
            raise ApiProblem(
                403, "forbidden", f"this needs the {role} role; the key's role is {principal.role}"
            )
        request.state.log["role"] = principal.role or "anonymous"
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency


ReaderKey = Annotated[Principal, Depends(_require("reader", always=False))]
AnalystKey = Annotated[Principal, Depends(_require("analyst", always=True))]
AdminKey = Annotated[Principal, Depends(_require("admin", always=True))]
