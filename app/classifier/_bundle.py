"""Model bundles on disk: ``model/<version>/`` with the artefact, ``meta.json`` and a checksum."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import sklearn

__all__ = [
    "ModelError",
    "ModelBundle",
    "save_bundle",
    "load_bundle",
    "active_version",
    "set_active",
    "list_versions",
    "runtime_versions",
    "ARTEFACT",
]

ARTEFACT = "model.joblib"
ACTIVE = "ACTIVE"


class ModelError(RuntimeError):
    """A model cannot be loaded or used; the message says which file and why."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def runtime_versions() -> dict[str, str]:
    """The library versions a model is tied to."""
    try:
        from importlib.metadata import version

        underthesea = version("underthesea")
    except Exception:  # pragma: no cover - underthesea is a hard dependency
        underthesea = "unknown"
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "underthesea": underthesea,
        "joblib": joblib.__version__,
    }


@dataclass
class ModelBundle:
    """A loaded model: the fitted pipeline and its metadata."""

    version: str
    path: Path
    pipeline: object
    meta: dict

    @property
    def thresholds(self) -> dict[str, float]:
        return self.meta["thresholds"]

    @property
    def classes(self) -> list[str]:
        return list(self.meta["classes"])


def _dump_compact(pipeline, path: Path) -> str | None:
    """``joblib.dump`` with the linear weights stored as float32; returns their stored dtype.

    The weights are most of the artefact (457k columns x 15 classes: 55 MB as float64).
    float32 halves them; loading widens them back to float64 (``FastScorer``), and the
    rounding (relative 6e-8) moves a probability by about 1e-6. The pipeline in memory keeps
    float64.
    """
    from ._pipeline import linear_model

    try:
        model = linear_model(pipeline)
    except (AttributeError, KeyError, TypeError):  # not a canhgiac pipeline: store it as it is
        model = None
    coef = getattr(model, "coef_", None)
    if not isinstance(coef, np.ndarray) or coef.dtype != np.float64:
        joblib.dump(pipeline, path, compress=3)
        return None
    model.coef_ = coef.astype(np.float32)
    try:
        joblib.dump(pipeline, path, compress=3)
    finally:
        model.coef_ = coef
    return "float32"


def save_bundle(
    pipeline,
    meta: dict,
    model_dir: str | Path,
    version: str,
    report: str | None = None,
    extras: dict | None = None,
) -> Path:
    """Write ``model_dir/version`` atomically: a temporary directory, fsync, then rename.

    ``extras`` maps a file name to a function that writes that file (e.g. the index of known
    scams); their checksums are recorded beside the artefact's.
    """
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    final = model_dir / version
    if final.exists():
        raise ModelError(f"[M001] model version {version!r} already exists in {model_dir}")
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=model_dir))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the service may run as another user
        artefact = tmp / ARTEFACT
        weights = _dump_compact(pipeline, artefact)
        meta = dict(
            meta,
            version=version,
            artefact=ARTEFACT,
            sha256=_sha256(artefact),
            runtime=runtime_versions(),
            **({"weights_dtype": weights} if weights else {}),
        )
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        if report is not None:
            (tmp / "report.md").write_text(report, encoding="utf-8")
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        os.rename(tmp, final)
        dfd = os.open(model_dir, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def set_active(model_dir: str | Path, version: str) -> None:
    """Point ``model_dir/ACTIVE`` at ``version`` (atomic replace)."""
    model_dir = Path(model_dir)
    if not (model_dir / version / "meta.json").exists():
        raise ModelError(f"[M002] no model version {version!r} in {model_dir}")
    tmp = model_dir / f".{ACTIVE}.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, model_dir / ACTIVE)


def active_version(model_dir: str | Path) -> str:
    path = Path(model_dir) / ACTIVE
    if not path.exists():
        raise ModelError(
            f"[M003] {path} is missing: train a model (canhgiac train) or point "
            f"CANHGIAC_MODEL_DIR at a model folder"
        )
    return path.read_text(encoding="utf-8").strip()


def list_versions(model_dir: str | Path) -> list[dict]:
    """Every version in ``model_dir`` with its metadata, oldest first."""
    out = []
    for meta_path in sorted(Path(model_dir).glob("*/meta.json")):
        if meta_path.parent.name.startswith("."):
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        out.append(meta)
    return sorted(out, key=lambda m: m.get("created", ""))


def load_bundle(
    model_dir: str | Path, version: str | None = None, *, check_versions: bool = True
) -> ModelBundle:
    """Load a version (the active one by default), refusing an artefact that does not match.

    Checks: the SHA-256 of the artefact equals the one in ``meta.json`` (a changed or
    truncated file is refused before it is unpickled), and the scikit-learn and Python
    versions equal the ones it was trained with.
    """
    model_dir = Path(model_dir)
    version = version or active_version(model_dir)
    path = model_dir / version
    meta_path = path / "meta.json"
    if not meta_path.exists():
        raise ModelError(f"[M004] {meta_path} is missing")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"[M005] {meta_path} is not valid JSON: {exc.msg}") from None
    artefact = path / meta.get("artefact", ARTEFACT)
    if not artefact.exists():
        raise ModelError(f"[M006] {artefact} is missing")
    digest = _sha256(artefact)
    if digest != meta.get("sha256"):
        raise ModelError(
            f"[M007] checksum mismatch for {artefact}: expected {meta.get('sha256')}, "
            f"found {digest}; the file was changed or damaged, refusing to load it"
        )
    if check_versions:
        now = runtime_versions()
        trained = meta.get("runtime", {})
        for lib in ("scikit-learn",):
            if trained.get(lib) != now[lib]:
                raise ModelError(
                    f"[M008] model {version} was trained with {lib} {trained.get(lib)} but "
                    f"{now[lib]} is installed; install the pinned versions (make install)"
                )
        if trained.get("python", "").rsplit(".", 1)[0] != now["python"].rsplit(".", 1)[0]:
            raise ModelError(
                f"[M009] model {version} was trained on Python {trained.get('python')}, "
                f"this is {now['python']}"
            )
    for name, digest in meta.get("files", {}).items():
        if not (path / name).exists() or _sha256(path / name) != digest:
            raise ModelError(f"[M012] {path / name} is missing or changed; refusing model {version}")
    pipeline = joblib.load(artefact)
    _check_patterns(pipeline, version)
    if meta.get("weights_dtype") == "float32":  # stored compact: compute in float64 as trained
        from ._pipeline import linear_model

        model = linear_model(pipeline)
        model.coef_ = np.ascontiguousarray(model.coef_, dtype=np.float64)
    return ModelBundle(version, path, pipeline, meta)


def _check_patterns(pipeline, version: str) -> None:
    """Refuse a model whose pattern features were learned from another pattern library."""
    from app.features import PatternFeatures, PatternLibraryMismatch, default_library

    union = pipeline.named_steps.get("features") if hasattr(pipeline, "named_steps") else None
    for _, trans in getattr(union, "transformer_list", []):
        if isinstance(trans, PatternFeatures):
            try:
                trans.check_library(default_library())
            except PatternLibraryMismatch as exc:
                raise ModelError(f"model {version}: {exc}") from None
