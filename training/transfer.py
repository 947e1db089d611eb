"""How well the model catches real scams of a kind it has never seen: ``make transfer``.

The model is judged on real messages from sources the project does not have. The test split
holds only a couple of dozen real scams, and the out-of-fold figure is flattered by corpus batches
written for the real messages it missed. This measures the other way round, on every real scam
at once: a model is fitted on the training and validation rows with every real scam taken out
(and every row in a near-duplicate cluster with one), so what it knows of fraud comes from the
authored and generated rows alone; then it scores all the real scams, and the real legitimate
rows of the test split for the false alarms (they were never fitted either).

    python -m training.transfer [--set section.key=value ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from app.taxonomy import scam_labels

from .data import Row, deduplicate, load_config, load_rows, split_rows
from .evaluate import legit_fpr_by_source, recall_certainty

__all__ = ["transfer_figures", "main"]


def transfer_figures(
    parts: dict[str, list[Row]], cluster_of: dict[str, int], config: dict, thresholds: dict
) -> dict:
    """Fit without any real scam (nor its near-copies), score every real scam and the test
    split's real legitimate rows; return recall, type accuracy, legit FPR and row counts."""
    from .train import fit_pipeline

    scams = set(scam_labels())
    rows = parts["train"] + parts["val"] + parts["test"]
    targets = [r for r in rows if r.origin == "real" and r.label in scams]
    if not targets:
        raise ValueError("no real scam rows: transfer needs the shared data ([data] use_shared = true)")
    banned = {cluster_of[r.id] for r in targets}
    fit = [r for r in parts["train"] + parts["val"] if cluster_of[r.id] not in banned]
    legit = [
        r
        for r in parts["test"]
        if r.origin == "real" and r.label == "legit" and cluster_of[r.id] not in banned
    ]
    pipe = fit_pipeline(fit, config)
    classes = list(pipe.classes_)
    cols = [j for j, c in enumerate(classes) if c in scams]
    P = pipe.predict_proba([r.text for r in targets + legit])
    risk = P[:, cols].sum(axis=1)
    scam_type = np.array(classes)[np.array(cols)[P[:, cols].argmax(axis=1)]]
    t_scam, t_susp = float(thresholds["scam"]), float(thresholds["suspicious"])
    n = len(targets)
    hit = risk[:n] >= t_scam
    labels = np.array([r.label for r in targets])
    sources = np.array([r.source for r in targets])
    return {
        "fitted_rows": len(fit),
        "fitted_by_origin": {o: sum(r.origin == o for r in fit) for o in sorted({r.origin for r in fit})},
        "n_real_scams": n,
        "thresholds": {"scam": t_scam, "suspicious": t_susp},
        "recall_at_scam": round(float(hit.mean()), 4),
        "recall_at_suspicious": round(float((risk[:n] >= t_susp).mean()), 4),
        "recall_certainty": recall_certainty(hit, np.array([cluster_of[r.id] for r in targets])),
        "right_type_among_caught": round(float((scam_type[:n][hit] == labels[hit]).mean()), 4)
        if hit.any()
        else None,
        "recall_by_label": _recall_by(labels, hit),
        "recall_by_source": _recall_by(sources, hit),
        "legit_fpr_by_source": legit_fpr_by_source(legit, risk[n:] >= t_scam) if legit else {},
    }


def _recall_by(keys: np.ndarray, hit: np.ndarray) -> dict[str, dict]:
    """``{key: {"n", "recall"}}`` for each value of ``keys`` (a label, a source)."""
    return {
        k: {"n": int((keys == k).sum()), "recall": round(float(hit[keys == k].mean()), 4)}
        for k in sorted(set(keys.tolist()))
    }


def _active_thresholds(config: dict) -> dict:
    """The thresholds of the model being served, so the figures read as a user meets them."""
    from app.classifier import active_version

    from .data import _path

    model_dir = _path(config["output"]["model_dir"])
    try:
        with open(model_dir / active_version(model_dir) / "meta.json", encoding="utf-8") as fh:
            return json.load(fh)["thresholds"]
    except (OSError, KeyError, ValueError):
        t = config["thresholds"]
        return {"scam": t["min_scam"], "suspicious": t["min_suspicious"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.transfer", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="config override"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    config = load_config(None, args.set)
    rows, heldout = load_rows(config)
    rows, _ = deduplicate(rows)
    parts = split_rows(rows, heldout, config)
    cluster_of = parts.pop("_cluster_of")
    try:
        fig = transfer_figures(parts, cluster_of, config, _active_thresholds(config))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fig["seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(fig, ensure_ascii=False))
        return 0
    c = fig["recall_certainty"]
    lo, hi = c["recall_interval_95"]
    print(f"fitted on {fig['fitted_rows']} rows {fig['fitted_by_origin']}: no real scam, no near-copy of one")
    print(
        f"real scams caught at scam >= {fig['thresholds']['scam']}: {fig['recall_at_scam']:.3f} of "
        f"{fig['n_real_scams']} (95% {lo:.3f}-{hi:.3f}; one per cluster {c['recall_by_cluster']:.3f} of "
        f"{c['n_scam_clusters']}); scam or suspicious {fig['recall_at_suspicious']:.3f}; "
        f"right type among caught {fig['right_type_among_caught']}"
    )
    for lab, f in fig["recall_by_label"].items():
        print(f"  {lab:24s} {f['n']:4d}  recall {f['recall']:.3f}")
    for src, f in fig["recall_by_source"].items():
        print(f"  from {src:22s} {f['n']:4d}  recall {f['recall']:.3f}")
    for source, f in fig["legit_fpr_by_source"].items():
        print(
            f"real legitimate ({source}, test split): {f['false_alarms']} of {f['n']} flagged scam ({f['fpr']:.3f})"
        )
    print(f"{fig['seconds']} s; reproduce with: make transfer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
