"""Bulk scoring from the command line: order, error file, workers, and the output contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.bulk import run_score


def _write(path, lines):
    path.write_bytes(b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines))


def _records(n):
    texts = [
        "Chúc mừng quý khách trúng thưởng xe SH, nộp phí 2 triệu để nhận giải tại quatang-vn.icu",
        "Mẹ ơi tối nay con về muộn nhé",
        "Tai khoan cua ban bi khoa, xac thuc sinh trac hoc tai vcb-sinhtrachoc.top",
        "Ck cho t 150k tiền trà sữa hôm qua nha",
    ]
    return [
        json.dumps({"id": f"m{i}", "text": texts[i % 4], "conversation": "c1"}, ensure_ascii=False)
        for i in range(n)
    ]


def test_score_keeps_order_and_reports_bad_lines(tmp_path, small_model_dir):
    src = tmp_path / "in.jsonl"
    good = _records(6)
    _write(
        src,
        [
            good[0],
            b"{not json",
            good[1],
            '{"id": "x"}',
            b"\xff\xfe broken",
            '{"id":"e","text":"   "}',
            good[2],
            '["a", "list"]',
            json.dumps({"id": "long", "text": "a" * 150}),
            good[3],
        ],
    )
    out = tmp_path / "out.jsonl"
    stats = run_score([src], out, model_dir=small_model_dir, max_chars=120, show_progress=False)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["m0", "m1", "m2", "m3"]
    assert stats["scored"] == 4 and stats["errors"] == 6
    errors = [json.loads(line) for line in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert [e["line"] for e in errors] == [2, 4, 5, 6, 8, 9]
    assert "not valid JSON" in errors[0]["error"] and "not valid UTF-8" in errors[2]["error"]
    assert errors[5]["error"] == "field 'text' has 150 characters; the limit is 120"
    assert errors[5]["error"] == "field 'text' has 150 characters; the limit is 120"
    for r in rows:
        assert {"id", "label", "is_scam", "risk_score", "verdict", "probabilities", "model_version"} <= set(r)
        assert r["is_scam"] == (r["verdict"] == "scam")
        assert r["conversation"] == "c1"  # the record's own fields travel with it
        assert "text" not in r  # results do not repeat the message


def test_score_text_over_limit_names_the_limit(tmp_path, small_model_dir):
    src = tmp_path / "in.jsonl"
    _write(src, [json.dumps({"id": "long", "text": "a" * 50})])
    run_score([src], tmp_path / "out.jsonl", model_dir=small_model_dir, max_chars=40)
    err = json.loads((tmp_path / "out.jsonl.errors.jsonl").read_text())
    assert err["error"] == "field 'text' has 50 characters; the limit is 40"


def test_score_two_workers_give_the_same_results(tmp_path, small_model_dir):
    src = tmp_path / "in.jsonl"
    _write(src, _records(2500))
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    run_score([src], one, model_dir=small_model_dir, batch_size=300)
    run_score([src], two, model_dir=small_model_dir, batch_size=300, workers=2)
    assert one.read_text() == two.read_text()
    assert len(one.read_text().splitlines()) == 2500


def test_score_cli_missing_input_is_a_clear_error(tmp_path, small_model_dir):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "score",
            str(tmp_path / "nope.jsonl"),
            "--output",
            str(tmp_path / "o.jsonl"),
            "--model-dir",
            str(small_model_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "input not found" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow
def test_score_cli_end_to_end_with_default_model(tmp_path):
    src = tmp_path / "in.jsonl"
    _write(src, _records(20))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "score",
            str(src),
            "--output",
            str(tmp_path / "o.jsonl"),
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stderr.strip().splitlines()[-1])
    assert stats["scored"] == 20 and stats["errors"] == 0


SAMPLES = __import__("pathlib").Path(__file__).resolve().parent.parent / "data" / "samples" / "chatlogs"


@pytest.mark.parametrize(
    "name",
    [
        "telegram/result.json",
        "messenger/inbox",
        "whatsapp/android_chat.txt",
        "whatsapp/ios_chat.txt",
        "whatsapp/WhatsApp Chat - Nhom.zip",
        "zalo/zalo_export.csv",
        "zalo/zalo_paste.txt",
        "generic.csv",
    ],
)
def test_score_reads_every_chatlog_format(tmp_path, small_model_dir, name):
    out = tmp_path / "out.jsonl"
    stats = run_score(
        [SAMPLES / name],
        out,
        model_dir=small_model_dir,
        summary_path=tmp_path / "s.json",
        show_progress=False,
    )
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert stats["scored"] == len(rows) > 0
    assert all(r["conversation"] and r["source_ref"] for r in rows)
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert summary["scoring"]["scored"] == len(rows)
    assert summary["conversations"]


def test_score_csv_output_is_safe_for_excel(tmp_path, small_model_dir):
    src = tmp_path / "in.jsonl"
    _write(src, [json.dumps({"id": '=HYPERLINK("http://x.icu")', "text": "Chúc mừng bạn trúng thưởng"})])
    out = tmp_path / "out.csv"
    run_score([src], out, model_dir=small_model_dir, output_format="csv", show_progress=False)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM so Excel shows Vietnamese
    assert "'=HYPERLINK" in raw.decode("utf-8-sig")


def test_score_summary_markdown_lists_evidence(tmp_path, small_model_dir):
    out = tmp_path / "out.jsonl"
    run_score(
        [SAMPLES / "telegram" / "result.json"],
        out,
        model_dir=small_model_dir,
        summary_path=tmp_path / "s.md",
        show_progress=False,
    )
    md = (tmp_path / "s.md").read_text(encoding="utf-8")
    assert md.startswith("#") and "conversation" in md.lower()
