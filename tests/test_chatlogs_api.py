"""``POST /v1/chatlogs/score``: upload an export, stream NDJSON verdicts, end with the summary."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.settings import Settings

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "chatlogs"


@pytest.fixture(scope="module")
def client(small_model_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "c.db"
    settings = Settings(
        model_dir=small_model_dir,
        database_url=f"sqlite:///{db}",
        max_upload_bytes=200_000,
        rate_limit_per_minute=0,
    )
    with TestClient(create_app(settings)) as c:
        yield c


def _lines(response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def _uploads_left() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("canhgiac-upload-*")}


@pytest.mark.parametrize(
    "name",
    [
        "telegram/result.json",
        "whatsapp/android_chat.txt",
        "whatsapp/WhatsApp Chat - Nhom.zip",
        "zalo/zalo_export.csv",
        "zalo/zalo_paste.txt",
        "generic.csv",
        "messages.jsonl",
    ],
)
def test_chatlog_upload_streams_results_then_summary(client, name):
    before = _uploads_left()
    path = SAMPLES / name
    with open(path, "rb") as fh:
        r = client.post("/v1/chatlogs/score", files={"file": (path.name, fh)})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = _lines(r)
    results, last = lines[:-1], lines[-1]
    assert results and all("verdict" in row and "conversation" in row for row in results)
    assert "text" not in results[0]  # the response does not echo message text back
    assert last["summary"]["scoring"]["scored"] == len(results)
    assert _uploads_left() <= before  # the upload is gone once the response ends


def test_chatlog_upload_too_large_is_413(client):
    r = client.post("/v1/chatlogs/score", files={"file": ("big.txt", b"a" * 300_000)})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["limit"] == 200_000


def test_chatlog_upload_needs_multipart(client):
    r = client.post("/v1/chatlogs/score", content=b"hello", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_chatlog_upload_unknown_format_is_a_problem(client):
    r = client.post("/v1/chatlogs/score", files={"file": ("x.bin", b"\x00\x01\x02 not a chat log \xff" * 10)})
    assert r.status_code in (200, 422)
    if r.status_code == 422:
        assert r.json()["type"].endswith("unsupported-chatlog-format")


def test_chatlog_upload_path_tricks_in_filename_are_ignored(client):
    r = client.post(
        "/v1/chatlogs/score",
        files={"file": ("../../etc/passwd.jsonl", '{"id": "a", "text": "Mẹ ơi con về muộn"}\n'.encode())},
    )
    assert r.status_code == 200
    assert _lines(r)[0]["id"] == "a"


def test_chatlog_upload_missing_file_field(client):
    r = client.post("/v1/chatlogs/score", files={"other": ("a.txt", b"x")})
    assert r.status_code == 422 and r.json()["field"] == "file"
