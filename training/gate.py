"""The promotion gate: a retrained candidate replaces the active model only when it is no worse on a
fixed evaluation set and gets the newly accepted cases right.

The gate set is ``[gate] heldout`` (messages by another author) plus the fixed gate split
(``[gate] split_ids``: real legitimate comments that ``load_rows`` never loads for training).
Neither the active model nor a candidate was trained on it, and :func:`remove_near_gate` keeps
any accepted case that is a near-copy of a gate row out of the candidate's training data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.classifier import decide_many
from app.taxonomy import scam_labels

from .data import ROOT, DataError, Row, cluster_ids, gate_split_ids, load_labeled_file, load_nana
from .evaluate import evaluate_rows

__all__ = [
    "Tolerances",
    "load_gate_rows",
    "remove_near_gate",
    "gate_figures",
    "case_results",
    "decide",
]


@dataclass(frozen=True)
class Tolerances:
    """How much worse than the active model a candidate may be (``[gate]`` in the config)."""

    max_f1_drop: float = 0.02
    max_fpr_rise: float = 0.005
    min_new_case_accuracy: float = 0.8

    @classmethod
    def from_config(cls, config: dict) -> Tolerances:
        g = config.get("gate", {})
        return cls(
            float(g.get("max_f1_drop", cls.max_f1_drop)),
            float(g.get("max_fpr_rise", cls.max_fpr_rise)),
            float(g.get("min_new_case_accuracy", cls.min_new_case_accuracy)),
        )


def _path(value: str):
    from pathlib import Path

    p = Path(value)
    return p if p.is_absolute() else ROOT / p


def load_gate_rows(config: dict) -> list[Row]:
    """The fixed gate set: the ``[gate] heldout`` files and the rows of the gate split.

    Raises
    ------
    DataError
        A file is missing, or an id of the gate split is not in the shared data.
    """
    g = config.get("gate", {})
    rows: list[Row] = []
    for name in g.get("heldout", []):
        rows += load_labeled_file(_path(name), origin="heldout")
    ids = gate_split_ids(config)
    if ids:
        d = config["data"]
        fixes = _path(d["relabel_fixes"]) if d.get("relabel_fixes") else None
        every = load_nana(_path(d["shared"]) / d["nana"], 10**9, int(config["split"]["seed"]), fixes)
        found = [r for r in every if r.id in ids]
        missing = ids - {r.id for r in found}
        if missing:
            raise DataError(
                f"[G001] {len(missing)} ids of the gate split are not in the shared data, e.g. {min(missing)}"
            )
        rows += found
    if not rows:
        raise DataError("[G002] the gate set is empty: set [gate] heldout and/or split_ids")
    return rows


def remove_near_gate(cases: list[Row], gate: list[Row], threshold: float) -> tuple[list[Row], list[Row]]:
    """Split ``cases`` into (kept, removed): removed ones are near-copies of a gate row.

    Near-copy means the same near-duplicate cluster as training uses (cosine >= ``threshold``
    on character n-grams; exact copies, up to digits and tone marks, always qualify).
    """
    if not cases or not gate:
        return list(cases), []
    groups = cluster_ids([r.text for r in gate] + [r.text for r in cases], threshold)
    gate_groups = set(groups[: len(gate)].tolist())
    kept, removed = [], []
    for r, g in zip(cases, groups[len(gate) :], strict=True):
        (removed if g in gate_groups else kept).append(r)
    return kept, removed


def gate_figures(bundle, rows: list[Row]) -> dict:
    """Scam-vs-not figures of a model bundle on the gate set, with its own thresholds."""
    ev = evaluate_rows(bundle, rows, bundle.thresholds, bundle.classes, robustness=False, worst=0)
    b, s = ev["all"]["binary_at_scam"], ev["all"]["binary_at_suspicious"]
    out = {
        "version": bundle.version,
        "thresholds": dict(bundle.thresholds),
        "f1": b["f1"],
        "precision": b["precision"],
        "recall": b["recall"],
        "fpr": b["fpr"],
        "counts": {k: b[k] for k in ("tp", "fp", "fn", "tn")},
        "recall_at_suspicious": s["recall"],
        "fpr_at_suspicious": s["fpr"],
        "by_origin": {},
    }
    for origin, fig in ev.items():
        if origin in ("n", "all", "worst") or not isinstance(fig, dict) or "binary_at_scam" not in fig:
            continue
        ob = fig["binary_at_scam"]
        out["by_origin"][origin] = {
            "n": ob["n_scam"] + ob["n_not_scam"],
            "recall": ob["recall"],
            "fpr": ob["fpr"],
        }
    return out


def case_results(bundle, cases: list[Row]) -> dict:
    """How many ``cases`` the model gets right: scams flagged (scam or suspicious), the rest not."""
    if not cases:
        return {"n": 0, "right": 0, "accuracy": None, "wrong": []}
    scams = set(scam_labels())
    P = bundle.pipeline.predict_proba([r.text for r in cases])
    verdicts = decide_many(P, bundle.classes, scams, bundle.thresholds)
    flagged = np.array([v["verdict"] in ("scam", "suspicious") for v in verdicts])
    truth = np.array([r.label in scams for r in cases])
    right = flagged == truth
    wrong = [
        {"id": r.id, "label": r.label, "verdict": v["verdict"], "risk": v["risk_score"]}
        for r, v, ok in zip(cases, verdicts, right, strict=True)
        if not ok
    ]
    return {
        "n": len(cases),
        "right": int(right.sum()),
        "accuracy": round(float(right.mean()), 4),
        "wrong": wrong[:50],
    }


def decide(
    active: dict | None,
    candidate: dict,
    new_cases: dict,
    tol: Tolerances,
    *,
    force: bool = False,
) -> dict:
    """The gate's decision, with every figure it used and the reason in words.

    Parameters
    ----------
    active, candidate : dict
        :func:`gate_figures` of each model (``active`` is None when no model is active).
    new_cases : dict
        :func:`case_results` of the candidate on the newly accepted cases.
    force : bool
        Promote whatever the checks say (an admin's decision, recorded as such).

    Returns
    -------
    dict
        ``promote`` (bool), ``decision`` (promoted, rejected or forced), ``reason`` and
        ``checks`` (each with its figures, limit and ``ok``).
    """
    checks: dict[str, dict] = {}
    if active is not None:
        drop = round(active["f1"] - candidate["f1"], 4)
        rise = round(candidate["fpr"] - active["fpr"], 4)
        checks["f1"] = {
            "active": active["f1"],
            "candidate": candidate["f1"],
            "drop": drop,
            "max_drop": tol.max_f1_drop,
            "ok": drop <= tol.max_f1_drop + 1e-9,
        }
        checks["fpr"] = {
            "active": active["fpr"],
            "candidate": candidate["fpr"],
            "rise": rise,
            "max_rise": tol.max_fpr_rise,
            "ok": rise <= tol.max_fpr_rise + 1e-9,
        }
    checks["new_cases"] = {
        "n": new_cases["n"],
        "right": new_cases["right"],
        "accuracy": new_cases["accuracy"],
        "min_accuracy": tol.min_new_case_accuracy,
        "ok": new_cases["n"] == 0 or new_cases["accuracy"] >= tol.min_new_case_accuracy - 1e-9,
    }
    failed = [name for name, c in checks.items() if not c["ok"]]
    reasons = []
    for name in failed:
        c = checks[name]
        if name == "f1":
            reasons.append(
                f"gate F1 fell by {c['drop']:.4f} ({c['active']:.4f} -> {c['candidate']:.4f}); limit {c['max_drop']}"
            )
        elif name == "fpr":
            reasons.append(
                f"gate false-positive rate rose by {c['rise']:.4f} ({c['active']:.4f} -> {c['candidate']:.4f}); "
                f"limit {c['max_rise']}"
            )
        else:
            reasons.append(
                f"got {c['right']} of {c['n']} newly accepted cases right ({c['accuracy']:.2f}); "
                f"needs {c['min_accuracy']:.2f}"
            )
    passed = not failed
    if passed:
        base = (
            "no active model to compare with"
            if active is None
            else "no worse than the active model on the gate set"
        )
        reason = f"{base}; {checks['new_cases']['right']} of {checks['new_cases']['n']} new cases right"
    else:
        reason = "; ".join(reasons)
    if force:
        return {
            "promote": True,
            "decision": "forced",
            "gate_passed": passed,
            "reason": f"forced by an admin; the gate {'passed' if passed else 'failed'}: {reason}",
            "checks": checks,
        }
    return {
        "promote": passed,
        "decision": "promoted" if passed else "rejected",
        "gate_passed": passed,
        "reason": reason,
        "checks": checks,
    }
