"""Shared fixtures: the samples, a small model trained on them, and the committed default model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples" / "messages.jsonl"
MODEL_DIR = ROOT / "model"


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def samples() -> list[dict]:
    return read_jsonl(SAMPLES)


@pytest.fixture(scope="session")
def small_rows():
    """A few hundred rows of the project's own corpus plus the samples: enough for a real fit."""
    from training.data import Row

    rows = [Row(r["id"], r["text"], r["label"], "authored", "samples") for r in read_jsonl(SAMPLES)]
    for path in sorted((ROOT / "data" / "corpus").glob("*.jsonl")):
        for r in read_jsonl(path)[:25]:
            rows.append(Row(r["id"], r["text"], r["label"], "authored", path.stem))
    return rows


SMALL_PARAMS = {
    "estimator": "linear_svc",
    "C": 0.5,
    "char_ngram": [2, 4],
    "word_ngram": [1, 2],
    "min_df": 1,
    "max_char_features": 20000,
    "max_word_features": 10000,
    "calibration": "sigmoid",
    "calibration_cv": 2,
}


@pytest.fixture(scope="session")
def small_model_dir(tmp_path_factory, small_rows):
    """A model bundle trained on ``small_rows`` in a temporary folder (about 2 s)."""
    from app.classifier import build_pipeline, save_bundle, set_active
    from app.taxonomy import scam_labels

    pipe = build_pipeline(SMALL_PARAMS)
    pipe.fit([r.text for r in small_rows], [r.label for r in small_rows])
    out = tmp_path_factory.mktemp("models")
    meta = {
        "classes": list(pipe.classes_),
        "scam_labels": sorted(scam_labels()),
        "thresholds": {"scam": 0.5, "suspicious": 0.25},
        "created": "2026-11-30T00:00:00+00:00",
    }
    save_bundle(pipe, meta, out, "vtest-1")
    set_active(out, "vtest-1")
    return out


@pytest.fixture(scope="session")
def default_classifier():
    """The committed default model, as ``make run`` serves it."""
    from app.service import Classifier

    return Classifier.from_dir(MODEL_DIR)


# --- the API ------------------------------------------------------------------------------------
# Keys for the API tests (never used anywhere else). The admin key is configured by its SHA-256.
API_KEYS = {
    "reader": "reader-key-0123456789abcdef",
    "analyst": "analyst-key-0123456789abcdef",
    "admin": "admin-key-0123456789abcdef",
}


def api_keys_setting() -> str:
    import hashlib

    admin_hash = hashlib.sha256(API_KEYS["admin"].encode()).hexdigest()
    return f"reader:{API_KEYS['reader']},analyst:{API_KEYS['analyst']},admin:sha256:{admin_hash}"


@pytest.fixture(scope="session")
def small_classifier(small_model_dir):
    from app.service import Classifier

    return Classifier.from_dir(small_model_dir)


@pytest.fixture
def make_api(small_model_dir, small_classifier, tmp_path):
    """``make_api(**settings) -> TestClient`` for a real app on the small model (lifespan run).

    The classifier is loaded once per session and handed to each app, as a hot swap would.
    """
    from fastapi.testclient import TestClient

    from app.api import create_app
    from app.settings import load_settings

    clients = []

    def make(*, load: bool = True, **overrides):
        values = {
            "model_dir": small_model_dir,
            "database_url": f"sqlite:///{tmp_path / 'var' / 'test.db'}",
            "api_keys": api_keys_setting(),
            "rate_limit_per_minute": 0,
        }
        values.update(overrides)
        app = create_app(load_settings(**values))
        if not load:  # no lifespan: the app has no model
            return TestClient(app)
        app.state.holder.swap(small_classifier)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api):
    """A client of the app with the test settings."""
    return make_api()
