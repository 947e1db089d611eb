"""``/v1/model``: the active model's version, thresholds and evaluation summary."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import ClassifierDep, ReaderKey
from ..errors import problem_responses
from ..schemas import ModelPublic

router = APIRouter(prefix="/v1/model", tags=["reference"])

_FIGURES = ("precision", "recall", "f1", "fpr")


def _summary(group: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    b = group.get("binary_at_scam")
    if isinstance(b, dict):
        out["scam"] = {k: b[k] for k in _FIGURES if k in b}
    s = group.get("binary_at_suspicious")
    if isinstance(s, dict):
        out["suspicious_or_scam"] = {k: s[k] for k in _FIGURES if k in s}
    for k in ("legit_fpr_at_scam", "scam_type_macro_f1"):
        if k in group:
            out[k] = group[k]
    return out


def summarize_metrics(metrics: dict) -> dict[str, Any]:
    """Per split (test, heldout, val) and subset: the headline figures, without confusion tables."""
    out: dict[str, Any] = {}
    for split, groups in (metrics or {}).items():
        if not isinstance(groups, dict):
            continue
        row: dict[str, Any] = {"n": groups["n"]} if "n" in groups else {}
        for name, group in groups.items():
            if not isinstance(group, dict):
                continue
            if "binary_at_scam" in group:
                row[name] = _summary(group)
            elif isinstance(group.get("all"), dict):  # robustness subsets: {"all": {...}, ...}
                row[name] = _summary(group["all"])
        out[split] = row
    return out


@router.get("", response_model=ModelPublic, responses=problem_responses(401, 429, 500, 503))
def read_model(classifier: ClassifierDep, _key: ReaderKey) -> dict:
    """The model answering now: version, decision thresholds and how well it did on held-out data."""
    meta = classifier.bundle.meta
    return {
        "version": classifier.version,
        "created": meta.get("created"),
        "classes": list(classifier.classes),
        "scam_labels": list(meta.get("scam_labels", [])),
        "thresholds": dict(classifier.thresholds),
        "metrics": summarize_metrics(meta.get("metrics", {})),
        "metrics_note": meta.get("metrics_note"),
        "runtime": {k: str(v) for k, v in meta.get("runtime", {}).items()},
    }
