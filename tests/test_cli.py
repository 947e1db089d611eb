"""The ``canhgiac`` command, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run_cli(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], input=input, capture_output=True, timeout=120
    )


def test_cli_help_lists_commands():
    out = run_cli("--help")
    assert out.returncode == 0
    assert b"normalize" in out.stdout


def test_cli_normalize_prints_text_and_entities():
    out = run_cli("normalize", "Ck 500k vào stk 123456789 MB nhé")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["text"].startswith("chuyển khoản __money__")
    kinds = {e["kind"]: e["text"] for e in data["entities"]}
    assert kinds == {"money": "500k", "bank_account": "123456789"}


def test_cli_normalize_reads_stdin():
    out = run_cli("normalize", "-", input="Gọi 0912345678".encode())
    assert json.loads(out.stdout)["entities"][0]["kind"] == "phone"


def test_cli_normalize_bad_stdin_is_a_clear_error():
    out = run_cli("normalize", "-", input=b"\xff\xfe\xfa broken")
    assert out.returncode == 2
    assert b"not valid UTF-8" in out.stderr
    assert b"Traceback" not in out.stderr


@pytest.mark.slow
def test_cli_normalize_segment_option():
    out = run_cli("normalize", "--segment", "Mở thẻ tín dụng tại ngân hàng")
    assert "ngân_hàng" in json.loads(out.stdout)["segmented"]
