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


PG_ENV = "CANHGIAC_TEST_DATABASE_URL"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """An empty database's URL: an SQLite file under tmp_path, or a fresh schema on the
    PostgreSQL server named by CANHGIAC_TEST_DATABASE_URL (skipped when it is not set)."""
    import os
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/var/canhgiac.db"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(
            f"set {PG_ENV} to run on PostgreSQL, e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/test"
        )
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def api_factory(default_classifier):
    """Build API apps on a database with the default model already loaded; keys: see API_KEYS."""
    from app.api import create_app
    from app.settings import load_settings

    def make(database_url: str, **overrides):
        settings = load_settings(
            database_url=database_url, api_keys=API_KEYS, rate_limit_per_minute=0, **overrides
        )
        app = create_app(settings)
        app.state.holder.swap(default_classifier)
        return app

    return make


ANALYST_KEY = "analyst-key-for-tests-0123456789"
API_KEYS = f"analyst:{ANALYST_KEY},admin:admin-key-for-tests-0123456789"
ANALYST = {"Authorization": f"Bearer {ANALYST_KEY}"}
