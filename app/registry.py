"""The model registry in the database, kept in step with ``model/`` on disk.

``model/ACTIVE`` decides what every worker serves (each one watches it, see
``app.api.watcher``); the ``model_versions`` table records what was trained, by whom it was
promoted and with which figures. :func:`sync_registry` makes the table agree with the disk, and
:func:`activate` changes both: the table row first, then ``ACTIVE`` (atomic rename), then the
caller commits. Should the process die between the two, the next sync follows the file.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.classifier import ModelError, active_version, list_versions, load_bundle, set_active
from app.store import Conflict, Invalid, NotFound, repo
from app.store.models import ModelVersion

__all__ = [
    "VERSION_RE",
    "summary_metrics",
    "register_meta",
    "sync_registry",
    "activate",
    "check_version",
    "prune_rejected",
]

VERSION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def check_version(version: str) -> str:
    """A version name safe to join to the model folder (no ``/``, no ``..``)."""
    if not isinstance(version, str) or not VERSION_RE.fullmatch(version):
        raise Invalid("version", f"{version!r} is not a model version name (letters, digits, . _ -)")
    return version


def _get(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def summary_metrics(meta: dict) -> dict[str, Any]:
    """The headline figures of a model's ``meta.json`` (None when the model has no such rows).

    ``real_recall`` and ``real_legit_fpr``: real messages of the test split (scam threshold);
    ``heldout_recall``: the held-out authored set; ``binary_f1``: scam vs not, whole test split.
    """
    m = meta.get("metrics") or {}
    out = {
        "real_recall": _get(m, "test", "real", "binary_at_scam", "recall"),
        "real_legit_fpr": _get(m, "test", "real", "legit_fpr_at_scam"),
        "heldout_recall": _get(m, "heldout", "heldout", "binary_at_scam", "recall"),
        "binary_f1": _get(m, "test", "all", "binary_at_scam", "f1"),
    }
    gate = meta.get("gate")
    if isinstance(gate, dict):
        out["gate"] = gate
    return out


def _created(meta: dict) -> datetime | None:
    try:
        created = datetime.fromisoformat(str(meta.get("created")))
    except ValueError:
        return None
    return created if created.tzinfo else created.replace(tzinfo=UTC)


def register_meta(
    session: Session, meta: dict, *, status: str = "candidate", note: str | None = None
) -> ModelVersion:
    """Add the model described by ``meta`` (its ``meta.json``) to the registry."""
    mv = repo.register_model(
        session,
        meta["version"],
        metrics=summary_metrics(meta),
        thresholds=dict(meta.get("thresholds") or {}),
        data_fingerprint=meta.get("data_fingerprint"),
        parent=meta.get("parent"),
        note=note,
        status=status,
    )
    created = _created(meta)
    if created is not None:
        mv.created_at = created  # when it was trained, not when the registry first saw it
    session.flush()
    return mv


def sync_registry(session: Session, model_dir: str | Path, *, by: str = "model/ACTIVE") -> list[str]:
    """Register every version on disk the table lacks, and mark ``ACTIVE``'s version active.

    Returns
    -------
    list[str]
        The versions registered now.
    """
    model_dir = Path(model_dir)
    try:
        active = active_version(model_dir)
    except ModelError:
        active = None
    added = []
    for meta in list_versions(model_dir):
        version = meta.get("version")
        if not version or session.get(ModelVersion, version) is not None:
            continue
        try:
            with session.begin_nested():
                register_meta(session, meta, note="found in the model folder")
        except Conflict:
            continue  # another worker registered it meanwhile
        added.append(version)
    if active is not None and session.get(ModelVersion, active) is not None:
        current = repo.get_active_model(session)
        if current is None or current.version != active:
            try:
                with session.begin_nested():
                    repo.set_active_model(session, active, promoted_by=by)
            except Conflict:
                pass  # a rejected model is served (set by hand) or another worker won: leave the row
    session.flush()
    return added


def activate(
    session: Session, model_dir: str | Path, version: str, *, by: str, note: str | None = None
) -> ModelVersion:
    """Make ``version`` the active model: registry row, then ``model/ACTIVE``; the caller commits.

    The bundle is loaded first (checksums, library versions), so a broken model is refused
    here rather than by every worker that would try to load it.

    Raises
    ------
    NotFound
        No such version on disk or in the registry.
    Conflict
        It was rejected by the gate.
    ModelError
        It cannot be loaded.
    """
    check_version(version)
    model_dir = Path(model_dir)
    if not (model_dir / version / "meta.json").exists():
        raise NotFound("model version", version)
    sync_registry(session, model_dir)
    load_bundle(model_dir, version)
    mv = repo.set_active_model(session, version, promoted_by=by, note=note)
    set_active(model_dir, version)
    return mv


def prune_rejected(
    session: Session, model_dir: str | Path, *, keep: int = 0, dry_run: bool = False
) -> list[str]:
    """Delete the folders of versions the gate rejected, but the ``keep`` newest; the caller commits.

    Every retrain writes a full model (about 14 MB) even when the gate rejects it, so that the
    rejection can be inspected; this frees the disk afterwards. The folder of the version
    ``ACTIVE`` names is never deleted (an operator may serve a rejected version on purpose),
    nor any version not marked rejected. The registry row stays, with a note, so the history
    of retrains and their figures is kept.

    Returns
    -------
    list[str]
        The versions whose folders were (or, with ``dry_run``, would be) deleted, newest first.
    """
    if keep < 0:
        raise Invalid("keep", "must be 0 or more")
    model_dir = Path(model_dir)
    sync_registry(session, model_dir)
    try:
        serving = active_version(model_dir)
    except ModelError:
        serving = None
    rejected = [
        m
        for m in repo.list_models(session, status="rejected")
        if m.version != serving and VERSION_RE.fullmatch(m.version) and (model_dir / m.version).is_dir()
    ]
    victims = rejected[keep:]
    if not dry_run:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        for m in victims:
            shutil.rmtree(model_dir / check_version(m.version))
            m.note = f"{m.note}; files pruned {stamp}" if m.note else f"files pruned {stamp}"
        session.flush()
    return [m.version for m in victims]
