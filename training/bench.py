"""Benchmarks anyone can rerun: ``make bench`` (or ``python -m training.bench``)."""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import time
from pathlib import Path

import numpy as np

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


def _peak_rss_mb(code: str) -> float:
    """Peak resident memory (MB) of a fresh Python process running ``code``.

    Read from the process's own VmHWM, which starts afresh at exec: ``ru_maxrss`` would
    inherit the peak of the (large) benchmark process that forked it.
    """
    import subprocess
    import sys

    wrapper = (
        code
        + "\nimport re\n"
        + "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return round(float(out.stdout.strip().splitlines()[-1]), 1)


def _baseline(config: dict):
    """The plain baseline of the issue: TF-IDF word 1-2 + char 2-5 + LogisticRegression on the
    shared data alone (what a first attempt trains), on raw text with no normalization."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    from training.data import deduplicate, load_rows

    rows, _ = load_rows(config)
    rows, _ = deduplicate([r for r in rows if r.origin in ("real", "generated")])
    pipe = make_pipeline(
        FeatureUnion(
            [
                ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)),
                ("char", TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
            ]
        ),
        LogisticRegression(max_iter=1000, C=10),
    )
    pipe.fit([r.text for r in rows], [r.label for r in rows])
    return pipe


def bench_score(n: int = 10_000) -> dict:
    """Scoring throughput (1 and 2 workers) beside the plain baseline; accuracy of both on the
    held-out authored set (never trained on; the closest thing we have to news-quoted scams)."""
    from app.scoring import score_records
    from app.service import Classifier
    from app.taxonomy import scam_labels
    from training.data import load_config, load_labeled_file

    texts = _bench_texts(n)
    clf = Classifier.from_dir()
    list(clf.classify_many(texts[:200]))
    config = load_config()
    t0 = time.perf_counter()
    base = _baseline(config)
    base_fit = time.perf_counter() - t0
    base.predict_proba(texts[:200])

    def ours_once() -> float:
        t0 = time.perf_counter()
        for _ in clf.classify_many(texts, batch_size=1000):
            pass
        return n / (time.perf_counter() - t0)

    def base_once() -> float:
        t0 = time.perf_counter()
        for i in range(0, n, 1000):
            base.predict_proba(texts[i : i + 1000])
        return n / (time.perf_counter() - t0)

    # side by side: alternate the two, three rounds each, and keep each one's median, so a
    # passing disturbance on the machine does not decide the comparison
    ours_runs, base_runs = [], []
    for _ in range(3):
        ours_runs.append(ours_once())
        base_runs.append(base_once())
    single, base_speed = float(np.median(ours_runs)), float(np.median(base_runs))
    m = min(n, 2000)
    t0 = time.perf_counter()
    for _ in clf.classify_many(texts[:m], batch_size=1000, explain=True):
        pass
    explained = m / (time.perf_counter() - t0)
    recs = [{"id": i, "text": t} for i, t in enumerate(texts)]
    t0 = time.perf_counter()
    for _ in score_records(recs, classifier=clf, workers=2, batch_size=1000):
        pass
    two = n / (time.perf_counter() - t0)

    scams = set(scam_labels())
    # every set under data/eval/ is never trained on: ours and the baseline, side by side
    acc = {}
    for held in sorted((ROOT / "data" / "eval").glob("*.jsonl")):
        rows = load_labeled_file(held, origin="heldout")
        truth = np.array([r.label in scams for r in rows])
        ours = list(clf.classify_many([r.text for r in rows], batch_size=1000))
        P = base.predict_proba([r.text for r in rows])
        cls = list(base.classes_)
        base_risk = P[:, [i for i, c in enumerate(cls) if c in scams]].sum(axis=1)
        base_type = [cls[i] for i in P.argmax(axis=1)]
        ours_flag = np.array([v["verdict"] == "scam" for v in ours])
        ours_warn = np.array([v["verdict"] in ("scam", "suspicious") for v in ours])
        base_flag = base_risk >= 0.5
        legit = np.array([r.label == "legit" for r in rows])
        pairs = [(v, b, r) for v, b, r, t in zip(ours, base_type, rows, truth, strict=True) if t]
        acc[held.stem] = {
            "scams": int(truth.sum()),
            "legit": int(legit.sum()),
            "ours_recall": round(float(ours_flag[truth].mean()), 3),
            "ours_type_right": round(float(np.mean([v["scam_type"] == r.label for v, _, r in pairs])), 3),
            "ours_legit_fpr": round(float(ours_flag[legit].mean()), 3),
            # a chat log scored line by line shows "suspicious" lines too: how many ordinary ones
            "ours_legit_scam_or_suspicious": round(float(ours_warn[legit].mean()), 3),
            "baseline_recall": round(float(base_flag[truth].mean()), 3),
            "baseline_type_right": round(float(np.mean([b == r.label for _, b, r in pairs])), 3),
            "baseline_legit_fpr": round(float(base_flag[legit].mean()), 3),
        }
    mem = _peak_rss_mb(
        "from app.service import Classifier\nfrom training.bench import _bench_texts\n"
        f"c = Classifier.from_dir()\nfor _ in c.classify_many(_bench_texts({n}), batch_size=1000): pass"
    )
    return {
        "messages": n,
        "ours_msgs_per_s_1_worker": round(single),
        "ours_msgs_per_s_2_workers": round(two),
        "ours_msgs_per_s_with_explanations": round(explained),
        "explanation_ms_per_msg": round(1000 / explained - 1000 / single, 3),
        "baseline_msgs_per_s_1_process": round(base_speed),
        "rounds_msgs_per_s_ours_vs_baseline": [
            [round(a), round(b)] for a, b in zip(ours_runs, base_runs, strict=True)
        ],
        "baseline_fit_seconds": round(base_fit, 1),
        "peak_rss_mb_one_scoring_process": mem,
        **{f"{name}: {k}": v for name, figures in acc.items() for k, v in figures.items()},
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


def bench_bulk(n: int | None = None) -> dict:
    """End to end ``canhgiac score`` (read + score + write) on a generated Telegram export of
    ``n`` messages (default 1,000,000; set CANHGIAC_BENCH_BULK_N to change), with 1 and 2
    workers, and the peak memory of the largest process."""
    import os
    import subprocess
    import sys
    import tempfile

    from training.gen_chatlog import generate_telegram_export

    n = n or int(os.environ.get("CANHGIAC_BENCH_BULK_N", "1000000"))
    out: dict = {"messages_generated": n}
    with tempfile.TemporaryDirectory() as tmp:
        src = generate_telegram_export(Path(tmp) / "result.json", n)
        out["file_mib"] = round(src.stat().st_size / 2**20, 1)
        for workers in (1, 2):
            dst = Path(tmp) / f"out{workers}.jsonl"
            code = (
                "import resource, sys\n"
                "from pathlib import Path\n"
                "from app.bulk import run_score\n"
                f"s = run_score([Path({str(src)!r})], Path({str(dst)!r}), workers={workers}, show_progress=False)\n"
                "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
                "import re\n"
                "me = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
                "print(s['scored'], s['seconds'], me, kids)\n"
            )
            t0 = time.perf_counter()
            res = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
            )
            wall = time.perf_counter() - t0
            scored, seconds, me, kids = res.stdout.split()[-4:]
            out[f"workers_{workers}_scored"] = int(scored)
            out[f"workers_{workers}_msgs_per_s"] = round(int(scored) / float(seconds))
            out[f"workers_{workers}_wall_s"] = round(wall, 1)
            out[f"workers_{workers}_peak_rss_mb_largest_process"] = round(max(int(me), int(kids)) / 1024, 1)
    return out


def _rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    import os

    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _entity_rows(n: int):
    """``n`` stored entities of every kind, as the database would return them (not kept)."""
    from datetime import UTC, datetime

    t = datetime(2026, 1, 1, tzinfo=UTC)
    codes = ("VCB", "TCB", "MB", "ACB", "BIDV", "CTG", "VPB", "TPB")
    for i in range(n):
        k = i % 20
        if k < 8:
            row = ("bank_account", f"{codes[i % 8]}:{1_000_000_000_000 + i * 7919}")
        elif k < 13:
            row = ("phone", f"+849{10_000_000 + i % 89_999_999:08d}")
        elif k < 17:
            row = ("domain", f"scam{i}.icu")
        elif k < 18:
            row = ("url", f"http://login{i}.host{i % 5000}.com")
        elif k < 19:
            row = ("ewallet", f"MOMO:+848{10_000_000 + i % 89_999_999:08d}")
        else:
            row = ("handle", f"@hotro_{i}")
        yield (i + 1, *row, "confirmed" if i % 3 else "reported", "bench", t, t, i % 7, i % 3, t)


def bench_entities(n: int = 1_000_000, lookups: int = 20_000) -> dict:
    """The suspicious-entity index with ``n`` entities: build time, memory, look-up latency.

    Look-ups go through ``app.entities.check`` exactly as ``GET /v1/entities/check`` does
    (guess the kind, normalize, walk the keys), on values written the way people paste them,
    half listed and half not; ``match_entity`` is what a verdict pays per entity in a message.
    """
    import gc

    from app.entities import EntityIndex, check

    check(EntityIndex(), "VCB 0071 000 986 547")  # load the text tables and the store's helpers
    gc.collect()
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    index = EntityIndex()
    index.put_rows(_entity_rows(n))
    build_s = time.perf_counter() - t0
    gc.collect()
    rss1 = _rss_mb()
    rng = np.random.default_rng(0)
    values = []
    for i in rng.integers(0, n, lookups):
        i = int(i)
        k = i % 20
        listed = i % 2 == 0
        j = i if listed else i + 10 * n  # an id never stored: not listed
        if k < 8:
            digits = str(1_000_000_000_000 + j * 7919)
            bank = ("Vietcombank", "Techcombank", "MB", "ACB", "BIDV", "Vietinbank", "VPBank", "TPBank")[
                i % 8
            ]
            values.append(f"{bank}: {digits[:4]}.{digits[4:8]}.{digits[8:]}")
        elif k < 13:
            values.append(f"09{(10_000_000 + i % 89_999_999) + (0 if listed else 3):08d}"[:10])
        elif k < 17:
            values.append(f"https://dang-nhap.scam{j}.icu/xac-thuc?id={i}")
        elif k < 18:
            values.append(f"login{j}.host{i % 5000}.com/abc")
        elif k < 19:
            values.append(f"ví MoMo 08{(10_000_000 + i % 89_999_999):08d}"[:18])
        else:
            values.append(f"@hotro_{j}")
    times = np.empty(len(values))
    known = 0
    for x, v in enumerate(values):
        t = time.perf_counter()
        known += check(index, v)["known"]
        times[x] = time.perf_counter() - t
    entity = {"kind": "url", "value": "https://dang-nhap.scam4.icu/x", "text": "x", "start": 0, "end": 1}
    t = time.perf_counter()
    for _ in range(lookups):
        index.match_entity(entity)
    per_entity = (time.perf_counter() - t) / lookups
    return {
        "entities": len(index),
        "build_s": round(build_s, 2),
        "index_rss_mb": round(rss1 - rss0, 1),
        "bytes_per_entity": round((rss1 - rss0) * 2**20 / max(len(index), 1)),
        "lookups": len(values),
        "lookups_known": known,
        "check_p50_ms": round(float(np.percentile(times, 50)) * 1000, 3),
        "check_p99_ms": round(float(np.percentile(times, 99)) * 1000, 3),
        "check_max_ms": round(float(times.max()) * 1000, 3),
        "verdict_match_us_per_entity": round(per_entity * 1e6, 2),
    }


def bench_conversations(trials: int = 2000, seed: int = 0) -> dict:
    """How chat-log summaries fare: ordinary conversations flagged, scam conversations caught.

    Lines are real social-media comments never trained on (the gate split, from ``../shared``)
    and the scam rows of ``data/eval/``, scored once by the active model; conversations are
    drawn from them at random. A conversation is ``scam_script`` when enough of its lines are
    borderline: the figures compare a count alone (the old rule) with a count and a share.
    """
    from app.chatlogs import summarize
    from app.service import Classifier
    from app.taxonomy import scam_labels

    from .data import _path, gate_split_ids, load_config, load_labeled_file, load_nana

    config = load_config()
    ids = gate_split_ids(config)
    root = _path(config["data"]["shared"]) / config["data"]["nana"]
    if not ids or not root.exists():
        return {"skipped": "needs ../shared/data (the gate split of real comments)"}
    ordinary = [r.text for r in load_nana(root, 10**9, 0) if r.id in ids and r.label == "legit"]
    scams = set(scam_labels())
    scam_lines = [
        r.text
        for held in sorted((ROOT / "data" / "eval").glob("*.jsonl"))
        for r in load_labeled_file(held, origin="heldout")
        if r.label in scams and len(r.text) <= 160
    ]
    clf = Classifier.from_dir()
    keep = ("verdict", "risk_score", "scam_type", "label", "is_scam")

    def scored(texts: list[str]) -> list[dict]:
        return [
            {k: v[k] for k in keep} | {"text": t, "entities": []}
            for t, v in zip(texts, clf.classify_many(texts, batch_size=1000), strict=True)
        ]

    plain, scam = scored(ordinary), scored(scam_lines)
    missed = [r for r in scam if r["verdict"] != "scam"]
    rng = np.random.default_rng(seed)

    def verdicts(pool_a, k_a, pool_b, k_b, share):
        out = []
        for _ in range(trials):
            lines = [pool_a[i] for i in rng.choice(len(pool_a), k_a, replace=False)]
            if k_b:
                lines += [pool_b[i] for i in rng.choice(len(pool_b), k_b, replace=False)]
            rng.shuffle(lines)
            rows = [r | {"conversation": "c", "sender": "s"} for r in lines]
            out.append(
                summarize(rows, min_borderline_share=share)["conversations"][0]["conversation_verdict"]
            )
        return out

    fig = {
        "ordinary_lines": len(plain),
        "ordinary_lines_borderline": round(
            float(np.mean([r["verdict"] != "safe" or r["risk_score"] >= 0.2 for r in plain])), 4
        ),
        "scam_lines": len(scam),
        "scam_lines_not_caught_alone": len(missed),
    }
    for share in (0.0, 0.1, 0.2):
        for n in (10, 30, 100, 300):
            v = verdicts(plain, n, [], 0, share)
            fig[f"share {share}: ordinary {n} lines flagged scam_script"] = round(
                v.count("scam_script") / trials, 4
            )
        if len(missed) >= 3:
            v = verdicts(plain, 7, missed, 3, share)
            fig[f"share {share}: 7 ordinary + 3 uncaught scam lines flagged"] = round(
                sum(x != "safe" for x in v) / trials, 4
            )
    return fig


BENCHES = {
    "normalize": bench_normalize,
    "patterns": bench_patterns,
    "score": bench_score,
    "chatlogs": bench_chatlogs,
    "conversations": bench_conversations,
    "entities": bench_entities,
    "bulk": bench_bulk,
}


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
