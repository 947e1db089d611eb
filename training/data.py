"""Loading labeled data: the project's corpus, the shared raw sets, new cases; de-duplication
and a split by near-duplicate cluster so no near-copy of a training row is scored as unseen."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.taxonomy import label_ids
from app.text import fold, normalize

__all__ = [
    "ROOT",
    "Row",
    "DataError",
    "load_config",
    "load_rows",
    "load_labeled_file",
    "read_labeled_records",
    "load_nana",
    "read_id_list",
    "gate_split_ids",
    "shuffle_labels",
    "deduplicate",
    "cluster_ids",
    "split_rows",
    "data_fingerprint",
]

ROOT = Path(__file__).resolve().parent.parent
ORIGINS = ("real", "generated", "authored", "heldout", "case")
_ORIGIN_PRIORITY = {"case": 0, "authored": 1, "real": 2, "heldout": 3, "generated": 4}


class DataError(ValueError):
    """A data file is missing or malformed; the message names the file and line."""


@dataclass
class Row:
    """One labeled message. ``origin`` is real, generated, authored, heldout or case."""

    id: str
    text: str
    label: str
    origin: str
    source: str
    meta: dict = field(default_factory=dict)


# --- configuration ---------------------------------------------------------------------------
def _coerce(value: str):
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> dict:
    """Read ``training/config.toml`` and apply ``section.key=value`` overrides."""
    path = Path(path) if path else ROOT / "training" / "config.toml"
    if not path.exists():
        raise DataError(f"[D001] config file not found: {path}")
    with open(path, "rb") as fh:
        config = tomllib.load(fh)
    for item in overrides or []:
        if "=" not in item or "." not in item.split("=", 1)[0]:
            raise DataError(f"[D002] override {item!r} must look like section.key=value")
        key, value = item.split("=", 1)
        section, name = key.split(".", 1)
        if section not in config or name not in config[section]:
            known = ", ".join(f"{s}.{k}" for s in config for k in config[s])
            raise DataError(f"[D003] unknown setting {key!r}; known settings: {known}")
        config[section][name] = _coerce(value)
    return config


def _path(config_value: str) -> Path:
    p = Path(config_value)
    return p if p.is_absolute() else ROOT / p


# --- readers ---------------------------------------------------------------------------------
_LABELS = set(label_ids())


def _fold_key(s: str) -> str:
    return re.sub(r"\s+", " ", fold(s.strip().lower()))


# KLTN category names differ in spelling between files; match on folded keywords.
_KLTN_CATEGORY = [
    ("ngan hang", "bank_phishing"),
    ("co bac", "gambling_betting"),
    ("betting", "gambling_betting"),
    ("tuyen dung", "job_labor_export"),
    ("viec lam", "job_labor_export"),
    ("dich vu cong", "impersonation_authority"),
    ("bhxh", "impersonation_authority"),
    ("doi no", "loan_debt"),
    ("dau tu", "fake_investment"),
    ("crypto", "fake_investment"),
    ("nham so", "fake_investment"),
    ("nhay cam", "other_scam"),
    ("muon tien", "relative_impersonation"),
    ("nho va", "relative_impersonation"),
    ("tinh cam", "romance_foreigner"),
    ("trung thuong", "prize_giveaway"),
    ("nhan qua", "prize_giveaway"),
]


def _kltn_label(category: str) -> str | None:
    key = _fold_key(category)
    for needle, label in _KLTN_CATEGORY:
        if needle in key:
            return label
    return None  # "Khác" (relabelled by hand) and "link độc hại" (no single type)


def _sha16(text: str) -> str:
    return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:16]


def _read_csv(path: Path) -> list[dict]:
    if not path.exists():
        raise DataError(f"[D010] data file not found: {path} (see training/config.toml [data])")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _hash_labels(path: Path | None) -> dict[str, str]:
    import yaml

    if path is None or not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return {str(k): v for k, v in (yaml.safe_load(fh) or {}).items()}


def load_kltn(
    root: Path, relabel_path: Path, use_generated: bool, fixes_path: Path | None = None
) -> list[Row]:
    """The KLTN (ViSmishDS) files: real scams and legit SMS, and the generated sets.

    ``relabel_path`` gives our reading of the real "Khác" rows; ``fixes_path`` corrects real
    rows whose label is plainly wrong (e.g. phishing filed as legitimate).
    """
    relabel = _hash_labels(relabel_path)
    fixes = _hash_labels(fixes_path)
    rows: list[Row] = []
    for i, r in enumerate(_read_csv(root / "dataset_label_0_with_categories.csv")):
        label = fixes.get(_sha16(r["content"]), "legit")
        rows.append(Row(f"kltn-real0-{i}", r["content"], label, "real", "kltn_real_legit"))
    for i, r in enumerate(_read_csv(root / "dataset_label_1_with_categories.csv")):
        label = fixes.get(_sha16(r["content"])) or _kltn_label(r["smishing_type"])
        if label is None:
            label = relabel.get(_sha16(r["content"]))
            if label is None:
                raise DataError(f"[D011] real KLTN row {i} ('Khác') has no entry in {relabel_path}")
        rows.append(Row(f"kltn-real1-{i}", r["content"], label, "real", "kltn_real_scam"))
    if use_generated:
        for i, r in enumerate(_read_csv(root / "synthetic_label_0.csv")):
            rows.append(Row(f"kltn-gen0-{i}", r["content"], "legit", "generated", "kltn_generated_legit"))
        for i, r in enumerate(_read_csv(root / "synthetic_label_1_with_obf_level.csv")):
            label = _kltn_label(r["category"])
            if label:
                rows.append(Row(f"kltn-gen1-{i}", r["content"], label, "generated", "kltn_generated_scam"))
        for i, r in enumerate(_read_csv(root / "hard_negative_label_1.csv")):
            label = _kltn_label(r["category"])
            if label:
                rows.append(Row(f"kltn-hard-{i}", r["content"], label, "generated", "kltn_generated_hard"))
    return rows


def load_nana(
    root: Path,
    max_legit: int,
    seed: int,
    fixes_path: Path | None = None,
    exclude: frozenset[str] = frozenset(),
) -> list[Row]:
    """Real social-media comments and SMS: informal legit, and advertising spam.

    Rows whose id is in ``exclude`` (the gate split) are never returned; they are taken out
    after the shuffle, so the rows kept under ``max_legit`` do not depend on them.
    """
    fixes = _hash_labels(fixes_path)
    legit, spam = [], []
    for i, r in enumerate(_read_csv(root / "vietnamese_data.csv")):
        text = (r.get("text") or "").strip()
        if len(text) < 8 or text.startswith("#NAME"):
            continue
        fixed = fixes.get(_sha16(r.get("text") or ""))
        if fixed:
            spam.append(Row(f"nana-{i}", text, fixed, "real", "nana_fixed"))
        elif r.get("spam") == "1":
            spam.append(Row(f"nana-{i}", text, "spam", "real", "nana_spam"))
        elif r.get("spam") == "0":
            legit.append(Row(f"nana-{i}", text, "legit", "real", "nana_legit"))
    random.Random(seed).shuffle(legit)
    if exclude:
        legit = [r for r in legit if r.id not in exclude]
        spam = [r for r in spam if r.id not in exclude]
    return spam + legit[:max_legit]


def read_id_list(path: str | Path) -> list[str]:
    """Row ids, one a line; blank lines and ``#`` comments are skipped."""
    path = _path(str(path))
    if not path.exists():
        raise DataError(f"[D040] id list not found: {path}")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


def gate_split_ids(config: dict) -> frozenset[str]:
    """Ids of the fixed gate split (``[gate] split_ids``): scored by the gate, never trained on."""
    name = config.get("gate", {}).get("split_ids")
    return frozenset(read_id_list(name)) if name else frozenset()


def shuffle_labels(rows: list[Row], seed: int) -> list[Row]:
    """The same rows with their labels permuted: a model that must fail (a check of the gate)."""
    labels = [r.label for r in rows]
    random.Random(seed).shuffle(labels)
    return [Row(r.id, r.text, lab, r.origin, r.source, r.meta) for r, lab in zip(rows, labels, strict=True)]


def read_labeled_records(path: str | Path) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """Every record of a labeled JSONL or CSV file, checked: ``(good, bad)``.

    ``good`` holds ``(line, record)`` for records with a non-empty ``text`` and a taxonomy
    ``label``; ``bad`` holds ``(line, message)`` for the others, the message naming the file,
    the line and the field (``[D021]`` not JSON, ``[D022]`` text, ``[D023]`` label). CSV lines
    count the header as line 1.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"[D020] labeled file not found: {path}")
    good: list[tuple[int, dict]] = []
    bad: list[tuple[int, str]] = []
    if path.suffix.lower() == ".csv":
        records = [(i + 2, r) for i, r in enumerate(_read_csv(path))]
    else:
        records = []
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    bad.append((lineno, f"[D021] {path}:{lineno}: not valid JSON ({exc.msg})"))
                    continue
                if not isinstance(rec, dict):
                    bad.append((lineno, f"[D021] {path}:{lineno}: not a JSON object"))
                    continue
                records.append((lineno, rec))
    for lineno, rec in records:
        text, label = rec.get("text"), rec.get("label")
        if not isinstance(text, str) or not text.strip():
            bad.append((lineno, f"[D022] {path}:{lineno}: field 'text' must be a non-empty string"))
        elif label not in _LABELS:
            bad.append(
                (
                    lineno,
                    f"[D023] {path}:{lineno}: label {label!r} is not in the taxonomy ({', '.join(sorted(_LABELS))})",
                )
            )
        else:
            good.append((lineno, rec))
    bad.sort()
    return good, bad


def load_labeled_file(path: str | Path, origin: str = "case") -> list[Row]:
    """Read labeled messages from JSONL (``text``, ``label``, optional ``id``) or CSV.

    Raises
    ------
    DataError
        At the first bad line (see :func:`read_labeled_records` to see them all).
    """
    path = Path(path)
    good, bad = read_labeled_records(path)
    if bad:
        raise DataError(bad[0][1])
    rows: list[Row] = []
    for lineno, rec in good:
        rid = str(rec.get("id") or f"{path.stem}-{lineno}")
        meta = {k: rec[k] for k in ("register", "author_note") if k in rec}
        rows.append(Row(rid, rec["text"], rec["label"], origin, path.stem, meta))
    return rows


def load_rows(config: dict) -> tuple[list[Row], list[Row]]:
    """All training rows and the held-out rows, as the config names them."""
    d = config["data"]
    rows: list[Row] = []
    corpus = _path(d["corpus"])
    files = sorted(corpus.glob("*.jsonl")) if corpus.is_dir() else []
    if not files:
        raise DataError(f"[D030] no corpus files in {corpus}")
    for f in files:
        rows += load_labeled_file(f, origin="authored")
    if d.get("use_shared", True):
        shared = _path(d["shared"])
        fixes = _path(d["relabel_fixes"]) if d.get("relabel_fixes") else None
        rows += load_kltn(shared / d["kltn"], _path(d["relabel_khac"]), bool(d["use_generated"]), fixes)
        if d.get("use_nana"):
            seed = int(config["split"]["seed"])
            rows += load_nana(
                shared / d["nana"], int(d["max_nana_legit"]), seed, fixes, gate_split_ids(config)
            )
    for extra in d.get("extra", []):
        rows += load_labeled_file(_path(extra), origin="case")
    heldout: list[Row] = []
    for h in d.get("heldout", []):
        if _path(h).exists():
            part = load_labeled_file(_path(h), origin="heldout")
            for r in part:  # figures are also reported per held-out file
                r.meta["file"] = _path(h).stem
            heldout += part
    return rows, heldout


# --- de-duplication and clustering ------------------------------------------------------------
def dedup_key(text: str) -> str:
    """Texts equal after normalization, folding and with digits blurred are duplicates."""
    return re.sub(r"\d", "0", normalize(text).folded)


def deduplicate(rows: list[Row]) -> tuple[list[Row], dict[str, int]]:
    """Drop exact duplicates; on a label conflict keep the most trusted origin's row."""
    best: dict[str, Row] = {}
    conflicts = 0
    dropped = 0
    for row in rows:
        key = dedup_key(row.text)
        if not key:
            dropped += 1
            continue
        old = best.get(key)
        if old is None:
            best[key] = row
            continue
        dropped += 1
        if old.label != row.label:
            conflicts += 1
            if _ORIGIN_PRIORITY[row.origin] < _ORIGIN_PRIORITY[old.origin]:
                best[key] = row
    return list(best.values()), {"duplicates_dropped": dropped, "label_conflicts": conflicts}


def cluster_ids(texts: list[str], threshold: float) -> np.ndarray:
    """Connected components of near-duplicates (cosine >= ``threshold`` on char 3-5-grams)."""
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    folded = [re.sub(r"\d", "0", normalize(t).folded) for t in texts]
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=1, sublinear_tf=True)
    X = vec.fit_transform(folded)
    n = X.shape[0]
    import scipy.sparse as sp

    edges_r, edges_c = [], []
    step = 2000
    XT = X.T.tocsr()
    for start in range(0, n, step):
        # only pairs (i, j) with j >= i: the other half of the product is the same numbers
        S = (X[start : start + step] @ XT[:, start:]).tocoo()
        keep = (S.data >= threshold) & (S.row < S.col)
        edges_r.append(S.row[keep] + start)
        edges_c.append(S.col[keep] + start)
    r = np.concatenate(edges_r) if edges_r else np.array([], dtype=int)
    c = np.concatenate(edges_c) if edges_c else np.array([], dtype=int)
    graph = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels


def near_duplicate_rate(texts: list[str], threshold: float = 0.8) -> float:
    """Share of rows that have a near-duplicate among the others."""
    ids = cluster_ids(texts, threshold)
    _, counts = np.unique(ids, return_counts=True)
    return float(counts[counts > 1].sum() / max(len(texts), 1))


def split_rows(rows: list[Row], heldout: list[Row], config: dict) -> dict[str, list[Row]]:
    """Split into train / val / test by near-duplicate cluster.

    Each cluster goes where a seeded hash of its texts points (``split.seed``, ``test_fraction``,
    ``val_fraction``), so the split is stable as data grows: adding rows (new cases, a new
    corpus batch) leaves every existing cluster on its side unless a new row joins it. A
    shuffled k-fold, which this replaced, re-dealt every row whenever one was added, so the
    test set changed with each data change and figures before and after could not be compared.

    Rows in a cluster with a held-out row are removed from training altogether, so the
    held-out set stays unseen. ``"_cluster_of"`` maps each kept row's id to its cluster, so the
    out-of-fold folds reuse these clusters instead of computing them again (a minute of work).
    """
    s = config["split"]
    all_rows = rows + heldout
    groups = cluster_ids([r.text for r in all_rows], float(s["near_duplicate_threshold"]))
    held_groups = set(groups[len(rows) :].tolist())
    keep = [i for i in range(len(rows)) if groups[i] not in held_groups]
    leaked = len(rows) - len(keep)
    rows = [rows[i] for i in keep]
    g = groups[keep]
    # A cluster is represented by its member with the smallest (unseeded) text hash; its place,
    # a number in [0, 1), is the seeded hash of that text. (The smallest seeded hash over the
    # members would send big clusters to the test side: the minimum of many draws is small.)
    rep: dict[int, str] = {}
    for r, c in zip(rows, g.tolist(), strict=True):
        h = _sha(r.text)
        if c not in rep or h < rep[c]:
            rep[c] = h
    seed = str(s["seed"])
    place = {c: int(_sha(f"{seed}\x00{h}")[:13], 16) / 16**13 for c, h in rep.items()}
    t_test = float(s["test_fraction"])
    t_val = t_test + float(s["val_fraction"])
    parts: dict[str, list[Row]] = {"train": [], "val": [], "test": []}
    for r, c in zip(rows, g.tolist(), strict=True):
        u = place[c]
        parts["test" if u < t_test else "val" if u < t_val else "train"].append(r)
    cluster_of = {r.id: int(c) for r, c in zip(rows, g.tolist(), strict=True)}
    return {**parts, "heldout": heldout, "_removed_near_heldout": leaked, "_cluster_of": cluster_of}  # type: ignore[dict-item]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def data_fingerprint(rows: list[Row]) -> str:
    """SHA-256 over the sorted (label, text) pairs: the same data gives the same print."""
    h = hashlib.sha256()
    for label, text in sorted((r.label, r.text) for r in rows):
        h.update(label.encode())
        h.update(b"\x00")
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\x01")
    return h.hexdigest()
