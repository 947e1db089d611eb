"""Bulk scoring: records in, verdicts out, in input order, on one or several processes."""

from __future__ import annotations

import itertools
import multiprocessing as mp
from collections.abc import Iterable, Iterator
from pathlib import Path

from app.service import Classifier

__all__ = ["score_records", "OUTPUT_FIELDS"]

# What every output line carries besides the record's own id (and, for chat logs, its context).
OUTPUT_FIELDS = ("label", "is_scam", "risk_score", "verdict", "scam_type", "probabilities", "model_version")

_worker_clf: Classifier | None = None
_worker_explain = False


def _init_worker(model_dir: str | None, version: str | None, explain: bool, clf: Classifier | None) -> None:
    global _worker_clf, _worker_explain
    _worker_clf = clf if clf is not None else Classifier.from_dir(model_dir, version)
    _worker_explain = explain


def _score_batch(batch: list[dict]) -> list[dict]:
    assert _worker_clf is not None
    verdicts = _worker_clf.classify_many(
        [r["text"] for r in batch], explain=_worker_explain, batch_size=len(batch)
    )
    out = []
    for rec, v in zip(batch, verdicts, strict=True):
        row = {k: v for k, v in rec.items() if k != "text"}
        row.update({k: v[k] for k in OUTPUT_FIELDS})
        if _worker_explain and v["verdict"] in ("scam", "suspicious"):
            row["entities"] = v.get("entities", [])
            if "explanation" in v:
                row["explanation"] = v["explanation"]
        out.append(row)
    return out


def score_records(
    records: Iterable[dict],
    *,
    model_dir: str | Path | None = None,
    version: str | None = None,
    classifier: Classifier | None = None,
    workers: int = 1,
    batch_size: int = 1000,
    explain: bool = False,
) -> Iterator[dict]:
    """Score records (dicts with a ``text`` key) and yield results in the same order.

    With ``workers > 1`` batches go to a pool of forked processes; each inherits the loaded
    model (copy-on-write), so start-up is instant and memory is shared until written to.
    Memory stays bounded: at most ``2 * workers`` batches are in flight.
    """
    clf = classifier or Classifier.from_dir(model_dir, version)
    batches = iter(lambda it=iter(records): list(itertools.islice(it, batch_size)), [])
    if workers <= 1:
        _init_worker(None, None, explain, clf)
        for batch in batches:
            yield from _score_batch(batch)
        return
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(None, None, explain, clf)) as pool:
        # imap keeps order; a bounded window of submitted batches keeps memory flat
        window = 2 * workers
        pending = []
        for batch in batches:
            pending.append(pool.apply_async(_score_batch, (batch,)))
            if len(pending) >= window:
                yield from pending.pop(0).get()
        for p in pending:
            yield from p.get()
