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


def bench_chatlogs(n: int = 200_000) -> dict:
    """Messages per second of the Telegram reader on a generated ``n``-message export."""
    import tempfile

    from app.chatlogs import ReadStats, read_chatlog
    from app.chatlogs._telegram import read_telegram_events
    from training.gen_chatlog import generate_telegram_export

    with tempfile.TemporaryDirectory() as tmp:
        path = generate_telegram_export(Path(tmp) / "result.json", n)
        size = path.stat().st_size
        stats = ReadStats()
        t0 = time.perf_counter()
        for _ in read_chatlog(path, stats=stats):
            pass
        t1 = time.perf_counter()
        for _ in read_telegram_events(path, ReadStats()):
            pass
        t2 = time.perf_counter()
    return {
        "records": n,
        "file_mib": round(size / 2**20, 1),
        "messages_yielded": stats.read,
        "telegram_msgs_per_s": round(stats.read / (t1 - t0)),
        "telegram_records_per_s": round(n / (t1 - t0)),
        "telegram_mib_per_s": round(size / 2**20 / (t1 - t0), 1),
        "telegram_event_reader_msgs_per_s": round(stats.read / (t2 - t1)),
    }


BENCHES = {"normalize": bench_normalize, "chatlogs": bench_chatlogs}


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
