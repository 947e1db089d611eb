"""The store's exceptions: one small hierarchy, mapped to HTTP once by the API."""

from __future__ import annotations

__all__ = ["StoreError", "Invalid", "NotFound", "Conflict", "JobAlreadyRunning"]


class StoreError(Exception):
    """Base of every error the store raises on purpose.

    ``code`` is a stable identifier the API turns into a problem+json ``type``.
    """

    code = "store_error"


class Invalid(StoreError, ValueError):
    """A value the store will not keep; ``field`` names it, the message says why."""

    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(StoreError, LookupError):
    """No row has the key that was asked for."""

    code = "not_found"

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key!r} not found")
        self.what = what
        self.key = key


class Conflict(StoreError):
    """The request clashes with the current state (a duplicate, a wrong state transition)."""

    code = "conflict"


class JobAlreadyRunning(Conflict):
    """A retrain job is already queued or running; ``job_id`` is that job."""

    code = "job_already_running"

    def __init__(self, job_id: int) -> None:
        super().__init__(f"retrain job {job_id} is already queued or running; wait for it or look it up")
        self.job_id = job_id
