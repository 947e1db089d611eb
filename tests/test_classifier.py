"""The shared pipeline, model bundles (checksums, versions) and the verdict rules."""

from __future__ import annotations

import json
import pickle

import pytest

from app.classifier import ModelError, build_pipeline, decide, load_bundle, save_bundle
from app.features import SIGNAL_NAMES, SignalFeatures
from app.taxonomy import label_ids, scam_labels
from app.text import normalize

from .conftest import SMALL_PARAMS

SCAMS = set(scam_labels())


def test_pipeline_starts_from_normalize_and_pickles(small_model_dir):
    bundle = load_bundle(small_model_dir)
    pipe = bundle.pipeline
    assert list(pipe.named_steps) == ["normalize", "features", "clf"]
    clone = pickle.loads(pickle.dumps(pipe))
    text = "Công an yêu cầu chuyển tiền vào tài khoản tạm giữ"
    assert (clone.predict_proba([text]) == pipe.predict_proba([text])).all()


def test_pipeline_accepts_raw_and_normalized_text_alike(small_model_dir):
    pipe = load_bundle(small_model_dir).pipeline
    text = "B4n da zu d!eu k1en nh4n t1en, truy cap vcb-hotro.icu"
    assert (pipe.predict_proba([text]) == pipe.predict_proba([normalize(text)])).all()


def test_probabilities_cover_every_label_and_sum_to_one(small_model_dir):
    bundle = load_bundle(small_model_dir)
    P = bundle.pipeline.predict_proba(["Mẹ ơi tối nay con về muộn", "Chúc mừng bạn trúng thưởng SH"])
    assert sorted(bundle.classes) == sorted(label_ids())
    assert abs(P.sum(axis=1) - 1).max() < 1e-6


def test_bundle_refuses_a_changed_artefact(small_model_dir, tmp_path):
    import shutil

    copy = tmp_path / "models"
    shutil.copytree(small_model_dir, copy)
    artefact = copy / "vtest-1" / "model.joblib"
    data = bytearray(artefact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artefact.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum mismatch"):
        load_bundle(copy)


def test_bundle_refuses_other_library_versions(small_model_dir, tmp_path):
    import shutil

    copy = tmp_path / "models"
    shutil.copytree(small_model_dir, copy)
    meta_path = copy / "vtest-1" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["runtime"]["scikit-learn"] = "0.24.2"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="scikit-learn 0.24.2"):
        load_bundle(copy)


def test_bundle_missing_active_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="ACTIVE is missing"):
        load_bundle(tmp_path)


def test_save_bundle_never_overwrites_a_version(small_model_dir):
    bundle = load_bundle(small_model_dir)
    with pytest.raises(ModelError, match="already exists"):
        save_bundle(bundle.pipeline, bundle.meta, small_model_dir, "vtest-1")


def test_signal_features_flag_suspicious_links_and_disguise():
    sig = SignalFeatures().fit([])
    X = sig.transform(
        [normalize("B4n nh4n t1en t4i vcb-hotro.icu goi +855 12 345 678"), normalize("Hẹn gặp lúc 7 giờ")]
    ).toarray()
    col = {n: i for i, n in enumerate(SIGNAL_NAMES)}
    assert X[0, col["url_suspicious_tld"]] == 1 and X[0, col["url_brand_lookalike"]] == 1
    assert X[0, col["phone_foreign"]] == 1 and X[0, col["leet"]] > 0
    assert X[1].sum() > 0 and X[1, col["n_url"]] == 0


def _probs(**top):
    p = dict.fromkeys(label_ids(), 0.0)
    p.update(top)
    return p


@pytest.mark.parametrize(
    ("probs", "verdict", "label"),
    [
        (_probs(bank_phishing=0.9, legit=0.1), "scam", "bank_phishing"),
        (_probs(bank_phishing=0.2, prize_giveaway=0.2, legit=0.6), "suspicious", "legit"),
        (_probs(loan_debt=0.3, spam=0.6, legit=0.1), "suspicious", "spam"),
        (_probs(spam=0.8, legit=0.15, other_scam=0.05), "spam", "spam"),
        (_probs(legit=0.95, other_scam=0.05), "safe", "legit"),
    ],
)
def test_decide_verdict_and_label_agree(probs, verdict, label):
    v = decide(probs, SCAMS, {"scam": 0.5, "suspicious": 0.25})
    assert (v["verdict"], v["label"]) == (verdict, label)
    assert v["is_scam"] == (v["verdict"] == "scam")
    assert v["scam_type"] in SCAMS


def test_unknown_estimator_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown model.estimator"):
        build_pipeline(dict(SMALL_PARAMS, estimator="forest"))


def test_naive_bayes_share_is_mixed_in_as_configured(small_rows, tmp_path):
    import numpy as np
    from sklearn.naive_bayes import MultinomialNB

    texts, labels = [r.text for r in small_rows], [r.label for r in small_rows]
    probe = ["Công an yêu cầu chuyển tiền vào tài khoản tạm giữ", "Mẹ ơi tối nay con về muộn"]
    svm = build_pipeline(dict(SMALL_PARAMS, nb_weight=0.0)).fit(texts, labels)
    blend = build_pipeline(dict(SMALL_PARAMS, nb_weight=0.3)).fit(texts, labels)
    # the blend is 0.7 of its calibrated SVM and 0.3 of naive Bayes over the same columns
    X = blend.named_steps["features"].transform([normalize(t) for t in probe])
    Xfit = blend.named_steps["features"].transform([normalize(t) for t in texts])
    nb = MultinomialNB(alpha=0.1).fit(Xfit, labels)
    inner = blend.named_steps["clf"].base_
    expected = 0.7 * inner.predict_proba(X) + 0.3 * nb.predict_proba(X)
    # (naive Bayes' log probabilities are kept as float32: ~1e-6 on a probability)
    assert np.abs(blend.predict_proba(probe) - expected).max() < 1e-5
    # and that SVM is the one fitted alone (liblinear's shuffling moves it by ~1e-6)
    assert np.abs(inner.predict_proba(X) - svm.predict_proba(probe)).max() < 1e-4
    assert abs(blend.predict_proba(probe).sum(axis=1) - 1).max() < 1e-9
    # stored (the SVM's weights as float32) and loaded back, it scores as it did in memory
    meta = {"classes": list(blend.classes_), "scam_labels": sorted(SCAMS), "thresholds": {"scam": 0.5}}
    save_bundle(blend, meta, tmp_path, "vblend")
    loaded = load_bundle(tmp_path, "vblend").pipeline
    assert loaded.named_steps["clf"].nb_log_prob_t_.dtype == np.float32
    assert np.abs(loaded.predict_proba(probe) - blend.predict_proba(probe)).max() < 1e-5
    with pytest.raises(ValueError, match="nb_weight must be between 0 and 1"):
        build_pipeline(dict(SMALL_PARAMS, nb_weight=1.5)).fit(texts, labels)


@pytest.mark.parametrize("nb_weight", [0.0, 0.1])
def test_fast_scorer_reproduces_the_pipeline_with_and_without_naive_bayes(small_rows, nb_weight):
    import numpy as np

    from app.classifier import FastScorer

    pipe = build_pipeline(dict(SMALL_PARAMS, nb_weight=nb_weight))
    pipe.fit([r.text for r in small_rows], [r.label for r in small_rows])
    normed = [normalize(t) for t in ["Công an yêu cầu chuyển tiền", "", "😀", "Mẹ ơi con về muộn"]]
    fast = FastScorer(pipe)
    expected = pipe.named_steps["clf"].predict_proba(pipe.named_steps["features"].transform(normed))
    assert np.abs(expected - fast.predict_proba_features(fast.features(normed))).max() < 1e-9


def test_fast_scorer_reproduces_the_pipeline(small_model_dir, default_classifier):
    import numpy as np

    from app.classifier import FastScorer

    # rows with no known n-gram (empty, emoji, rare scripts), also last in the batch, must work:
    # schemathesis found the first version failing on them
    texts = [
        "Công an yêu cầu chuyển tiền vào tài khoản tạm giữ 0071000986547",
        "Mẹ ơi con về muộn",
        "",
        "😀",
        "B4n da zu d!eu k1en nh4n t1en tai vcb-hotro.icu",
        "\U000c73c7\u0099",
        "SY",
        "",
    ]
    for pipe in (load_bundle(small_model_dir).pipeline, default_classifier.bundle.pipeline):
        normed = [normalize(t) for t in texts]
        fast = FastScorer(pipe)
        X = pipe.named_steps["features"].transform(normed)
        assert abs(X - fast.features(normed)).max() < 1e-12
        expected = pipe.named_steps["clf"].predict_proba(X)
        assert np.abs(expected - fast.predict_proba_features(fast.features(normed))).max() < 1e-9
