"""How well the model catches real scams of a kind it has never seen: ``make transfer``.

The model is judged on real messages from sources the project does not have. The test split
holds only a couple of dozen real scams, and the out-of-fold figure is flattered by corpus batches
written for the real messages it missed. This measures the other way round, on every real scam
at once: models are fitted with every real scam taken out (and every row in a near-duplicate
cluster with one), so what they know of fraud comes from the authored and generated rows alone.
The real scams and the real legitimate messages are dealt into three folds by cluster; each
fold is scored by a model fitted on everything else, so every real legitimate message counts
for the false alarms too, and the recall is also given at the threshold that holds those false
alarms to the configured target. Each message is scored a second time typed without diacritics,
as much real SMS is, so the cost of stripping is measured on real scams no model has seen.

    python -m training.transfer [--set section.key=value ...] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time

import numpy as np

from app.taxonomy import scam_labels

from .data import Row, deduplicate, load_config, load_rows, split_rows
from .evaluate import legit_fpr_by_source, recall_certainty, strip_diacritics

__all__ = ["transfer_figures", "main"]


def _fold_scores(fit_rows: list[Row], score_rows: list[Row], config: dict, scams: set[str]):
    """Fit on ``fit_rows``; return the scam risk and the likeliest scam type of ``score_rows``,
    and the scam risk of the same rows typed without diacritics."""
    from .train import fit_pipeline

    pipe = fit_pipeline(fit_rows, config)
    classes = np.array(pipe.classes_)
    cols = np.array([j for j, c in enumerate(classes) if c in scams])
    P = pipe.predict_proba([r.text for r in score_rows])
    stripped = pipe.predict_proba([strip_diacritics(r.text) for r in score_rows])[:, cols].sum(axis=1)
    return P[:, cols].sum(axis=1), classes[cols[P[:, cols].argmax(axis=1)]], stripped


def _threshold_at_fpr(legit_risk: np.ndarray, target: float) -> float:
    """The lowest threshold that flags at most ``target`` of ``legit_risk``."""
    ranked = np.sort(legit_risk)[::-1]
    k = int(np.floor(target * len(ranked)))
    return float(np.nextafter(ranked[k], 1.0)) if k < len(ranked) else 0.0


def transfer_figures(
    parts: dict[str, list[Row]], cluster_of: dict[str, int], config: dict, thresholds: dict, folds: int = 3
) -> dict:
    """Fit without any real scam (nor its near-copies) and score every real scam and every
    real legitimate message out of fold; return recall, type accuracy, legit FPR and counts.

    The real scams and the real legitimate rows are dealt into ``folds`` folds by near-duplicate
    cluster. Fold ``k``'s model is fitted on every other row (authored, generated, the real
    legitimate rows of the other folds) and scores fold ``k``; so each real legitimate message
    is scored by a model that never saw it or a near-copy, and the false alarms are counted on
    all of them (thousands), not on the test split's few hundred.
    """
    from joblib import Parallel, delayed

    from .train import _n_jobs

    scams = set(scam_labels())
    rows = parts["train"] + parts["val"] + parts["test"]
    targets = [r for r in rows if r.origin == "real" and r.label in scams]
    if not targets:
        raise ValueError("no real scam rows: transfer needs the shared data ([data] use_shared = true)")
    banned = {cluster_of[r.id] for r in targets}
    rest = [r for r in rows if cluster_of[r.id] not in banned]
    legit = [r for r in rest if r.origin == "real" and r.label == "legit"]
    others = [r for r in rest if not (r.origin == "real" and r.label == "legit")]
    scored = targets + legit
    clusters = sorted({cluster_of[r.id] for r in scored})
    order = np.random.default_rng(int(config["split"]["seed"])).permutation(len(clusters))
    fold_of = {c: int(i) % folds for c, i in zip(clusters, order, strict=True)}
    fold = np.array([fold_of[cluster_of[r.id]] for r in scored])
    fits = [
        others + [r for r, f in zip(legit, fold[len(targets) :], strict=True) if f != k] for k in range(folds)
    ]
    jobs = [
        delayed(_fold_scores)(fits[k], [scored[i] for i in np.flatnonzero(fold == k)], config, scams)
        for k in range(folds)
    ]
    risk, stripped = np.zeros(len(scored)), np.zeros(len(scored))
    scam_type = np.empty(len(scored), dtype=object)
    for k, (r, t, s) in enumerate(Parallel(n_jobs=min(_n_jobs(config), folds))(jobs)):
        risk[fold == k], scam_type[fold == k], stripped[fold == k] = r, t, s

    n = len(targets)
    t_scam, t_susp = float(thresholds["scam"]), float(thresholds["suspicious"])
    hit = risk[:n] >= t_scam
    labels = np.array([r.label for r in targets])
    sources = np.array([r.source for r in targets])
    target_fpr = float(config["thresholds"]["target_fpr_scam"])
    halves = np.array(_halves(targets, cluster_of))
    leaked = sum(
        r.label in scams and r.origin == "real" or cluster_of[r.id] in banned for fit in fits for r in fit
    )
    return {
        "folds": folds,
        "fitted_rows": [len(f) for f in fits],
        "fitted_by_origin": {
            o: sum(r.origin == o for r in others) for o in sorted({r.origin for r in others})
        },
        "real_scams_or_near_copies_fitted": leaked,
        "n_real_scams": n,
        "n_real_legit": len(legit),
        "thresholds": {"scam": t_scam, "suspicious": t_susp},
        "recall_at_scam": round(float(hit.mean()), 4),
        "recall_at_suspicious": round(float((risk[:n] >= t_susp).mean()), 4),
        "recall_without_diacritics": round(float((stripped[:n] >= t_scam).mean()), 4),
        "recall_certainty": recall_certainty(hit, np.array([cluster_of[r.id] for r in targets])),
        "right_type_among_caught": round(float((scam_type[:n][hit] == labels[hit]).mean()), 4)
        if hit.any()
        else None,
        "recall_by_label": _recall_by(labels, hit),
        "recall_by_source": _recall_by(sources, hit),
        "recall_by_half": _recall_by(halves, hit),
        "legit_fpr_at_scam": round(float((risk[n:] >= t_scam).mean()), 4) if legit else None,
        "legit_fpr_by_source": legit_fpr_by_source(legit, risk[n:] >= t_scam) if legit else {},
        "legit_fpr_without_diacritics": round(float((stripped[n:] >= t_scam).mean()), 4) if legit else None,
        "at_target_fpr": _at_fpr(risk, n, target_fpr, halves) if legit else None,
        # a stricter line, where changes to the model differ most: half the target's false alarms
        "at_half_target_fpr": _at_fpr(risk, n, target_fpr / 2, halves) if legit else None,
    }


def _at_fpr(risk: np.ndarray, n: int, target: float, halves: np.ndarray) -> dict:
    """Recall of the real scams (``risk[:n]``) at the threshold that flags at most ``target`` of
    the real legitimate rows (``risk[n:]``): overall and by half."""
    t = _threshold_at_fpr(risk[n:], target)
    hit = risk[:n] >= t
    return {
        "target": target,
        "threshold": round(t, 4),
        "false_alarms": int((risk[n:] >= t).sum()),
        "recall": round(float(hit.mean()), 4),
        "caught": int(hit.sum()),
        "caught_by_half": {h: int(hit[halves == h].sum()) for h in sorted(set(halves.tolist()))},
    }


def _halves(targets: list[Row], cluster_of: dict[str, int]) -> list[str]:
    """``"A"`` or ``"B"`` for each of ``targets``: a fixed half of the real-scam clusters, by a hash
    of the smallest row id in the cluster. Corpus authors are briefed from the misses of half A
    only, so half B measures whether a change helps on real scams nobody has read (a change that
    lifts A alone is tuned to the messages read)."""
    first: dict[int, str] = {}
    for r in targets:
        c = cluster_of[r.id]
        first[c] = min(first.get(c, r.id), r.id)
    half = {
        c: "AB"[int(hashlib.sha1(("seal" + i).encode()).hexdigest(), 16) % 2 == 0] for c, i in first.items()
    }
    return [half[cluster_of[r.id]] for r in targets]


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
    print(
        f"{fig['folds']} folds, each fitted on {min(fig['fitted_rows'])}-{max(fig['fitted_rows'])} rows "
        f"(besides real legitimate ones: {fig['fitted_by_origin']}); real scams or near-copies "
        f"fitted: {fig['real_scams_or_near_copies_fitted']}"
    )
    print(
        f"real scams caught at scam >= {fig['thresholds']['scam']}: {fig['recall_at_scam']:.3f} of "
        f"{fig['n_real_scams']} (95% {lo:.3f}-{hi:.3f}; one per cluster {c['recall_by_cluster']:.3f} of "
        f"{c['n_scam_clusters']}); scam or suspicious {fig['recall_at_suspicious']:.3f}; "
        f"right type among caught {fig['right_type_among_caught']}"
    )
    print(f"  typed without diacritics: {fig['recall_without_diacritics']:.3f} caught")
    for lab, f in fig["recall_by_label"].items():
        print(f"  {lab:24s} {f['n']:4d}  recall {f['recall']:.3f}")
    for src, f in fig["recall_by_source"].items():
        print(f"  from {src:22s} {f['n']:4d}  recall {f['recall']:.3f}")
    for half, f in fig["recall_by_half"].items():
        note = "(misses read for the corpus)" if half == "A" else "(never read)"
        print(f"  half {half} {note:28s}  {f['n']:4d}  recall {f['recall']:.3f}")
    if fig["n_real_legit"]:
        print(
            f"real legitimate, each scored out of fold: {fig['legit_fpr_at_scam']:.4f} of "
            f"{fig['n_real_legit']} flagged scam ({fig['legit_fpr_without_diacritics']:.4f} typed without diacritics)"
        )
        for source, f in fig["legit_fpr_by_source"].items():
            print(f"  {source:22s} {f['false_alarms']} of {f['n']} flagged scam ({f['fpr']:.4f})")
        for key in ("at_target_fpr", "at_half_target_fpr"):
            a = fig[key]
            by_half = ", ".join(f"half {h} {c}" for h, c in a["caught_by_half"].items())
            print(
                f"at the threshold that flags {a['target']:.2%} of them ({a['threshold']:.3f}, "
                f"{a['false_alarms']} false alarms): real-scam recall {a['recall']:.3f} "
                f"({a['caught']} caught; {by_half})"
            )
    print(f"{fig['seconds']} s; reproduce with: make transfer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
