"""Data loading, de-duplication, the leak-free split, thresholds and the evaluation figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from training.data import (
    ROOT,
    DataError,
    Row,
    cluster_ids,
    deduplicate,
    load_config,
    load_labeled_file,
    near_duplicate_rate,
    split_rows,
)
from training.evaluate import (
    apply_leetspeak,
    choose_thresholds,
    evaluate_rows,
    render_report,
    strip_diacritics,
)

SHARED = ROOT.parent / "shared" / "data" / "raw"


def test_config_overrides_and_unknown_keys():
    cfg = load_config(overrides=["model.C=2.5", "split.seed=7"])
    assert cfg["model"]["C"] == 2.5 and cfg["split"]["seed"] == 7
    with pytest.raises(DataError, match="unknown setting 'model.nope'"):
        load_config(overrides=["model.nope=1"])
    with pytest.raises(DataError, match="section.key=value"):
        load_config(overrides=["C=1"])


def test_labeled_file_errors_name_file_and_line(tmp_path):
    f = tmp_path / "cases.jsonl"
    f.write_text('{"text": "ok", "label": "legit"}\n{"text": "x", "label": "nope"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"cases.jsonl:2: label 'nope'"):
        load_labeled_file(f)
    f.write_text('{"text": "ok", "label": "legit"}\n{broken\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"cases.jsonl:2: not valid JSON"):
        load_labeled_file(f)


def test_labeled_file_reads_csv(tmp_path):
    f = tmp_path / "cases.csv"
    f.write_text("text,label\nChuyển gấp 5 triệu vào STK này,relative_impersonation\n", encoding="utf-8")
    (row,) = load_labeled_file(f)
    assert row.label == "relative_impersonation" and row.origin == "case"


def test_dedup_drops_copies_differing_in_tones_case_and_digits():
    rows = [
        Row("a", "Quý khách đã trúng thưởng 50 triệu", "prize_giveaway", "authored", "t"),
        Row("b", "QUY KHACH DA TRUNG THUONG 70 TRIEU", "prize_giveaway", "generated", "t"),
        Row("c", "Mẹ ơi con về rồi", "legit", "real", "t"),
    ]
    kept, stats = deduplicate(rows)
    assert [r.id for r in kept] == ["a", "c"] and stats["duplicates_dropped"] == 1


def test_clusters_join_near_copies_only():
    texts = [
        "Cty HVS tuyển CTV làm việc tại nhà lương 500k/ngày, liên hệ Zalo 0912345678",
        "Cty HVS tuyển CTV làm việc tại nhà lương 700k/ngày, liên hệ Zalo 0987654321",
        "Tối nay họp phụ huynh lớp 5A lúc 19h tại phòng 204",
    ]
    ids = cluster_ids(texts, 0.8)
    assert ids[0] == ids[1] != ids[2]


def test_split_never_puts_a_cluster_on_both_sides(small_rows):
    # add near-copies so clusters have more than one member
    rows = list(small_rows) + [
        Row(r.id + "-copy", r.text + " !", r.label, r.origin, r.source) for r in small_rows[:80]
    ]
    held = [Row("h1", small_rows[5].text + " nhé", small_rows[5].label, "heldout", "h")]
    cfg = load_config()
    cfg["split"]["test_fraction"] = 0.2
    cfg["split"]["val_fraction"] = 0.2
    parts = split_rows(rows, held, cfg)
    removed = parts.pop("_removed_near_heldout")
    cluster_of = parts.pop("_cluster_of")
    assert removed >= 1  # the near-copy of the held-out row left the training data
    ids = cluster_ids([r.text for r in rows], 0.8)
    where = {}
    for name in ("train", "val", "test"):
        for r in parts[name]:
            where.setdefault(ids[rows.index(r)], set()).add(name)
    assert all(len(sides) == 1 for sides in where.values())
    # the clusters handed on to the out-of-fold folds are the split's: near-copies share one
    kept = {r.id for name in ("train", "val", "test") for r in parts[name]}
    assert set(cluster_of) == kept
    for r in small_rows[:80]:
        if r.id in kept and r.id + "-copy" in kept:
            assert cluster_of[r.id] == cluster_of[r.id + "-copy"]
    train_texts = {r.text for r in parts["train"]}
    assert small_rows[5].text not in train_texts


def test_split_is_stable_when_rows_are_added(small_rows):
    # New cases or a new corpus batch must not re-deal the test set: every existing row stays
    # on its side, so figures before and after a data change are on the same held-out rows.
    cfg = load_config()
    before = split_rows(list(small_rows), [], cfg)
    added = [
        Row(f"new-{i}", f"Tin nhắn mới số {i}: {w} gửi lúc {i} giờ", "legit", "case", "t")
        for i, w in enumerate(["chào cả nhà", "họp tổ dân phố", "đón con", "mua rau", "trả sách"] * 4)
    ]
    after = split_rows(list(small_rows) + added, [], cfg)
    side = {r.id: name for name in ("train", "val", "test") for r in before[name]}
    moved = [r.id for name in ("train", "val", "test") for r in after[name] if side.get(r.id, name) != name]
    assert moved == []
    # the shares follow the config, and another seed deals another split
    n = len(small_rows)
    assert 0.08 < len(before["test"]) / n < 0.25 and 0.08 < len(before["val"]) / n < 0.25
    cfg["split"]["seed"] = 7
    other = split_rows(list(small_rows), [], cfg)
    assert {r.id for r in other["test"]} != {r.id for r in before["test"]}


# the false-positive targets of training/config.toml, without the floors
_TARGETS = {"target_fpr_scam": 0.005, "target_fpr_suspicious": 0.03, "min_scam": 0.0, "min_suspicious": 0.0}


def test_thresholds_meet_the_false_positive_target():
    rng = np.random.default_rng(0)
    rows = [Row(str(i), "x", "legit", "real", "t") for i in range(1000)]
    risk = rng.random(1000) ** 4  # most legit rows score low
    cfg = {"thresholds": dict(_TARGETS)}
    t = choose_thresholds(risk, rows, cfg)
    assert (risk >= t["scam"]).mean() <= 0.005
    assert (risk >= t["suspicious"]).mean() <= 0.03
    assert t["suspicious"] <= t["scam"]


def test_thresholds_hold_the_target_on_each_source_not_only_on_their_union():
    # 2,000 easy comments and 500 SMS whose legit rows score higher: pooled, the SMS could run
    # at several times the target; by source, each stays within it
    rng = np.random.default_rng(1)
    rows = [Row(f"c{i}", "x", "legit", "real", "comments") for i in range(2000)]
    rows += [Row(f"s{i}", "x", "legit", "real", "sms") for i in range(500)]
    rows += [Row(f"t{i}", "x", "legit", "real", "tiny") for i in range(5)]  # too few to measure 0.5%
    risk = np.concatenate([rng.random(2000) * 0.3, rng.random(500), np.full(5, 0.999)])
    cfg = {"thresholds": dict(_TARGETS)}
    src = np.array([r.source for r in rows])
    pooled = choose_thresholds(risk, rows, cfg)  # the default
    by_source = choose_thresholds(risk, rows, {"thresholds": {**cfg["thresholds"], "fpr_by": "source"}})
    assert (risk[src == "sms"] >= pooled["scam"]).mean() > 0.01
    assert (risk[src == "sms"] >= by_source["scam"]).mean() <= 0.005
    assert (risk[src == "comments"] >= by_source["scam"]).mean() <= 0.005
    assert (risk >= by_source["scam"]).mean() <= 0.005
    # five rows cannot measure a rate of 0.5% (or 3%): on their own they do not lift the lines
    assert by_source["scam"] < 0.999 and by_source["suspicious"] <= by_source["scam"]
    with pytest.raises(ValueError, match="fpr_by"):
        choose_thresholds(risk, rows, {"thresholds": {**cfg["thresholds"], "fpr_by": "max"}})


def test_out_of_fold_thresholds_meet_the_target_on_rows_never_seen_by_their_scorer(small_rows):
    from app.taxonomy import label_ids, scam_labels
    from tests.conftest import SMALL_PARAMS
    from training.data import load_config
    from training.evaluate import choose_thresholds
    from training.train import fit_pipeline, oof_risk

    cfg = load_config()
    cfg["model"].update(SMALL_PARAMS)
    cfg["thresholds"]["fpr_origins"] = ["authored"]
    scams = set(scam_labels())
    both = oof_risk(small_rows, cfg, scams)
    assert both.shape == (len(small_rows), 2) and ((both >= 0) & (both <= 1 + 1e-9)).all()
    risk = both[:, 0]
    thr = choose_thresholds(risk, small_rows, cfg)
    legit = np.array([r.label == "legit" and r.origin == "authored" for r in small_rows])
    assert (risk[legit] >= thr["scam"]).mean() <= cfg["thresholds"]["target_fpr_scam"]
    # out-of-fold scores are honest: a model scoring rows it was fitted on is surer of them
    truth = np.array([r.label in scams for r in small_rows])
    in_sample = fit_pipeline(small_rows, cfg).predict_proba([r.text for r in small_rows])
    classes = list(label_ids())
    in_risk = in_sample[:, [i for i, c in enumerate(sorted(classes)) if c in scams]].sum(axis=1)
    assert risk[truth].mean() < in_risk[truth].mean()


def test_augmentation_adds_undiacritized_copies_of_real_and_authored_rows_only():
    from training.data import Row
    from training.train import augment_without_diacritics

    rows = [Row(f"a{i}", f"Chuyển khoản gấp {i} triệu", "bank_phishing", "authored", "t") for i in range(200)]
    rows += [Row(f"g{i}", f"Chuyển khoản {i}", "legit", "generated", "t") for i in range(50)]
    rows += [Row("plain", "chuyen khoan", "legit", "real", "t")]
    cfg = {"model": {"augment_no_diacritics": 0.5}}
    out = augment_without_diacritics(rows, cfg)
    added = out[len(rows) :]
    assert out[: len(rows)] == rows
    assert 60 < len(added) < 140  # about half of the 200 eligible rows with diacritics
    assert all(r.origin == "authored" and r.id.endswith("~nd") for r in added)
    assert all(r.text == strip_diacritics(r.text) and "Chuyen khoan" in r.text for r in added)
    assert [r.id for r in augment_without_diacritics(rows, cfg)[len(rows) :]] == [r.id for r in added]
    assert augment_without_diacritics(rows, {"model": {}}) == rows


def test_robustness_transforms():
    assert strip_diacritics("Chuyển khoản ngay") == "Chuyen khoan ngay"
    leet = apply_leetspeak("chuyen khoan ngay cho toi", seed=1, share=1.0)
    assert leet != "chuyen khoan ngay cho toi" and any(c.isdigit() for c in leet)


def test_evaluation_reports_every_figure_by_origin(small_model_dir, small_rows):
    from app.classifier import load_bundle

    bundle = load_bundle(small_model_dir)
    rows = small_rows[:40] + [Row("r1", "Tối nay mẹ về muộn", "legit", "real", "t")]
    ev = evaluate_rows(bundle, rows, bundle.thresholds, bundle.classes)
    for key in ("all", "authored", "real", "no_diacritics", "leetspeak", "worst"):
        assert key in ev
    fig = ev["authored"]
    assert {"precision", "recall", "f1", "fpr"} <= set(fig["binary_at_scam"])
    assert fig["confusion"]["labels"] and fig["per_label"]
    report = render_report({"version": "t"}, {"test": ev})
    assert "Robustness" in report and "Confusion matrix" in report
    c = fig["recall_certainty"]
    lo, hi = c["recall_interval_95"]
    assert lo <= fig["binary_at_scam"]["recall"] <= hi and c["n_scam_clusters"] >= 1
    assert "How sure the recall figures are" in report
    # third-party text is never quoted in a report, only its id
    assert "Tối nay mẹ về muộn" not in report


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data is not beside the checkout")
def test_every_real_khac_row_is_relabelled():
    from training.data import load_kltn

    rows = load_kltn(SHARED / "duynguyenhoang22__KLTN", ROOT / "training" / "relabel_khac.yaml", False)
    assert sum(r.origin == "real" for r in rows) == 2327 + 247


def test_corpus_is_diverse_enough():
    texts = []
    for path in sorted((ROOT / "data" / "corpus").glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh if line.strip()]
    assert len(texts) > 4000
    assert near_duplicate_rate(texts, 0.8) < 0.10


def test_corpus_rows_are_well_formed():
    from app.taxonomy import label_ids

    counts: dict[str, int] = {}
    for path in sorted(Path(ROOT / "data" / "corpus").glob("*.jsonl")):
        for row in load_labeled_file(path, origin="authored"):
            counts[row.label] = counts.get(row.label, 0) + 1
    for label in label_ids():
        minimum = 2000 if label == "legit" else 150
        assert counts.get(label, 0) >= minimum, (label, counts.get(label))


def test_oof_figures_count_recall_and_legit_fpr_by_origin():
    from training.train import oof_figures

    rows = [
        Row("s1", "x", "bank_phishing", "real", "t"),
        Row("s2", "x", "loan_debt", "real", "t"),
        Row("s3", "x", "loan_debt", "authored", "t"),
        Row("l1", "x", "legit", "real", "t"),
        Row("l2", "x", "legit", "real", "t"),
        Row("p1", "x", "spam", "real", "t"),  # spam is neither a scam nor legit here
    ]
    risk = np.array([0.9, 0.3, 0.6, 0.7, 0.1, 0.95])
    plain = np.array([0.4, 0.3, 0.6, 0.2, 0.1, 0.95])  # the same rows without diacritics
    f = oof_figures(
        risk, rows, {"scam": 0.5, "suspicious": 0.2}, {"bank_phishing", "loan_debt"}, risk_plain=plain
    )
    assert f["real"]["n_scam"] == 2 and f["real"]["n_legit"] == 2
    assert (
        f["real"]["recall_at_scam_no_diacritics"] == 0.0
        and f["real"]["legit_fpr_at_scam_no_diacritics"] == 0.0
    )
    assert f["real"]["recall_at_scam"] == 0.5 and f["real"]["recall_at_suspicious"] == 1.0
    assert f["real"]["legit_fpr_at_scam"] == 0.5
    assert f["authored"]["recall_at_scam"] == 1.0 and f["authored"]["legit_fpr_at_scam"] is None
    assert f["all"]["n_scam"] == 3


def test_recall_certainty_counts_a_cluster_of_near_copies_once():
    from training.evaluate import recall_by_cluster, wilson_interval

    # five near-copies of one missed message and five different caught ones
    hit = np.array([False] * 5 + [True] * 5)
    groups = np.array([7] * 5 + [1, 2, 3, 4, 5])
    assert recall_by_cluster(hit, groups) == (round(5 / 6, 4), 6)
    assert recall_by_cluster(np.array([], dtype=bool), np.array([], dtype=int)) == (None, 0)
    # 11 of 22: the measured half is compatible with anything from about 31% to 69%
    lo, hi = wilson_interval(11, 22)
    assert 0.30 < lo < 0.32 and 0.68 < hi < 0.70
    assert wilson_interval(22, 22)[1] == 1.0 and wilson_interval(0, 0) is None


def test_oof_figures_give_the_recall_interval_and_the_per_cluster_recall():
    from training.train import oof_figures

    rows = [Row(f"s{i}", "x", "loan_debt", "real", "t") for i in range(4)] + [
        Row("l", "x", "legit", "real", "t")
    ]
    risk = np.array([0.1, 0.1, 0.1, 0.9, 0.0])  # three near-copies missed, one other message caught
    f = oof_figures(
        risk,
        rows,
        {"scam": 0.5, "suspicious": 0.2},
        {"loan_debt"},
        cluster_of={"s0": 3, "s1": 3, "s2": 3, "s3": 8, "l": 9},
    )
    c = f["real"]["recall_certainty"]
    assert f["real"]["recall_at_scam"] == 0.25 and c["recall_by_cluster"] == 0.5 and c["n_scam_clusters"] == 2
    lo, hi = c["recall_interval_95"]
    assert lo < 0.25 < hi
    report = render_report({"version": "t", "metrics_oof": f}, {})
    assert "How sure the recall figures are" in report and "| out of fold | real | 4 | 2 | 0.250 |" in report


def test_false_alarms_are_reported_source_by_source():
    from training.train import oof_figures

    # 1 of 4 inbox SMS flagged, 0 of 6 comments: pooled the FPR reads 0.1, the SMS alone 0.25
    rows = [Row(f"m{i}", "x", "legit", "real", "kltn_real_legit") for i in range(4)]
    rows += [Row(f"c{i}", "x", "legit", "real", "nana_legit") for i in range(6)]
    rows += [Row("s", "x", "loan_debt", "real", "kltn_real_scam")]
    risk = np.array([0.9, 0.1, 0.1, 0.1] + [0.0] * 6 + [0.8])
    f = oof_figures(risk, rows, {"scam": 0.5, "suspicious": 0.2}, {"loan_debt"})
    assert f["real"]["legit_fpr_at_scam"] == 0.1
    by = f["real"]["legit_fpr_by_source"]
    assert by["kltn_real_legit"] == {"n": 4, "false_alarms": 1, "fpr": 0.25}
    assert by["nana_legit"] == {"n": 6, "false_alarms": 0, "fpr": 0.0}
    report = render_report({"version": "t", "metrics_oof": f}, {})
    assert "| out of fold | kltn_real_legit | 4 | 1 | 0.250 |" in report


def test_sample_weights_by_source_win_over_weights_by_origin():
    from training.train import origin_weights

    rows = [
        Row("a", "x", "legit", "real", "kltn_real_legit"),
        Row("b", "x", "legit", "real", "nana_legit"),
        Row("c", "x", "legit", "generated", "kltn_generated_legit"),
    ]
    cfg = {"model": {"origin_weight": {"generated": 0.3, "kltn_real_legit": 4, "real": 2}}}
    assert origin_weights(rows, cfg).tolist() == [4.0, 2.0, 0.3]


@pytest.mark.parametrize("target", [0.0, 0.005, 0.1, 0.25, 1.0])
def test_transfer_threshold_flags_at_most_the_target_share_and_is_the_lowest_that_does(target):
    from training.transfer import _threshold_at_fpr

    risk = np.random.default_rng(3).random(200)
    risk[:10] = 0.9  # ties at the top
    t = _threshold_at_fpr(risk, target)
    assert (risk >= t).mean() <= target
    # any lower line that is still above a score flags more than the target
    below = risk[risk < t]
    if len(below):
        assert (risk >= below.max()).mean() > target


def test_transfer_halves_keep_each_cluster_whole_and_do_not_move_when_rows_are_added():
    from training.transfer import _halves

    rows = [Row(f"r{i}", f"text {i}", "other_scam", "real", "sms") for i in range(40)]
    cluster_of = {r.id: i // 2 for i, r in enumerate(rows)}  # pairs of near-copies
    halves = dict(zip([r.id for r in rows], _halves(rows, cluster_of), strict=True))
    assert {halves[f"r{i}"] for i in range(0, 40, 2)} == {"A", "B"}  # both halves are used
    assert all(halves[f"r{i}"] == halves[f"r{i + 1}"] for i in range(0, 40, 2))
    # a new cluster does not move the old ones between halves
    more = rows + [Row("new", "new text", "other_scam", "real", "sms")]
    assert _halves(more, {**cluster_of, "new": 99})[:-1] == [halves[r.id] for r in rows]


def test_transfer_fits_without_any_real_scam_or_its_near_copies(small_rows):
    from app.taxonomy import scam_labels
    from tests.conftest import SMALL_PARAMS
    from training.data import cluster_ids, load_config
    from training.evaluate import strip_diacritics
    from training.transfer import transfer_figures

    cfg = load_config()
    cfg["model"].update(SMALL_PARAMS)
    scams = set(scam_labels())
    # every fifth scam plays a real one, typed without diacritics as much real SMS is; one
    # authored near-copy of the first stays in training
    rows = [
        Row(r.id, strip_diacritics(r.text), r.label, "real", r.source)
        if r.label in scams and i % 5 == 0
        else r
        for i, r in enumerate(small_rows)
    ]
    real_scams = [r for r in rows if r.origin == "real"]
    twin = Row("twin", real_scams[0].text + " !", real_scams[0].label, "authored", "t")
    held = [r for r in rows if r.label == "legit"][:20]  # the test split's real legitimate rows
    legit = [Row(r.id, r.text, "legit", "real", "sms") for r in held]
    train = [r for r in rows if r not in real_scams[:3] and r not in held] + [twin]
    parts = {"train": train, "val": [], "test": real_scams[:3] + legit}
    everything = parts["train"] + parts["test"]
    cluster_of = dict(
        zip([r.id for r in everything], cluster_ids([r.text for r in everything], 0.8).tolist(), strict=True)
    )
    assert cluster_of["twin"] == cluster_of[real_scams[0].id]

    fig = transfer_figures(parts, cluster_of, cfg, {"scam": 0.5, "suspicious": 0.2})
    assert fig["n_real_scams"] == len(real_scams)
    assert fig["real_scams_or_near_copies_fitted"] == 0
    # each fold fits everything but the real scams, the twin and that fold's real legit rows
    assert len(fig["fitted_rows"]) == fig["folds"] == 3
    assert sum(len(everything) - len(real_scams) - 1 - n for n in fig["fitted_rows"]) == len(legit)
    assert "real" not in fig["fitted_by_origin"]
    assert 0 <= fig["recall_at_scam"] <= fig["recall_at_suspicious"] <= 1
    # the same models score each row again stripped: these rows have nothing to strip
    assert fig["recall_without_diacritics"] == fig["recall_at_scam"]
    assert fig["legit_fpr_without_diacritics"] is not None
    assert sum(f["n"] for f in fig["recall_by_label"].values()) == len(real_scams)
    assert sum(f["n"] for f in fig["recall_by_source"].values()) == len(real_scams)
    assert sum(f["n"] for f in fig["recall_by_half"].values()) == len(real_scams)
    # every real legitimate row is scored, each by a model that never saw it
    assert fig["n_real_legit"] == fig["legit_fpr_by_source"]["sms"]["n"] == 20
    assert fig["legit_fpr_by_source"]["sms"]["fpr"] < 0.5
    at, strict = fig["at_target_fpr"], fig["at_half_target_fpr"]
    assert at["target"] == cfg["thresholds"]["target_fpr_scam"] == 2 * strict["target"]
    assert 0 <= at["recall"] <= 1
    # the stricter line flags no more real legit rows, so it catches no more real scams
    assert strict["false_alarms"] <= at["false_alarms"] <= at["target"] * fig["n_real_legit"]
    assert strict["caught"] <= at["caught"] == round(at["recall"] * len(real_scams))
    assert sum(at["caught_by_half"].values()) == at["caught"]

    with pytest.raises(ValueError, match="no real scam"):
        transfer_figures(
            {"train": small_rows, "val": [], "test": []}, {}, cfg, {"scam": 0.5, "suspicious": 0.2}
        )
