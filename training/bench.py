"""Benchmarks anyone can rerun: ``make bench`` (or ``python -m training.bench``)."""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples" / "messages.jsonl"
CORPUS = ROOT / "data" / "corpus"


def _bench_texts(n: int) -> list[str]:
    """``n`` messages cycled from the project's own corpus (or the samples)."""
    texts: list[str] = []
    for path in sorted(CORPUS.glob("*.jsonl")) or [SAMPLES]:
        with open(path, encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    if not texts:
        with open(SAMPLES, encoding="utf-8") as fh:
            texts = [json.loads(line)["text"] for line in fh if line.strip()]
    return list(itertools.islice(itertools.cycle(texts), n))


def bench_normalize(n: int = 10_000) -> dict:
    """Messages per second of ``normalize``, with and without word segmentation."""
    from app.text import normalize, segment

    texts = _bench_texts(n)
    normalize(texts[0])  # load the tables
    segment("khởi động")  # load underthesea
    t0 = time.perf_counter()
    normed = [normalize(t) for t in texts]
    t1 = time.perf_counter()
    for x in normed:
        segment(x.text)
    t2 = time.perf_counter()
    plain = n / (t1 - t0)
    seg = n / ((t1 - t0) + (t2 - t1))
    return {
        "messages": n,
        "mean_chars": round(sum(map(len, texts)) / n, 1),
        "normalize_msgs_per_s": round(plain),
        "normalize_plus_segment_msgs_per_s": round(seg),
        "segment_ms_per_msg": round((t2 - t1) / n * 1000, 3),
        "normalize_ms_per_msg": round((t1 - t0) / n * 1000, 3),
    }


def bench_patterns(n: int = 2_000, chars: int = 200) -> dict:
    """Time of ``PatternLibrary.match`` alone (normalization excluded) on ``chars``-long messages."""
    import statistics

    from app.patterns import load_library
    from app.text import normalize

    lib = load_library(check_examples=False)
    texts = [(t + " " + t)[:chars] for t in _bench_texts(n)]
    normed = [normalize(t) for t in texts]
    for x in normed[:50]:
        lib.match(x)  # warm up
    per: list[float] = []
    for x in normed:
        t0 = time.perf_counter()
        lib.match(x)
        per.append((time.perf_counter() - t0) * 1000)
    per.sort()
    return {
        "messages": n,
        "chars": chars,
        "reported_patterns": len(lib.ids),
        "match_ms_mean": round(statistics.fmean(per), 4),
        "match_ms_median": round(per[len(per) // 2], 4),
        "match_ms_p95": round(per[int(len(per) * 0.95)], 4),
        "match_ms_max": round(per[-1], 4),
    }


BENCHES = {"normalize": bench_normalize, "patterns": bench_patterns}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated: " + ", ".join(BENCHES))
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    results = {"machine": f"{platform.machine()} {platform.python_version()}"}
    for name in args.only.split(","):
        results[name] = BENCHES[name.strip()]()
        if not args.json:
            print(f"== {name}")
            for k, v in results[name].items():
                print(f"  {k:40s} {v}")
    if args.json:
        print(json.dumps(results, indent=2))
    print("reproduce with: make bench   (or: .venv/bin/python -m training.bench --only " + args.only + ")")


if __name__ == "__main__":
    main()
