"""Honest evaluation: per label and scam-vs-not, for each origin, plus robustness and worst mistakes."""

from __future__ import annotations

import math
import random
import re
import warnings

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from app.classifier import decide_many
from app.taxonomy import label_ids, scam_labels
from app.text import fold

from .data import Row, cluster_ids

__all__ = [
    "evaluate_rows",
    "choose_thresholds",
    "strip_diacritics",
    "apply_leetspeak",
    "render_report",
    "legit_fpr_by_source",
    "recall_by_cluster",
    "recall_certainty",
    "wilson_interval",
]

NEAR_DUPLICATE = 0.8  # cosine at which two rows are one message (training/config.toml [split])
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


def strip_diacritics(text: str) -> str:
    """The same message typed without tone marks (as many people type SMS)."""
    return fold(text)


def apply_leetspeak(text: str, seed: int = 0, share: float = 0.5) -> str:
    """Disguise about ``share`` of the words the way scammers do ("B4n da du d1eu k1en")."""
    rng = random.Random(seed)

    def word(m: re.Match[str]) -> str:
        w = m.group()
        if len(w) < 3 or rng.random() > share:
            return w
        chars = list(fold(w))
        cands = [i for i, c in enumerate(chars) if c.lower() in _LEET and 0 < i]
        if not cands:
            return w
        i = rng.choice(cands)
        chars[i] = _LEET[chars[i].lower()]
        return "".join(chars)

    return re.sub(r"[^\W\d_]+", word, text)


def choose_thresholds(risk: np.ndarray, rows: list[Row], config: dict) -> dict[str, float]:
    """Pick the lowest thresholds whose false-positive rate on REAL legitimate rows meets the target.

    Lower thresholds catch more scams, so the search takes the smallest threshold that
    keeps the share of real ``legit`` validation rows above it within the target.
    ``[thresholds] fpr_origins`` names the origins counted (default: only ``real``; a
    small test corpus without shared data uses ``authored``).

    ``[thresholds] fpr_by``: ``"pooled"`` (the default) holds the target on the union of those
    rows; ``"source"`` on each source on its own as well: the real legitimate rows are inbox SMS
    and social-media comments, and the comments, easy to tell from fraud and the more numerous,
    can let the SMS run above the target. A source with fewer legitimate rows than one over the
    target cannot measure it and only counts in the union.
    """
    t = config["thresholds"]
    origins = set(t.get("fpr_origins", ["real"]))
    legit_real = np.array([r.label == "legit" and r.origin in origins for r in rows])
    if not legit_real.any():
        raise ValueError(
            f"no legitimate rows of origin {sorted(origins)} in the validation split; cannot choose "
            "thresholds (see [thresholds] fpr_origins)"
        )
    by = t.get("fpr_by", "pooled")
    if by not in ("source", "pooled"):
        raise ValueError(f"[T002] unknown thresholds.fpr_by {by!r}; use 'source' or 'pooled'")
    groups = [legit_real]
    if by == "source":
        sources = np.array([r.source for r in rows])
        groups += [legit_real & (sources == s) for s in sorted(set(sources[legit_real]))]

    def at_fpr(target: float, floor: float) -> float:
        thr = floor
        for g in groups:
            neg = np.sort(risk[g])[::-1]
            if g is not legit_real and len(neg) * target < 1:
                continue  # too few rows to measure this target on their own
            k = int(np.floor(target * len(neg)))  # this many negatives may lie at or above it
            thr = max(thr, float(neg[k]) + 1e-6 if k < len(neg) else 0.0)
        return thr

    scam = at_fpr(float(t["target_fpr_scam"]), float(t["min_scam"]))
    suspicious = min(at_fpr(float(t["target_fpr_suspicious"]), float(t["min_suspicious"])), scam)
    # round UP so rounding never lets one more negative above the line
    return {"scam": math.ceil(scam * 1e4) / 1e4, "suspicious": math.ceil(suspicious * 1e4) / 1e4}


def _binary(y_true_scam: np.ndarray, y_pred_scam: np.ndarray) -> dict:
    tp = int((y_true_scam & y_pred_scam).sum())
    fp = int((~y_true_scam & y_pred_scam).sum())
    fn = int((y_true_scam & ~y_pred_scam).sum())
    tn = int((~y_true_scam & ~y_pred_scam).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    fpr = fp / (fp + tn) if fp + tn else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "fpr": round(fpr, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "n_scam": tp + fn,
        "n_not_scam": fp + tn,
    }


def evaluate_rows(
    bundle_or_pipe,
    rows: list[Row],
    thresholds: dict,
    classes: list[str],
    *,
    robustness: bool = True,
    worst: int = 15,
) -> dict:
    """Every figure for ``rows``, overall and for each origin present."""
    pipe = getattr(bundle_or_pipe, "pipeline", bundle_or_pipe)
    scams = set(scam_labels())
    texts = [r.text for r in rows]
    P = pipe.predict_proba(texts)
    verdicts = decide_many(P, classes, scams, thresholds)
    out: dict = {"n": len(rows)}
    origins = sorted({r.origin for r in rows})
    for origin in ["all", *origins]:
        idx = [i for i, r in enumerate(rows) if origin == "all" or r.origin == origin]
        if not idx:
            continue
        out[origin] = _figures([rows[i] for i in idx], [verdicts[i] for i in idx])
    if robustness:
        for name, fn in (("no_diacritics", strip_diacritics), ("leetspeak", apply_leetspeak)):
            P2 = pipe.predict_proba([fn(t) for t in texts])
            v2 = decide_many(P2, classes, scams, thresholds)
            out[name] = {}
            for origin in ["all", *origins]:
                idx = [i for i, r in enumerate(rows) if origin == "all" or r.origin == origin]
                if idx:
                    out[name][origin] = _figures([rows[i] for i in idx], [v2[i] for i in idx], brief=True)
    out["worst"] = _worst(rows, verdicts, worst)
    return out


def wilson_interval(hits: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The 95% Wilson score interval of a share ``hits / n``; ``None`` when ``n`` is 0.

    On 22 real scams one message is 4.5 points of recall: the interval says how far the true
    figure may lie from the one measured.
    """
    if n <= 0:
        return None
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def recall_by_cluster(hit: np.ndarray, groups: np.ndarray) -> tuple[float | None, int]:
    """Recall with each near-duplicate cluster weighing one, and the number of clusters.

    ``hit`` and ``groups`` cover the scam rows only. Five near-copies of one message count as
    one message: the figure a new, unrelated message would most likely meet.
    """
    if len(hit) == 0:
        return None, 0
    _, cluster = np.unique(groups, return_inverse=True)
    shares = np.bincount(cluster, weights=hit.astype(float)) / np.bincount(cluster)
    return round(float(shares.mean()), 4), len(shares)


def recall_certainty(hit: np.ndarray, groups: np.ndarray) -> dict:
    """The 95% interval of a recall and its cluster-weighted value (see the two helpers above).

    ``hit``: one bool per scam row; ``groups``: their near-duplicate clusters.
    """
    by_cluster, n_clusters = recall_by_cluster(hit, groups)
    return {
        "recall_interval_95": wilson_interval(int(hit.sum()), len(hit)),
        "recall_by_cluster": by_cluster,
        "n_scam_clusters": n_clusters,
    }


def legit_fpr_by_source(rows: list[Row], flagged: np.ndarray) -> dict[str, dict]:
    """False alarms at ``scam`` on the legitimate rows of each source: ``{source: {"n",
    "false_alarms", "fpr"}}``. The real legitimate rows are inbox SMS and social-media comments;
    their union hides how often the SMS, the harder of the two, are flagged."""
    out: dict[str, dict] = {}
    for source in sorted({r.source for r in rows if r.label == "legit"}):
        m = np.array([r.label == "legit" and r.source == source for r in rows])
        k = int(flagged[m].sum())
        out[source] = {"n": int(m.sum()), "false_alarms": k, "fpr": round(k / int(m.sum()), 4)}
    return out


def _figures(rows: list[Row], verdicts: list[dict], brief: bool = False) -> dict:
    scams = set(scam_labels())
    y_true = np.array([r.label in scams for r in rows])
    y_scam = np.array([v["verdict"] == "scam" for v in verdicts])
    y_flag = np.array([v["verdict"] in ("scam", "suspicious") for v in verdicts])
    fig = {"binary_at_scam": _binary(y_true, y_scam), "binary_at_suspicious": _binary(y_true, y_flag)}
    if not brief:
        scam_texts = [r.text for r in rows if r.label in scams]
        groups = cluster_ids(scam_texts, NEAR_DUPLICATE) if scam_texts else np.zeros(0, dtype=int)
        fig["recall_certainty"] = recall_certainty(y_scam[y_true], groups)
    legit = np.array([r.label == "legit" for r in rows])
    if legit.any():  # false alarms on ordinary messages alone (spam excluded)
        fig["legit_fpr_at_scam"] = round(float(y_scam[legit].mean()), 4)
        fig["legit_fpr_at_suspicious"] = round(float(y_flag[legit].mean()), 4)
        fig["n_legit"] = int(legit.sum())
        if not brief:
            fig["legit_fpr_by_source"] = legit_fpr_by_source(rows, y_scam)
    if brief:
        return fig
    labels = list(label_ids())
    true = [r.label for r in rows]
    # the model's best guess of the label, whatever the verdict: type accuracy on its own
    pred = [max(v["probabilities"], key=v["probabilities"].get) for v in verdicts]
    p, r, f, s = precision_recall_fscore_support(true, pred, labels=labels, zero_division=0)
    fig["per_label"] = {
        lab: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(s[i]),
        }
        for i, lab in enumerate(labels)
        if s[i] > 0
    }
    present_scams = [lab for lab in labels if lab in scams and lab in fig["per_label"]]
    fig["scam_type_macro_f1"] = (
        round(float(np.mean([fig["per_label"][lab]["f1"] for lab in present_scams])), 4)
        if present_scams
        else None
    )
    # type accuracy among true scams that were flagged: did we name the right type?
    flagged = [
        i for i, r in enumerate(rows) if r.label in scams and verdicts[i]["verdict"] in ("scam", "suspicious")
    ]
    fig["type_accuracy_flagged_scams"] = (
        round(sum(verdicts[i]["scam_type"] == rows[i].label for i in flagged) / len(flagged), 4)
        if flagged
        else None
    )
    present = [lab for lab in labels if lab in set(true) | set(pred)]
    with warnings.catch_warnings():
        # a file of one label (all legit, say) has a 1x1 matrix, which is right: not worth a warning
        warnings.filterwarnings("ignore", message="A single label was found", category=UserWarning)
        matrix = confusion_matrix(true, pred, labels=present)
    fig["confusion"] = {"labels": present, "matrix": matrix.tolist()}
    return fig


def _worst(rows: list[Row], verdicts: list[dict], n: int) -> dict:
    scams = set(scam_labels())
    fn = sorted(
        (i for i, r in enumerate(rows) if r.label in scams and verdicts[i]["verdict"] != "scam"),
        key=lambda i: verdicts[i]["risk_score"],
    )[:n]
    fp = sorted(
        (i for i, r in enumerate(rows) if r.label not in scams and verdicts[i]["verdict"] == "scam"),
        key=lambda i: -verdicts[i]["risk_score"],
    )[:n]

    def item(i: int) -> dict:
        v = verdicts[i]
        return {
            "id": rows[i].id,
            "origin": rows[i].origin,
            "label": rows[i].label,
            "verdict": v["verdict"],
            "predicted": v["label"] if v["is_scam"] else v["scam_type"],
            "risk": v["risk_score"],
            "text": rows[i].text[:200],
        }

    return {"missed_scams": [item(i) for i in fn], "false_alarms": [item(i) for i in fp]}


def _quote(m: dict, show_text: bool) -> str:
    """Quote only text the project wrote: third-party rows stay in ../shared, named by id."""
    if not show_text or m["origin"] not in ("authored", "heldout"):
        return ""
    return ": " + m["text"].replace("|", "/").replace("\n", " ")


def _fmt(x) -> str:
    return "–" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))


def _shown(ev: dict, order) -> list[str]:
    """The origins of ``ev`` to print, in ``order``; a split of one origin shows only "all"
    (the same rows twice would double every table)."""
    origins = [o for o in order if o in ev and o != "all"]
    return ["all"] if len(origins) == 1 and "all" in ev else [o for o in order if o in ev]


def _certainty_table(evaluations: dict[str, dict], oof: dict | None) -> list[str]:
    """How far each recall may be from the truth: its 95% interval, and the same recall with
    each near-duplicate cluster weighing one (a cluster of five near-copies is one message)."""
    found = [
        (split, origin, ev[origin]["binary_at_scam"]["recall"], ev[origin]["recall_certainty"])
        for split, ev in evaluations.items()
        for origin in ("real", "authored", "generated", "heldout", "case")
        if origin in ev and ev[origin].get("recall_certainty")
    ]
    found += [
        ("out of fold", origin, f["recall_at_scam"], f["recall_certainty"])
        for origin, f in (oof or {}).items()
        if origin != "all" and f.get("recall_certainty")
    ]
    if not found:
        return []
    lines = [
        "",
        "### How sure the recall figures are",
        "",
        "The 95% interval of each recall at `scam` (Wilson), and the recall with each near-duplicate",
        "cluster weighing one: on a few dozen real scams one cluster of near-copies can move the",
        "row figure by many points.",
        "",
        "| split | origin | n scam | clusters | recall | 95% interval | recall, one per cluster |",
        "|---|---|---|---|---|---|---|",
    ]
    for split, origin, recall, c in found:
        iv = c["recall_interval_95"]
        n = (
            evaluations[split][origin]["binary_at_scam"]["n_scam"]
            if split in evaluations
            else oof[origin]["n_scam"]
        )
        lines.append(
            f"| {split} | {origin} | {n} | {c['n_scam_clusters']} | {_fmt(recall)} | "
            f"{'–' if iv is None else f'{iv[0]:.3f}–{iv[1]:.3f}'} | {_fmt(c['recall_by_cluster'])} |"
        )
    return lines


def _source_table(evaluations: dict[str, dict], oof: dict | None) -> list[str]:
    """False alarms at ``scam`` on legitimate rows, source by source (real ones only: they set the
    thresholds)."""
    found = [
        (split, source, f)
        for split, ev in evaluations.items()
        if "real" in ev
        for source, f in ev["real"].get("legit_fpr_by_source", {}).items()
    ]
    found = [
        ("out of fold", source, f)
        for source, f in ((oof or {}).get("real") or {}).get("legit_fpr_by_source", {}).items()
    ] + found
    if not found:
        return []
    lines = [
        "",
        "### False alarms on real legitimate messages, by source",
        "",
        "The union of these rows sets the thresholds (`[thresholds] fpr_by`); the social-media",
        "comments in it are many and easy, and would hide how often the inbox SMS are flagged.",
        "`kltn_real_legit`: real inbox SMS; `nana_legit`: real social-media comments.",
        "",
        "| split | source | n legit | flagged `scam` | legit FPR |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {split} | {source} | {f['n']} | {f['false_alarms']} | {_fmt(f['fpr'])} |"
        for split, source, f in found
    ]
    return lines


def render_report(meta: dict, evaluations: dict[str, dict], show_text: bool = True) -> str:
    """A markdown report of every figure; ``evaluations`` maps a split name to its results."""
    lines = [f"# canhgiac model {meta.get('version', '')}", ""]
    lines += [
        f"- created: {meta.get('created')}",
        f"- thresholds: {meta.get('thresholds')}",
        f"- rows by split and origin: {meta.get('rows')}",
        f"- training time: {meta.get('train_seconds')} s",
        "",
    ]
    lines += [
        "## Scam vs not scam",
        "",
        "FPR counts every non-scam row (spam included); legit FPR counts ordinary messages only.",
        "",
        "| split | origin | n scam | n not | precision | recall | F1 | FPR | legit FPR | recall (scam+suspicious) | legit FPR (scam+suspicious) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for split, ev in evaluations.items():
        for origin in _shown(ev, ("all", "real", "generated", "authored", "heldout", "case")):
            b, s = ev[origin]["binary_at_scam"], ev[origin]["binary_at_suspicious"]
            lf, lfs = ev[origin].get("legit_fpr_at_scam"), ev[origin].get("legit_fpr_at_suspicious")
            lines.append(
                f"| {split} | {origin} | {b['n_scam']} | {b['n_not_scam']} | {_fmt(b['precision'])} | "
                f"{_fmt(b['recall'])} | {_fmt(b['f1'])} | {_fmt(b['fpr'])} | {_fmt(lf)} | {_fmt(s['recall'])} | {_fmt(lfs)} |"
            )
    oof = meta.get("metrics_oof")
    if oof:
        lines += [
            "",
            "### Out of fold over train+val",
            "",
            "Each row scored by one of the threshold-choosing models fitted without its cluster: more",
            "real scams than the test split holds. The legit FPR at `scam` meets its target by",
            "construction (the threshold was chosen on these scores); the recall is the figure to read.",
            "The same rows are also scored with their diacritics stripped.",
            "",
            "| origin | n scam | n legit | recall | legit FPR | recall (scam+suspicious) | legit FPR (scam+suspicious) "
            "| recall, no diacritics | legit FPR, no diacritics |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for origin, f in oof.items():
            lines.append(
                f"| {origin} | {f['n_scam']} | {f['n_legit']} | {_fmt(f['recall_at_scam'])} | "
                f"{_fmt(f['legit_fpr_at_scam'])} | {_fmt(f['recall_at_suspicious'])} | {_fmt(f['legit_fpr_at_suspicious'])} | "
                f"{_fmt(f.get('recall_at_scam_no_diacritics'))} | {_fmt(f.get('legit_fpr_at_scam_no_diacritics'))} |"
            )
    lines += _source_table(evaluations, oof)
    lines += _certainty_table(evaluations, oof)
    lines += [
        "",
        "## Robustness: the same rows without diacritics and with leetspeak",
        "",
        "| split | origin | recall | recall, no diacritics | recall, leetspeak | FPR | FPR, no diacritics | FPR, leetspeak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split, ev in evaluations.items():
        if "no_diacritics" not in ev:
            continue
        for origin in _shown(ev["no_diacritics"], list(ev["no_diacritics"])):
            a = ev[origin]["binary_at_scam"]
            nd = ev["no_diacritics"][origin]["binary_at_scam"]
            lt = ev["leetspeak"][origin]["binary_at_scam"]
            lines.append(
                f"| {split} | {origin} | {_fmt(a['recall'])} | {_fmt(nd['recall'])} | {_fmt(lt['recall'])} | "
                f"{_fmt(a['fpr'])} | {_fmt(nd['fpr'])} | {_fmt(lt['fpr'])} |"
            )
    for split, ev in evaluations.items():
        for origin in _shown(ev, ("all", "real", "authored", "heldout", "generated")):
            fig = ev[origin]
            lines += [
                "",
                f"## Per label — {split}, {origin} rows",
                "",
                f"scam-type macro-F1: {_fmt(fig['scam_type_macro_f1'])}; right type among flagged scams: "
                f"{_fmt(fig['type_accuracy_flagged_scams'])}",
                "",
                "| label | precision | recall | F1 | support |",
                "|---|---|---|---|---|",
            ]
            for lab, m in fig["per_label"].items():
                lines.append(
                    f"| {lab} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} | {m['support']} |"
                )
            if origin == "all":
                conf = fig["confusion"]
                short = [lab[:6] for lab in conf["labels"]]
                lines += [
                    "",
                    "Confusion matrix (rows: true, columns: predicted):",
                    "",
                    "| true \\ pred | " + " | ".join(short) + " |",
                    "|---" * (len(short) + 1) + "|",
                ]
                for lab, row in zip(conf["labels"], conf["matrix"], strict=True):
                    lines.append(f"| {lab} | " + " | ".join(str(x) for x in row) + " |")
    for split, ev in evaluations.items():
        w = ev.get("worst")
        if not w:
            continue
        lines += ["", f"## Worst mistakes — {split}", "", "Missed scams (lowest risk first):", ""]
        for m in w["missed_scams"]:
            lines.append(
                f"- `{m['id']}` ({m['origin']}, {m['label']} → {m['verdict']}, risk {m['risk']}){_quote(m, show_text)}"
            )
        lines += ["", "False alarms (highest risk first):", ""]
        for m in w["false_alarms"]:
            lines.append(
                f"- `{m['id']}` ({m['origin']}, {m['label']} → {m['predicted']}, risk {m['risk']}){_quote(m, show_text)}"
            )
    return "\n".join(lines) + "\n"
