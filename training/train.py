"""``canhgiac train``: load, split, fit, choose thresholds, evaluate, write ``model/<version>/``."""

from __future__ import annotations

import hashlib
import os
import time
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from app.classifier import build_pipeline, save_bundle, set_active
from app.taxonomy import label_ids, scam_labels

from .data import (
    ROOT,
    Row,
    cluster_ids,
    data_fingerprint,
    deduplicate,
    load_rows,
    shuffle_labels,
    split_rows,
)
from .evaluate import choose_thresholds, evaluate_rows, render_report

__all__ = ["train", "fit_pipeline", "new_version", "oof_figures", "oof_risk", "origin_weights"]


def new_version() -> str:
    """A sortable version name from the UTC time: ``v20261130-121500``."""
    return datetime.now(UTC).strftime("v%Y%m%d-%H%M%S")


def origin_weights(rows: list[Row], config: dict) -> np.ndarray:
    """Sample weights: generated rows repeat a few templates, so each counts for less.

    ``[model] origin_weight`` maps an origin (``generated``) or a source (``kltn_real_legit``)
    to a weight; a source's weight wins over its origin's."""
    w = config["model"].get("origin_weight", {"generated": 0.3})
    return np.array([float(w.get(r.source, w.get(r.origin, 1.0))) for r in rows])


def _oof_folds(
    rows: list[Row], config: dict, cluster_of: dict[str, int] | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds grouped by near-duplicate cluster: ``cluster_of`` (row id -> cluster, from the
    split) when given, else computed over ``rows``."""
    from sklearn.model_selection import StratifiedGroupKFold

    s = config["split"]
    k = int(config["thresholds"].get("oof_folds", 3))
    if cluster_of is not None:
        groups = np.array([cluster_of[r.id] for r in rows])
    else:
        groups = cluster_ids([r.text for r in rows], float(s["near_duplicate_threshold"]))
    y = np.array([f"{r.label}|{r.origin}" for r in rows])
    folds = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=int(s["seed"]) + 2)
    with warnings.catch_warnings():  # rare label x origin strata: expected, the groups decide
        warnings.simplefilter("ignore", UserWarning)
        return list(folds.split(np.zeros(len(rows)), y, groups))


def _fold_risk(fit_rows: list[Row], score_rows: list[Row], config: dict, scams: set[str]) -> np.ndarray:
    """Scam risk of ``score_rows`` from a model fitted on ``fit_rows``: one column as written,
    one with diacritics stripped (the robustness figure, on far more real rows than test)."""
    from .evaluate import strip_diacritics

    pipe = fit_pipeline(fit_rows, config)
    cols = [j for j, c in enumerate(pipe.classes_) if c in scams]  # a fold may lack a label
    texts = [r.text for r in score_rows]
    as_written = pipe.predict_proba(texts)[:, cols].sum(axis=1)
    plain = pipe.predict_proba([strip_diacritics(t) for t in texts])[:, cols].sum(axis=1)
    return np.stack([as_written, plain], axis=1)


def _n_jobs(config: dict) -> int:
    """``[model] n_jobs``: processes for the independent fits (0: one per core, at most 4)."""
    n = int(config["model"].get("n_jobs", 0))
    return n if n > 0 else max(1, min(os.cpu_count() or 1, 4))


def oof_risk(rows: list[Row], config: dict, scams: set[str]) -> np.ndarray:
    """Each row's scam risk from a model fitted without its near-duplicate cluster.

    ``[thresholds] oof_folds`` folds (default 3), grouped by near-duplicate cluster and
    stratified by label x origin like the split, so no row is scored by a model that saw a
    near-copy of it. The folds are fitted in parallel (``[model] n_jobs``). Returns an
    ``(n, 2)`` array: the risk of each row as written, and without diacritics.
    """
    from joblib import Parallel

    splits = _oof_folds(rows, config)
    jobs = _fold_jobs(rows, splits, config, scams)
    return _gather_risk(len(rows), splits, Parallel(n_jobs=min(_n_jobs(config), len(jobs)))(jobs))


def _fold_jobs(rows: list[Row], splits, config: dict, scams: set[str]) -> list:
    from joblib import delayed

    return [
        delayed(_fold_risk)([rows[i] for i in fit_idx], [rows[i] for i in score_idx], config, scams)
        for fit_idx, score_idx in splits
    ]


def _gather_risk(n: int, splits, fold_risks: list[np.ndarray]) -> np.ndarray:
    risk = np.zeros((n, 2))
    for (_, score_idx), r in zip(splits, fold_risks, strict=True):
        risk[score_idx] = r
    return risk


def oof_figures(
    risk: np.ndarray,
    rows: list[Row],
    thresholds: dict,
    scams: set[str],
    risk_plain: np.ndarray | None = None,
    cluster_of: dict[str, int] | None = None,
) -> dict:
    """Scam recall and legit FPR of out-of-fold scores, by origin, at the chosen thresholds.

    Every train+val row is scored by a model that never saw its cluster, so the real scams
    of both splits (several times the test split's) give a steadier recall figure. The legit
    FPR at ``scam`` is at most the target by construction: the threshold was chosen on it.
    ``risk_plain``: the same rows' risk with diacritics stripped, reported beside it.
    ``cluster_of`` (row id -> near-duplicate cluster, from the split) adds the recall's 95%
    interval and its value with each cluster weighing one (``recall_certainty``).
    """
    from .evaluate import legit_fpr_by_source, recall_certainty

    out: dict = {}
    is_scam = np.array([r.label in scams for r in rows])
    is_legit = np.array([r.label == "legit" for r in rows])
    scored = [("scam", "", risk), ("suspicious", "", risk)]
    if risk_plain is not None:
        scored.append(("scam", "_no_diacritics", risk_plain))
    for origin in ["all", *sorted({r.origin for r in rows})]:
        m = np.array([origin == "all" or r.origin == origin for r in rows])
        fig: dict = {"n_scam": int((m & is_scam).sum()), "n_legit": int((m & is_legit).sum())}
        for name, suffix, scores in scored:
            hit = scores >= float(thresholds[name])
            fig[f"recall_at_{name}{suffix}"] = _share(hit[m & is_scam])
            fig[f"legit_fpr_at_{name}{suffix}"] = _share(hit[m & is_legit])
        if origin != "all":
            fig["legit_fpr_by_source"] = legit_fpr_by_source(
                [r for r, keep in zip(rows, m, strict=True) if keep], (risk >= float(thresholds["scam"]))[m]
            )
        if cluster_of is not None:
            sel = m & is_scam
            fig["recall_certainty"] = recall_certainty(
                (risk >= float(thresholds["scam"]))[sel],
                np.array([cluster_of[r.id] for r, keep in zip(rows, sel, strict=True) if keep]),
            )
        out[origin] = fig
    return out


def _share(hit: np.ndarray) -> float | None:
    """The share of ``True`` in ``hit`` to 4 places; ``None`` when it is empty."""
    return round(float(hit.mean()), 4) if len(hit) else None


def augment_without_diacritics(rows: list[Row], config: dict) -> list[Row]:
    """``rows`` plus a copy without diacritics of a share of the real and authored ones.

    People type the same scam with or without diacritics; the word channel with tones only
    learns the forms it saw, so a message typed without them scored lower. ``[model]
    augment_no_diacritics`` is the share of eligible rows copied (chosen by a hash of the id,
    so the same rows every time); copies are added to the rows being fitted only, after the
    split, so they never cross into validation, test or held-out data.
    """
    share = float(config["model"].get("augment_no_diacritics", 0.0))
    if share <= 0:
        return rows
    from .evaluate import strip_diacritics

    out = list(rows)
    for r in rows:
        if r.origin not in ("real", "authored", "case"):
            continue
        if int(hashlib.sha1(r.id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF >= share:
            continue
        plain = strip_diacritics(r.text)
        if plain != r.text:
            out.append(Row(r.id + "~nd", plain, r.label, r.origin, r.source, dict(r.meta)))
    return out


def fit_pipeline(rows: list[Row], config: dict):
    """Fit a fresh pipeline on ``rows`` with the config's hyper-parameters."""
    rows = augment_without_diacritics(rows, config)
    pipe = build_pipeline(config["model"])
    pipe.fit([r.text for r in rows], [r.label for r in rows], clf__sample_weight=origin_weights(rows, config))
    return pipe


def _patterns_hash(pipe) -> str | None:
    from app.features import PatternFeatures

    for _, trans in pipe.named_steps["features"].transformer_list:
        if isinstance(trans, PatternFeatures):
            return trans.library_hash_
    return None


def build_similar_index(rows: list[Row]):
    """Signatures of every scam the model learned from, for "similar known scam" look-ups."""
    from app.explain import SimilarIndex

    scams = set(scam_labels())
    index = SimilarIndex()
    for r in rows:
        if r.label in scams:
            index.add(r.id, r.label, r.text)
    return index


def _counts(rows: list[Row]) -> dict:
    return dict(Counter(r.origin for r in rows))


def train(
    config: dict,
    *,
    activate: bool = True,
    version: str | None = None,
    log=print,
    extra_rows: list[Row] | None = None,
    meta_extra: dict | None = None,
) -> tuple[Path, dict]:
    """Train and write a model version; return its folder and its metadata.

    ``extra_rows`` are added to the corpus (a retrain passes the accepted cases);
    ``meta_extra`` is merged into ``meta.json`` (a retrain records its job, parent and cases).
    """
    t0 = time.perf_counter()
    rows, heldout = load_rows(config)
    if extra_rows:
        rows += extra_rows
    rows, dedup_stats = deduplicate(rows)
    log(f"loaded {len(rows)} rows after de-duplication ({dedup_stats}); held-out rows: {len(heldout)}")
    if config["data"].get("shuffle_labels"):
        # a deliberately broken model: the gate must reject it (see training/gate.py)
        rows = shuffle_labels(rows, int(config["split"]["seed"]))
        log("labels SHUFFLED (data.shuffle_labels = true): this model is meant to fail the gate")
    parts = split_rows(rows, heldout, config)
    removed = parts.pop("_removed_near_heldout")
    cluster_of = parts.pop("_cluster_of")
    log("split by near-duplicate cluster: " + ", ".join(f"{k}={len(v)}" for k, v in parts.items()))
    classes = list(label_ids())
    missing = set(classes) - {r.label for r in parts["train"]}
    if missing:
        raise ValueError(f"[T001] no training rows for labels: {sorted(missing)}")

    # The fits are independent: the model scored on test, one per out-of-fold threshold fold, and
    # the shipped refit. They run side by side (``[model] n_jobs`` processes; one core each).
    from joblib import Parallel, delayed

    scams = set(scam_labels())
    refit = bool(config["model"].get("refit_full"))
    use_oof = config["thresholds"].get("choose_on", "val") == "oof"
    pool = parts["train"] + parts["val"]
    splits = _oof_folds(pool, config, cluster_of) if use_oof else []
    # longest first (the refit has the most rows), so the last job to start is a short one
    jobs = [delayed(fit_pipeline)(parts["train"] + parts["val"] + parts["test"], config)] if refit else []
    jobs.append(delayed(fit_pipeline)(parts["train"], config))
    jobs += _fold_jobs(pool, splits, config, scams)
    t_fit = time.perf_counter()
    n_jobs = min(_n_jobs(config), len(jobs))
    results = Parallel(n_jobs=n_jobs)(jobs)
    log(f"fitted {len(jobs)} models in {time.perf_counter() - t_fit:.1f} s on {n_jobs} process(es)")
    shipped = results.pop(0) if refit else None
    pipe = results.pop(0)  # what is left in results: the out-of-fold scores, fold by fold
    if shipped is None:
        shipped = pipe
    assert list(pipe.classes_) == sorted(classes)
    classes = list(pipe.classes_)

    scam_cols = [i for i, c in enumerate(classes) if c in scams]
    if use_oof:
        # out-of-fold scores over train+val: about five times as many real legitimate rows
        # as validation alone, so one message more or less cannot move the threshold far
        risk_pool = _gather_risk(len(pool), splits, results)
        thresholds = choose_thresholds(risk_pool[:, 0], pool, config)
        log(f"thresholds chosen on out-of-fold train+val scores: {thresholds}")
        oof = oof_figures(
            risk_pool[:, 0], pool, thresholds, scams, risk_plain=risk_pool[:, 1], cluster_of=cluster_of
        )
    else:
        oof = None
        P_val = pipe.predict_proba([r.text for r in parts["val"]])
        thresholds = choose_thresholds(P_val[:, scam_cols].sum(axis=1), parts["val"], config)
        log(f"thresholds chosen on validation: {thresholds}")

    evaluations = {"test": evaluate_rows(pipe, parts["test"], thresholds, classes)}
    if parts["heldout"]:
        evaluations["heldout"] = evaluate_rows(pipe, parts["heldout"], thresholds, classes)
        files = sorted({r.meta.get("file") for r in parts["heldout"]} - {None})
        for name in files if len(files) > 1 else ():  # and each held-out set on its own
            own = [r for r in parts["heldout"] if r.meta.get("file") == name]
            evaluations[f"heldout/{name}"] = evaluate_rows(pipe, own, thresholds, classes, worst=0)
    evaluations["val"] = evaluate_rows(pipe, parts["val"], thresholds, classes, worst=0)

    version = version or new_version()
    meta = {
        "version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "classes": classes,
        "scam_labels": sorted(scams),
        "thresholds": thresholds,
        "config": config,
        "rows": {name: _counts(part) for name, part in parts.items()},
        "rows_removed_as_near_copies_of_heldout": removed,
        "dedup": dedup_stats,
        "data_fingerprint": data_fingerprint(rows),
        "heldout_fingerprint": data_fingerprint(parts["heldout"]) if parts["heldout"] else None,
        "sources": sorted({r.source for r in rows}),
        "refit_full": refit,
        "metrics_note": (
            "figures come from the model fitted on the training split and scored on unseen clusters; "
            + (
                "the shipped model was then refitted on all splits with the same settings"
                if refit
                else "the shipped model is that same model"
            )
        ),
        "metrics": {
            split: {origin: ev[origin] for origin in ev if origin not in ("worst",)}
            for split, ev in evaluations.items()
        },
        "metrics_oof": oof,
        "train_seconds": round(time.perf_counter() - t0, 1),
        **(meta_extra or {}),
    }
    meta["patterns_hash"] = _patterns_hash(shipped)
    report = render_report(meta, evaluations)
    training_rows = parts["train"] + parts["val"] + parts["test"] if refit else parts["train"]
    extras = {"similar.npz": lambda p: build_similar_index(training_rows).save(p)}
    out_dir = Path(config["output"]["model_dir"])
    if not out_dir.is_absolute():
        out_dir = ROOT / out_dir
    path = save_bundle(shipped, meta, out_dir, version, report=report, extras=extras)
    if activate:
        set_active(out_dir, version)
    log(f"wrote {path} in {meta['train_seconds']} s" + (" and made it active" if activate else ""))
    return path, meta
