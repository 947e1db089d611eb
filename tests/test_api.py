"""The HTTP API, as clients use it: the real app in-process, and one real uvicorn server."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import API_KEYS, ROOT, api_keys_setting, wait_until_ready

PROBLEM = "https://canhgiac.vn/problems/"
SCAM = (
    "Công an quận Hoàng Mai thông báo: anh có liên quan đến đường dây rửa tiền. "
    "Chuyển toàn bộ số dư vào tài khoản tạm giữ 0071000986547 để xác minh."
)
LEGIT = "Mẹ ơi tối nay con về muộn, mẹ cứ ăn cơm trước nhé."


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEYS[role]}"}


def assert_problem(r: httpx.Response, status: int, kind: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == PROBLEM + kind, body
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["request_id"] == r.headers["x-request-id"]
    assert "Traceback" not in r.text
    return body


# --- endpoints ------------------------------------------------------------------------------------
def test_api_classify_returns_the_verdict_with_explanation(api):
    r = api.post("/v1/classify", json={"text": SCAM, "channel": "call", "sender": "0912345678"})
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["verdict"] in {"scam", "suspicious", "spam", "safe"}
    assert v["is_scam"] == (v["verdict"] == "scam")
    assert 0 <= v["risk_score"] <= 1
    assert v["model_version"] == "vtest-1"
    assert set(v["label_name"]) == {"vi", "en"}
    assert abs(sum(v["probabilities"].values()) - 1) < 0.01
    assert v["request_id"] == r.headers["x-request-id"]
    account = [e for e in v["entities"] if e["kind"] == "bank_account"]
    assert account and SCAM[account[0]["start"] : account[0]["end"]] == "0071000986547"
    assert v["explanation"]["summary"] and v["explanation"]["summary_en"]
    assert v["advice"]["vi"] and v["advice"]["en"]


def test_api_classify_explain_false_leaves_out_the_explanation(api):
    v = api.post("/v1/classify?explain=false", json={"text": LEGIT}).json()
    assert v["explanation"] is None and v["advice"] is None
    assert v["verdict"]


def test_api_batch_answers_in_order_with_ids(api):
    msgs = [
        {"id": "a", "text": SCAM},
        {"id": 2, "text": LEGIT, "channel": "zalo"},
        {"id": "c", "text": "Chúc mừng quý khách trúng thưởng xe SH, nộp phí 2 triệu để nhận."},
    ]
    r = api.post("/v1/classify/batch", json={"messages": msgs})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [d["id"] for d in body["data"]] == ["a", 2, "c"]
    assert body["count"] == 3 and body["model_version"] == "vtest-1"
    assert all(d["explanation"] is None for d in body["data"])
    single = api.post("/v1/classify?explain=false", json={"text": SCAM}).json()
    assert body["data"][0]["probabilities"] == single["probabilities"]
    explained = api.post("/v1/classify/batch?explain=true", json={"messages": msgs[:1]}).json()
    assert explained["data"][0]["explanation"]["summary"]


def test_api_labels_lists_the_taxonomy_with_advice(api):
    from app.taxonomy import labels

    body = api.get("/v1/labels").json()
    assert body["count"] == len(labels()) == len(body["data"])
    first = body["data"][0]
    assert first["is_scam"] and first["name"]["vi"] and first["description"]["en"] and first["advice"]["vi"]
    assert body["data"][-1]["id"] == "legit"
    assert body["report"]


def test_api_patterns_lists_the_library(api):
    from app.features import default_library

    lib = default_library()
    body = api.get("/v1/patterns").json()
    reported = [p for p in lib.patterns if not p.is_sub]
    assert body["count"] == len(reported) == len(body["data"]) >= 60
    assert body["content_hash"] == lib.content_hash and body["note"] is None
    p = next(p for p in body["data"] if p["id"] == "SAFE_ACCOUNT_TRANSFER")
    assert p["label"] == "impersonation_authority" and p["name"]["vi"] and p["description"]["en"]
    assert p["examples"] and p["counter_examples"]
    assert not any(d["id"].startswith("__") for d in body["data"])
    with_sub = api.get("/v1/patterns", params={"include_sub": True}).json()
    assert with_sub["count"] > body["count"]


def test_api_model_reports_version_thresholds_and_metrics(api, small_classifier):
    body = api.get("/v1/model").json()
    assert body["version"] == "vtest-1"
    assert body["thresholds"] == {"scam": 0.5, "suspicious": 0.25}
    assert body["classes"] == list(small_classifier.classes)
    assert isinstance(body["metrics"], dict)


def test_api_model_metrics_summary_keeps_the_headline_figures():
    from app.api.routes.model import summarize_metrics

    group = {"binary_at_scam": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "fpr": 0.01, "tp": 5}}
    out = summarize_metrics({"test": {"n": 10, "all": group, "leetspeak": {"all": group}}})
    assert out["test"]["n"] == 10
    assert out["test"]["all"]["scam"] == {"precision": 0.9, "recall": 0.8, "f1": 0.85, "fpr": 0.01}
    assert out["test"]["leetspeak"]["scam"]["recall"] == 0.8


def test_api_health_and_readiness(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.head("/healthz").status_code == 200
    r = api.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "status": "ready",
        "model_version": "vtest-1",
        "checks": {"model": "ok", "database": "ok"},
    }


def test_api_readiness_fails_without_a_model(make_api):
    client = make_api(load=False)  # no lifespan: nothing loaded
    body = assert_problem(client.get("/readyz"), 503, "not-ready")
    assert body["checks"]["model"] != "ok"
    assert client.get("/healthz").status_code == 200
    assert_problem(client.post("/v1/classify", json={"text": LEGIT}), 503, "model-not-loaded")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://nobody@127.0.0.1:1/nothing",  # nothing listens on port 1
        "sqlite:///{tmp}/a-file/inside/it.db",  # the folder cannot be made: a-file is a file
    ],
)
def test_api_readiness_fails_when_the_database_is_unreachable(make_api, tmp_path, url):
    (tmp_path / "a-file").write_text("not a folder")
    client = make_api(database_url=url.format(tmp=tmp_path))
    body = assert_problem(client.get("/readyz"), 503, "not-ready")
    assert body["checks"]["model"] == "ok"
    assert body["checks"]["database"].startswith("database unreachable")
    assert "nobody" not in json.dumps(body)  # the URL is not echoed


def test_api_readiness_creates_the_sqlite_folder(make_api, tmp_path):
    client = make_api(database_url=f"sqlite:///{tmp_path}/new/folder/canhgiac.db")
    assert client.get("/readyz").status_code == 200
    assert (tmp_path / "new" / "folder").is_dir()


def test_api_metrics_count_requests_verdicts_and_the_model(api):
    api.post("/v1/classify", json={"text": SCAM})
    api.post("/v1/classify", json={"text": ""})
    from app.api import metrics

    metrics.set_model_version("vtest-1")
    r = api.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'canhgiac_http_requests_total{method="POST",route="/v1/classify",status="200"}' in text
    assert 'canhgiac_http_requests_total{method="POST",route="/v1/classify",status="422"}' in text
    assert (
        'canhgiac_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/classify"' in text
    )
    assert "canhgiac_verdicts_total{" in text
    assert 'canhgiac_model_info{version="vtest-1"} 1.0' in text


def test_api_model_swap_is_seen_by_the_next_request(api, small_classifier):
    holder = api.app.state.holder
    newer = copy.copy(small_classifier)
    newer.version = "vtest-2"
    old = holder.swap(newer)
    try:
        assert old is small_classifier
        assert api.get("/v1/model").json()["version"] == "vtest-2"
        assert api.post("/v1/classify", json={"text": LEGIT}).json()["model_version"] == "vtest-2"
    finally:
        holder.swap(small_classifier)


def test_api_worker_forked_with_a_stale_preloaded_model_serves_the_active_one(small_classifier, tmp_path):
    """``canhgiac serve --workers N`` loads the model before forking; a worker forked after a
    promotion (e.g. to replace one that died) must answer with the version ACTIVE names."""
    from fastapi.testclient import TestClient

    from app.api import create_app
    from app.classifier import save_bundle, set_active
    from app.settings import load_settings

    models = tmp_path / "models"
    meta = json.loads((small_classifier.bundle.path / "meta.json").read_text(encoding="utf-8"))
    for version in ("vtest-1", "vtest-2"):
        save_bundle(small_classifier.bundle.pipeline, dict(meta), models, version)
    set_active(models, "vtest-2")
    settings = load_settings(
        model_dir=models, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", rate_limit_per_minute=0
    )
    app = create_app(settings)
    app.state.holder.swap(small_classifier)  # what the arbiter loaded: vtest-1
    app.state.preloaded = True
    with TestClient(app) as client:
        assert client.get("/v1/model").json()["version"] == "vtest-2"
        r = client.post("/v1/classify", json={"text": LEGIT})
        assert r.json()["model_version"] == "vtest-2"
        assert 'canhgiac_model_info{version="vtest-2"} 1.0' in client.get("/metrics").text


def test_api_openapi_has_vietnamese_examples_and_problem_errors(api):
    spec = api.get("/openapi.json").json()
    op = spec["paths"]["/v1/classify"]["post"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    assert any("Công an" in e["value"]["text"] for e in examples.values())
    assert "application/problem+json" in op["responses"]["422"]["content"]
    assert "application/json" not in op["responses"]["422"]["content"]
    assert api.get("/docs").status_code == 200


# --- errors ---------------------------------------------------------------------------------------
JSON = {"content-type": "application/json"}


def _chunks(data: bytes, size: int = 4096):
    for i in range(0, len(data), size):
        yield data[i : i + size]


ERROR_CASES = [
    # (name, method, url, request kwargs, status, problem type, field)
    ("empty text", "post", "/v1/classify", {"json": {"text": ""}}, 422, "empty-text", "text"),
    ("whitespace", "post", "/v1/classify", {"json": {"text": " \n\t\u3000"}}, 422, "empty-text", "text"),
    ("too long", "post", "/v1/classify", {"json": {"text": "x" * 201}}, 422, "text-too-long", "text"),
    (
        "batch item too long",
        "post",
        "/v1/classify/batch",
        {"json": {"messages": [{"id": 1, "text": "ok"}, {"id": 2, "text": "y" * 201}]}},
        422,
        "text-too-long",
        "messages[1].text",
    ),
    (
        "batch item empty",
        "post",
        "/v1/classify/batch",
        {"json": {"messages": [{"id": 1, "text": "ok"}, {"id": 2, "text": " "}]}},
        422,
        "empty-text",
        "messages[1].text",
    ),
    (
        "too many messages",
        "post",
        "/v1/classify/batch",
        {"json": {"messages": [{"id": i, "text": "tin nhắn"} for i in range(6)]}},
        422,
        "too-many-messages",
        "messages",
    ),
    (
        "body over the limit (Content-Length)",
        "post",
        "/v1/classify",
        {"content": json.dumps({"text": "z" * 5000}).encode(), "headers": JSON},
        413,
        "body-too-large",
        None,
    ),
    (
        "chunked body over the limit",
        "post",
        "/v1/classify",
        {"content": _chunks(json.dumps({"text": "z" * 5000}).encode()), "headers": JSON},
        413,
        "body-too-large",
        None,
    ),
    (
        "invalid JSON",
        "post",
        "/v1/classify",
        {"content": b'{"text": "a",}', "headers": JSON},
        400,
        "invalid-json",
        None,
    ),
    (
        "not JSON at all",
        "post",
        "/v1/classify",
        {"content": b"text=hello", "headers": JSON},
        400,
        "invalid-json",
        None,
    ),
    (
        "wrong content type",
        "post",
        "/v1/classify",
        {"content": b'{"text": "a"}', "headers": {"content-type": "text/plain"}},
        415,
        "unsupported-media-type",
        None,
    ),
    (
        "form post",
        "post",
        "/v1/classify",
        {"data": {"text": "a"}},
        415,
        "unsupported-media-type",
        None,
    ),
    (
        "no content type",
        "post",
        "/v1/classify",
        {"content": b'{"text": "a"}'},
        415,
        "unsupported-media-type",
        None,
    ),
    (
        "unknown field",
        "post",
        "/v1/classify",
        {"json": {"text": "a", "lang": "vi"}},
        422,
        "unknown-field",
        "lang",
    ),
    (
        "unknown field in a batch item",
        "post",
        "/v1/classify/batch",
        {"json": {"messages": [{"id": 1, "text": "a", "extra": 1}]}},
        422,
        "unknown-field",
        "messages[0].extra",
    ),
    (
        "invalid UTF-8",
        "post",
        "/v1/classify",
        {"content": b'{"text": "Ch\xfac m\xe1\xbb"}', "headers": JSON},
        400,
        "invalid-utf8",
        None,
    ),
    (
        "lone surrogate as raw bytes",
        "post",
        "/v1/classify",
        {"content": b'{"text": "a\xed\xa0\x80b"}', "headers": JSON},
        400,
        "invalid-utf8",
        None,
    ),
    (
        "lone surrogate as a JSON escape",
        "post",
        "/v1/classify",
        {"content": b'{"text": "a\\ud800b"}', "headers": JSON},
        422,
        "invalid-text",
        "text",
    ),
    ("missing body", "post", "/v1/classify", {}, 422, "validation-error", None),
    ("missing text", "post", "/v1/classify", {"json": {"channel": "sms"}}, 422, "validation-error", "text"),
    ("text not a string", "post", "/v1/classify", {"json": {"text": 123}}, 422, "validation-error", "text"),
    (
        "unknown channel",
        "post",
        "/v1/classify",
        {"json": {"text": "a", "channel": "fax"}},
        422,
        "validation-error",
        "channel",
    ),
    (
        "bad explain flag",
        "post",
        "/v1/classify?explain=maybe",
        {"json": {"text": "a"}},
        422,
        "validation-error",
        "explain",
    ),
    (
        "empty batch",
        "post",
        "/v1/classify/batch",
        {"json": {"messages": []}},
        422,
        "validation-error",
        "messages",
    ),
    ("wrong method", "get", "/v1/classify", {}, 405, "method-not-allowed", None),
    ("unknown path", "get", "/v1/nothing-here", {}, 404, "not-found", None),
]


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status", "kind", "field"),
    [c[1:] for c in ERROR_CASES],
    ids=[c[0] for c in ERROR_CASES],
)
def test_api_errors_are_problems_with_stable_types(make_api, method, url, kwargs, status, kind, field):
    client = make_api(max_text_chars=200, max_batch=5, max_body_bytes=4096)
    body = assert_problem(getattr(client, method)(url, **kwargs), status, kind)
    if field is not None:
        assert body["field"] == field
    if kind == "text-too-long":
        assert body["limit"] == 200
    if kind == "too-many-messages":
        assert body["limit"] == 5
    if kind == "body-too-large":
        assert body["limit"] == 4096


def test_api_unexpected_error_is_a_generic_500_that_is_logged_without_text(api, caplog):
    secret = "Bí mật-7Q4Z không được ghi log"

    class Broken:
        version = "broken"

        def classify(self, text, explain=True):
            raise RuntimeError(f"failed on {text}")  # a careless message that quotes the text

    api.app.state.holder.swap(Broken())
    with caplog.at_level(logging.INFO, logger="canhgiac"):
        r = api.post("/v1/classify", json={"text": secret}, headers={"X-Request-ID": "req-500-test"})
    body = assert_problem(r, 500, "internal-error")
    assert body["request_id"] == "req-500-test" and "req-500-test" in body["detail"]
    assert "RuntimeError" not in r.text and secret not in r.text
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert errors and "RuntimeError" in errors[0].getMessage()
    assert all(secret not in rec.getMessage() for rec in caplog.records)


# --- auth -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("/v1/admin/whoami", None, 401),
        ("/v1/admin/whoami", "reader", 403),
        ("/v1/admin/whoami", "analyst", 403),
        ("/v1/admin/whoami", "admin", 200),  # configured as sha256:<hex>
        ("/v1/admin/ping", None, 401),
        ("/v1/admin/ping", "reader", 403),
        ("/v1/admin/ping", "analyst", 200),
        ("/v1/admin/ping", "admin", 200),
        ("/v1/labels", None, 200),
        ("/v1/labels", "reader", 200),
    ],
)
def test_api_roles_protect_endpoints(api, path, role, status):
    r = api.get(path, headers=bearer(role) if role else {})
    assert r.status_code == status, r.text
    if status == 401:
        assert_problem(r, 401, "unauthorized")
        assert r.headers["www-authenticate"].startswith("Bearer")
    elif status == 403:
        assert_problem(r, 403, "forbidden")
    else:
        if path.startswith("/v1/admin"):
            assert r.json() == {"role": role}


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-configured-key-at-all", "Bearer " + API_KEYS["admin"][:-1], "Basic YWRtaW46YWRtaW4="],
)
def test_api_bad_keys_are_401(api, header):
    assert_problem(api.get("/v1/admin/whoami", headers={"Authorization": header}), 401, "unauthorized")


def test_api_hashed_key_itself_is_not_a_key(api):
    digest = hashlib.sha256(API_KEYS["admin"].encode()).hexdigest()
    assert api.get("/v1/admin/whoami", headers={"Authorization": f"Bearer {digest}"}).status_code == 401


def test_api_a_bad_key_on_an_open_endpoint_is_401(api):
    assert_problem(
        api.get("/v1/labels", headers={"Authorization": "Bearer wrong-key-wrong-key"}), 401, "unauthorized"
    )


def test_api_read_requires_key_closes_reading_endpoints(make_api):
    client = make_api(read_requires_key=True)
    assert_problem(client.post("/v1/classify", json={"text": LEGIT}), 401, "unauthorized")
    assert_problem(client.get("/v1/labels"), 401, "unauthorized")
    assert client.get("/v1/labels", headers=bearer("reader")).status_code == 200
    assert client.post("/v1/classify", json={"text": LEGIT}, headers=bearer("analyst")).status_code == 200
    assert client.get("/healthz").status_code == 200  # probes stay open


# --- rate limit, request ids, headers, CORS -------------------------------------------------------
def test_api_rate_limit_answers_429_with_retry_after(make_api):
    client = make_api(rate_limit_per_minute=3)
    for _ in range(3):
        assert client.get("/v1/labels").status_code == 200
    r = client.get("/v1/labels")
    body = assert_problem(r, 429, "rate-limited")
    assert body["limit"] == 3
    assert int(r.headers["retry-after"]) >= 1
    # a valid key has its own bucket; probes are never limited
    assert client.get("/v1/labels", headers=bearer("reader")).status_code == 200
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))


def test_api_token_bucket_refills():
    from app.api.ratelimit import TokenBuckets

    now = [0.0]
    buckets = TokenBuckets(60, clock=lambda: now[0])  # one a second
    assert all(buckets.take("a") == 0 for _ in range(60))
    wait = buckets.take("a")
    assert 0 < wait <= 1
    now[0] += 1.0
    assert buckets.take("a") == 0
    assert buckets.take("b") == 0


def test_api_request_id_is_echoed_or_generated(api):
    r = api.get("/healthz", headers={"X-Request-ID": "abc-123.def"})
    assert r.headers["x-request-id"] == "abc-123.def"
    r = api.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces" and len(r.headers["x-request-id"]) == 32
    assert api.get("/healthz", headers={"X-Request-ID": "x" * 200}).headers["x-request-id"] != "x" * 200


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [("get", "/healthz", {}), ("get", "/nope", {}), ("post", "/v1/classify", {"json": {"text": ""}})],
)
def test_api_security_headers_on_every_response(api, method, url, kwargs):
    r = getattr(api, method)(url, **kwargs)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-request-id"]


def test_api_cors_is_off_unless_configured(api, make_api):
    origin = {"Origin": "https://evil.example"}
    assert "access-control-allow-origin" not in api.get("/v1/labels", headers=origin).headers
    client = make_api(cors_origins="https://canhgiac.vn")
    r = client.get("/v1/labels", headers={"Origin": "https://canhgiac.vn"})
    assert r.headers["access-control-allow-origin"] == "https://canhgiac.vn"
    r = client.options(
        "/v1/classify",
        headers={"Origin": "https://canhgiac.vn", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 200
    assert "access-control-allow-origin" not in client.get("/v1/labels", headers=origin).headers


# --- naughty input --------------------------------------------------------------------------------
NAUGHTY_TEXTS = [
    "",
    " ",
    "\u200b\u200b",
    "😀🔥💸 chuyển khoản 💰💰",
    "👨‍👩‍👧‍👦" * 50,
    "a" * 100_000,
    "\x00",
    "abc\x00def",
    "مرحبا بك في البنك \u202e gnp.exe",
    "<script>alert('xss')</script><img src=x onerror=alert(1)>",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "../../../../etc/passwd",
    "C:\\Windows\\System32\\..\\..\\boot.ini",
    "%00%2e%2e%2f",
    "'; DROP TABLE cases; --",
    "{{7*7}} ${7*7} #{7*7}",
    "\ufeffBOM ở đầu",
    "Ｃông an ＱＵẬＮ (fullwidth)",
    "C\u00f4ng an qua\u0302\u0323n (NFD)",
    "\r\n\r\n",
    "\t" * 1000,
    "ĐĐĐ" * 4000,
    "9" * 5000,
    "http://" + "a." * 3000 + "vn",
]
NAUGHTY_BODIES = [
    b"",
    b"null",
    b"[]",
    b"[1,2,3]",
    b'"just a string"',
    b"123",
    b"true",
    b"{}",
    b'{"text": null}',
    b'{"text": ["a"]}',
    b'{"text": {"a": 1}}',
    b'{"text": true}',
    b'{"text": 1.5}',
    b'{"text": "a", "channel": 1}',
    b'{"text": "a", "channel": null}',
    b'{"text": "a", "sender": 5}',
    b'{"text": "a", "sender": []}',
    b'{"text": "a", "text": "b"}',
    b'{"messages": "a"}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"text": "' + b"9" * 10 + b'", "n": ' + b"9" * 5000 + b"}",
    b"\xff\xfe\x00\x00",
    b"\xef\xbb\xbf" + b'{"text": "BOM"}',
    b'{"text": "\\udc80\\ud800"}',
    b'{"text": "\xed\xb2\x80"}',
    b"<xml>not json</xml>",
    b"text=hello&channel=sms",
    b"\x00" * 100,
    b'{"text": "a"} trailing',
    b"NaN",
    b'{"text": NaN}',
]
NAUGHTY_BATCH_BODIES = [
    b'{"messages": [{"text": "a"}]}',
    b'{"messages": [{"id": null, "text": "a"}]}',
    b'{"messages": [{"id": [], "text": "a"}]}',
    b'{"messages": [{"id": 1.5, "text": "a"}]}',
    b'{"messages": [{"id": "", "text": "a"}]}',
    b'{"messages": [{"id": "\\ud800", "text": "a"}]}',
    b'{"messages": [{"id": 1, "text": "a"}], "extra": 1}',
    b'{"messages": [null]}',
    b'{"messages": [1, 2]}',
    b'{"messages": {"id": 1}}',
]


@pytest.fixture(scope="module")
def naughty_client(small_model_dir, small_classifier, tmp_path_factory):
    from fastapi.testclient import TestClient

    from app.api import create_app
    from app.settings import load_settings

    db = tmp_path_factory.mktemp("naughty") / "t.db"
    # a text limit above the 100 KB case, so that one reaches the classifier
    app = create_app(
        load_settings(
            model_dir=small_model_dir,
            database_url=f"sqlite:///{db}",
            rate_limit_per_minute=0,
            max_text_chars=200_000,
        )
    )
    app.state.holder.swap(small_classifier)
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("text", NAUGHTY_TEXTS, ids=range(len(NAUGHTY_TEXTS)))
def test_api_naughty_texts_never_cause_a_5xx(naughty_client, text):
    for explain in ("true", "false"):
        r = naughty_client.post(f"/v1/classify?explain={explain}", json={"text": text})
        assert r.status_code < 500, r.text[:300]
        if r.status_code == 200:
            assert r.json()["verdict"]
    r = naughty_client.post("/v1/classify/batch", json={"messages": [{"id": "n", "text": text}]})
    assert r.status_code < 500, r.text[:300]


@pytest.mark.parametrize("body", NAUGHTY_BODIES, ids=range(len(NAUGHTY_BODIES)))
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "text/plain", None]
)
def test_api_naughty_bodies_never_cause_a_5xx(naughty_client, body, content_type):
    headers = {"content-type": content_type} if content_type else {}
    r = naughty_client.post("/v1/classify", content=body, headers=headers)
    assert 400 <= r.status_code < 500 or r.status_code == 200, r.text[:300]
    assert r.status_code < 500
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("body", NAUGHTY_BATCH_BODIES, ids=range(len(NAUGHTY_BATCH_BODIES)))
def test_api_naughty_batch_bodies_are_4xx(naughty_client, body):
    r = naughty_client.post("/v1/classify/batch", content=body, headers=JSON)
    assert 400 <= r.status_code < 500, r.text[:300]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/v1/classify"),
        ("delete", "/v1/labels"),
        ("patch", "/v1/model"),
        ("get", "/v1/classify/batch"),
    ],
)
def test_api_naughty_methods_are_4xx(naughty_client, method, path):
    assert 400 <= getattr(naughty_client, method)(path).status_code < 500


# --- logs -----------------------------------------------------------------------------------------
def test_api_logs_one_json_line_per_request_without_text(api, caplog):
    from app.api.logs import JsonFormatter

    secret = "Mã bí mật XK-9931-ĐỪNG-GHI"
    sender = "Người gửi bí mật 0987654321"
    with caplog.at_level(logging.INFO, logger="canhgiac"):
        api.post("/v1/classify", json={"text": secret, "sender": sender}, headers={"X-Request-ID": "log-1"})
        api.post("/v1/classify/batch", json={"messages": [{"id": 1, "text": secret}]})
        api.post("/v1/classify", json={"text": secret * 1000})  # too long: rejected
        api.post("/v1/classify", json={"text": secret, "bogus": secret})  # unknown field
        api.post("/v1/classify", content=secret.encode(), headers=JSON)  # not JSON
    fmt = JsonFormatter()
    lines = [fmt.format(rec) for rec in caplog.records]
    dumped = "\n".join(lines) + "\n".join(str(rec.__dict__) for rec in caplog.records)
    assert "XK-9931" not in dumped and "0987654321" not in dumped
    access = [json.loads(line) for line in lines if '"logger": "canhgiac.access"' in line]
    assert len(access) == 5
    first = access[0]
    assert first["request_id"] == "log-1" and first["route"] == "/v1/classify" and first["status"] == 200
    assert first["text_chars"] == len(secret) and first["verdict"] and first["label"]
    assert isinstance(first["duration_ms"], float)


# --- settings -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        ({"CANHGIAC_API_KEYS": "boss:0123456789abcdef0123"}, "CANHGIAC_API_KEYS", "unknown role"),
        ({"CANHGIAC_API_KEYS": "reader:"}, "CANHGIAC_API_KEYS", "empty key"),
        ({"CANHGIAC_API_KEYS": "reader:shortsecret"}, "CANHGIAC_API_KEYS", "at least 16"),
        ({"CANHGIAC_API_KEYS": "0123456789abcdef0123"}, "CANHGIAC_API_KEYS", "no role"),
        ({"CANHGIAC_API_KEYS": "admin:sha256:xyz"}, "CANHGIAC_API_KEYS", "64 hexadecimal"),
        ({"CANHGIAC_MAX_BATCH": "-1"}, "CANHGIAC_MAX_BATCH", "greater than"),
        ({"CANHGIAC_MAX_TEXT_CHARS": "0"}, "CANHGIAC_MAX_TEXT_CHARS", "greater than"),
        ({"CANHGIAC_RATE_LIMIT_PER_MINUTE": "-5"}, "CANHGIAC_RATE_LIMIT_PER_MINUTE", "greater than"),
        ({"CANHGIAC_MAX_BODY_BYTES": "ten"}, "CANHGIAC_MAX_BODY_BYTES", "integer"),
        ({"CANHGIAC_DATABASE_URL": "not a url"}, "CANHGIAC_DATABASE_URL", "not a database URL"),
        ({"CANHGIAC_LOG_LEVEL": "loud"}, "CANHGIAC_LOG_LEVEL", "INFO"),
    ],
)
def test_settings_errors_name_the_variable(monkeypatch, env, variable, words):
    from app.settings import SettingsError, get_settings

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as info:
            get_settings()
    finally:
        get_settings.cache_clear()
    message = str(info.value)
    assert variable in message and words in message
    assert "shortsecret" not in message and "0123456789abcdef0123" not in message


def test_settings_read_the_environment(monkeypatch, tmp_path):
    from app.settings import get_settings

    digest = hashlib.sha256(b"x" * 20).hexdigest()
    monkeypatch.setenv("CANHGIAC_API_KEYS", f" reader:{'r' * 16} , ADMIN:sha256:{digest.upper()} ")
    monkeypatch.setenv("CANHGIAC_CORS_ORIGINS", "https://a.vn, https://b.vn/")
    monkeypatch.setenv("CANHGIAC_DATABASE_URL", "sqlite:///var/x.db")
    monkeypatch.setenv("CANHGIAC_LOG_LEVEL", "debug")
    monkeypatch.setenv("CANHGIAC_MODEL_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        s = get_settings()
        assert get_settings() is s  # cached
    finally:
        get_settings.cache_clear()
    assert [k.role for k in s.api_keys] == ["reader", "admin"]
    assert s.api_keys[1].digest == bytes.fromhex(digest)
    assert s.cors_origins == ["https://a.vn", "https://b.vn"]
    assert s.database_url == f"sqlite:///{ROOT / 'var' / 'x.db'}"
    assert s.log_level == "DEBUG" and s.model_dir == tmp_path
    assert "r" * 16 not in repr(s)


def test_settings_defaults(monkeypatch):
    from app.settings import Settings

    for name in [k for k in os.environ if k.startswith("CANHGIAC_")]:
        monkeypatch.delenv(name)
    s = Settings()
    assert (s.max_text_chars, s.max_batch, s.max_body_bytes) == (10_000, 1000, 2 * 1024 * 1024)
    assert s.read_requires_key is False and s.cors_origins == [] and s.api_keys == []
    assert s.rate_limit_per_minute == 600 and s.model_dir == ROOT / "model"
    assert s.database_url == f"sqlite:///{ROOT / 'var' / 'canhgiac.db'}"


def test_api_importing_the_asgi_module_loads_no_model():
    import app.main

    assert app.main.app.state.holder.get() is None
    assert app.main.app.title == "canhgiac"


def test_model_holder_swaps_whole_models():
    from app.api.state import ModelHolder

    holder = ModelHolder()
    assert holder.get() is None
    a, b = object(), object()
    assert holder.swap(a) is None and holder.get() is a
    assert holder.swap(b) is a and holder.get() is b


# --- the CLI and a real server ------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_pids(pid: int) -> set[int]:
    """The live child processes of ``pid``, read from /proc."""
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(entry))
    return out


def _connections_by_pid(port: int, pids: list[int]) -> dict[int, int]:
    """Established TCP connections to local ``port`` held by each of ``pids`` (from /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as fh:
            for line in fh.readlines()[1:]:
                f = line.split()
                if int(f[1].rsplit(":", 1)[1], 16) == port and f[3] == "01":  # 01: ESTABLISHED
                    inodes.add(f[9])
    out = {}
    for pid in pids:
        held = 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held += 1
        out[pid] = held
    return out


def _serve_env(small_model_dir: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGIAC_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        CANHGIAC_MODEL_DIR=str(small_model_dir),
        CANHGIAC_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        CANHGIAC_API_KEYS=api_keys_setting(),
        CANHGIAC_MAX_BODY_BYTES="65536",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def test_cli_serve_refuses_bad_settings(small_model_dir, tmp_path):
    env = _serve_env(small_model_dir, tmp_path, CANHGIAC_API_KEYS="admin:short")
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 2
    assert b"CANHGIAC_API_KEYS" in out.stderr and b"Traceback" not in out.stderr


def test_cli_serve_refuses_a_missing_model(small_model_dir, tmp_path):
    env = _serve_env(small_model_dir, tmp_path, CANHGIAC_MODEL_DIR=str(tmp_path / "no-model"))
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 2 and b"ACTIVE" in out.stderr and b"Traceback" not in out.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_serve_refuses_a_damaged_model_in_one_line(small_model_dir, tmp_path, workers):
    import shutil

    models = Path(shutil.copytree(small_model_dir, tmp_path / "models"))
    with open(models / "vtest-1" / "model.joblib", "ab") as fh:
        fh.write(b"tampered")
    env = _serve_env(small_model_dir, tmp_path, CANHGIAC_MODEL_DIR=str(models))
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(_free_port()), "--workers", workers],
        env=env,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode != 0
    assert b"checksum mismatch" in out.stderr and b"Traceback" not in out.stderr


@pytest.mark.slow
def test_api_real_uvicorn_server(small_model_dir, tmp_path):
    """``canhgiac serve`` with 2 workers on a free loopback port, as an operator runs it."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    secret = "Tin nhắn riêng tư QX-5521-KHÔNG-LOG"
    with open(log_path, "wb") as log_fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
            env=_serve_env(small_model_dir, tmp_path),
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            wait_until_ready(base, proc, log_path)
            with httpx.Client(base_url=base, timeout=30) as client:
                for _ in range(4):  # reach both workers
                    r = client.post("/v1/classify", json={"text": secret, "channel": "sms"})
                    assert r.status_code == 200 and r.json()["verdict"]
                big = json.dumps({"text": "z" * 100_000}).encode()
                r = client.post("/v1/classify", content=_chunks(big), headers=JSON)  # chunked upload
                assert_problem(r, 413, "body-too-large")
                r = client.post("/v1/classify", content=b'{"text": "\xff"}', headers=JSON)
                assert_problem(r, 400, "invalid-utf8")
                assert client.get("/v1/admin/whoami", headers=bearer("admin")).json() == {"role": "admin"}
                metrics = client.get("/metrics").text
                # multiprocess mode: the counts of both workers are added up
                line = next(
                    ln
                    for ln in metrics.splitlines()
                    if ln.startswith(
                        'canhgiac_http_requests_total{method="POST",route="/v1/classify",status="200"}'
                    )
                )
                assert float(line.rsplit(" ", 1)[1]) == 4.0
                # the workers were forked from the process that loaded the model
                workers = sorted(_child_pids(proc.pid))
                assert len(workers) == 2, workers
                # a burst of keep-alive clients is spread over both workers (each listens on
                # its own SO_REUSEPORT socket), not taken by whichever worker wakes first: all
                # 40 connect before any is accepted, then each sends a request
                burst = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(40)]
                try:
                    ping = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
                    for s in burst:
                        s.sendall(ping)
                    for s in burst:
                        assert s.recv(4096).startswith(b"HTTP/1.1 200")
                    per_worker = _connections_by_pid(port, workers)
                    assert sum(per_worker.values()) >= 40 and min(per_worker.values()) >= 8, per_worker
                finally:
                    for s in burst:
                        s.close()
                # one that dies is replaced and the service goes on answering
                os.kill(workers[0], signal.SIGKILL)
                deadline = time.monotonic() + 60
                while len(_child_pids(proc.pid) - {workers[0]}) < 2:
                    assert time.monotonic() < deadline, "the dead worker was not replaced"
                    time.sleep(0.2)
                for _ in range(6):
                    r = client.post("/v1/classify", json={"text": secret, "channel": "sms"})
                    assert r.status_code == 200 and r.json()["model_version"] == "vtest-1"
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert "QX-5521" not in output
    access = [json.loads(ln) for ln in output.splitlines() if '"canhgiac.access"' in ln]
    assert sum(1 for a in access if a["route"] == "/v1/classify" and a["status"] == 200) == 10
