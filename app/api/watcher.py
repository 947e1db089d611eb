"""Hot swap: every worker watches ``model/ACTIVE`` and swaps in the version it names.

A promotion (retrain job) or an activation (``POST /v1/models/{version}/activate``,
``canhgiac models activate``) only rewrites ``ACTIVE`` (atomic rename). Each uvicorn worker
runs :func:`watch_active_model` as an asyncio task: every ``interval`` seconds it reads the
file; when it names another version than the one being served, the new model is loaded fully
in a thread (off the event loop, requests keep being answered by the old one) and then
swapped in with one assignment (:class:`~app.api.state.ModelHolder`). A request uses the
model it started with, so none fails and none sees half of each.

The lag from ``ACTIVE`` changing to a worker answering with the new version is at most the
interval plus the load time (well under a second for the committed model), so 1 to 2 s with
the default ``CANHGIAC_MODEL_POLL_SECONDS=1``. A version that cannot be loaded is logged and
skipped; the worker keeps serving the model it has until ``ACTIVE`` changes again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from app.classifier import active_version

from .state import ModelHolder

__all__ = ["watch_active_model"]

log = logging.getLogger("canhgiac.api")


async def watch_active_model(
    model_dir: Path, holder: ModelHolder, load: Callable[[], None], interval: float
) -> None:
    """Poll ``model_dir/ACTIVE`` forever; call ``load`` (in a thread) when it names a new version."""
    skipped: str | None = None  # a version that failed to load: not retried until ACTIVE changes
    while True:
        await asyncio.sleep(interval)
        try:
            version = await asyncio.to_thread(active_version, model_dir)
        except Exception:  # ACTIVE missing or unreadable for a moment: keep serving, look again
            continue
        current = holder.get()
        if version == skipped or (current is not None and current.version == version):
            continue
        try:
            await asyncio.to_thread(load)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            skipped = version
            log.error(
                "model %s named by ACTIVE could not be loaded (%s); still serving %s",
                version,
                type(exc).__name__,
                current.version if current else "no model",
                extra={"model_version": version, "error": type(exc).__name__},
            )
        else:
            skipped = None
