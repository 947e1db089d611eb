"""Verdict statistics and the periodic report: counts equal the verdicts made, the report's
figures and formats (Markdown, CSV, one self-contained HTML page)."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from app.report import collect_report, render_report
from app.store import init_db, make_engine, repo, session_factory
from tests.conftest import ANALYST, MODEL_DIR, ROOT

MESSAGES = [
    (
        "Công an quận thông báo anh liên quan đường dây rửa tiền, chuyển toàn bộ tiền vào tài khoản tạm giữ.",
        "call",
    ),
    ("Vietcombank: tai khoan se bi khoa, truy cap vcb-xacthuc.top de cap nhat truoc 17h.", "sms"),
    ("Mẹ ơi tối nay con về muộn, mẹ cứ ăn cơm trước nhé.", "zalo"),
    ("Tuyển CTV online tại nhà 300-500k/ngày, nạp trước 200k để nhận nhiệm vụ.", None),
    ("Chiều nay 3h họp phòng nhé mọi người.", "zalo"),
]


def store(url: str):
    engine = make_engine(url)
    init_db(engine)
    return session_factory(engine)


def run_cli(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CANHGIAC_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
    )


def test_stats_and_report_totals_equal_the_verdicts_made(database_url, api_factory, tmp_path):
    made: list[dict] = []
    channels: Counter[str] = Counter()
    app = api_factory(database_url)
    with TestClient(app) as client:
        for text, channel in MESSAGES:
            r = client.post("/v1/classify", json={"text": text, **({"channel": channel} if channel else {})})
            assert r.status_code == 200
            made.append(r.json())
            channels[channel or "unknown"] += 1
        batch = [{"id": i, "text": t, "channel": "facebook"} for i, (t, _) in enumerate(MESSAGES[:3])]
        made += client.post("/v1/classify/batch", json={"messages": batch}).json()["data"]
        channels["facebook"] += 3
        assert client.post("/v1/classify", json={"text": ""}).status_code == 422  # no verdict, not counted
        today = datetime.now(UTC).date().isoformat()
        r = client.get("/v1/stats", params={"from": today, "to": today}, headers=ANALYST)
        assert r.status_code == 200, r.text
        stats = r.json()
    n = len(MESSAGES) + 3
    assert stats["from"] == stats["to"] == today
    assert stats["total"] == n == len(made)
    assert stats["by_verdict"] == dict(Counter(v["verdict"] for v in made))
    assert stats["by_label"] == dict(Counter(v["label"] for v in made))
    by_channel: Counter[str] = Counter()
    for row in stats["by_day"]:
        by_channel[row["channel"]] += row["count"]
    assert by_channel == channels
    # the app has shut down: every count is in the database, the report agrees
    out = run_cli("report", "--from", today, "--to", today, "--format", "md", database_url=database_url)
    assert out.returncode == 0, out.stderr
    assert f"**{n}** messages checked" in out.stdout
    scams = sum(v["verdict"] == "scam" for v in made)
    rows = list(
        csv.reader(
            io.StringIO(
                run_cli(
                    "report", "--from", today, "--to", today, "--format", "csv", database_url=database_url
                ).stdout
            )
        )
    )
    assert ["checked", "total", "", str(n)] in rows
    assert ["by_verdict", "scam", "", str(scams)] in rows
    assert sum(int(r[3]) for r in rows if r[0] == "scams_by_type") == scams
    # the explained scams counted their patterns
    assert any(r[0] == "patterns" for r in rows)


def test_stats_needs_an_analyst_key_and_a_sane_period(database_url, api_factory):
    with TestClient(api_factory(database_url)) as client:
        assert client.get("/v1/stats").status_code == 401
        r = client.get("/v1/stats", params={"from": "2026-02-01", "to": "2026-01-01"}, headers=ANALYST)
        assert r.status_code == 422 and r.json()["field"] == "to"
        r = client.get("/v1/stats", params={"from": "2020-01-01", "to": "2026-01-01"}, headers=ANALYST)
        assert r.status_code == 422 and r.json()["limit"]
        r = client.get("/v1/stats", params={"from": "2026-1-1"}, headers=ANALYST)
        assert r.status_code == 422
        r = client.get("/v1/stats", headers=ANALYST)
        assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["by_day"] == []


def _six_months(Session) -> dict[str, int]:
    """Counts spread over January to June 2026, and entities added and confirmed then."""
    rows = []
    plan = {
        date(2026, 1, 10): [("bank_phishing", "scam", "sms")] * 3 + [("legit", "safe", "zalo")] * 5,
        date(2026, 2, 14): [("fake_investment", "scam", "facebook")] * 2 + [("spam", "spam", "sms")],
        date(2026, 4, 1): [("bank_phishing", "scam", None)] + [("legit", "suspicious", "zalo")] * 2,
        date(2026, 6, 30): [("job_labor_export", "scam", "zalo")] * 4,
        date(2026, 7, 1): [("bank_phishing", "scam", "sms")] * 100,  # outside the period
    }
    for day, items in plan.items():
        rows += [(day, *item) for item in items]
    with Session.begin() as s:
        repo.increment_stats(s, rows)
        repo.increment_pattern_stats(
            s, {(date(2026, 1, 10), "BANK_ACCOUNT_LOCK"): 3, (date(2026, 6, 30), "TASK_DEPOSIT"): 4}
        )
        when = datetime(2026, 3, 3, tzinfo=UTC)
        repo.upsert_entities(
            s,
            [("domain", "evil.icu"), ("url", "http://a.weebly.com")],
            source="<script>alert(1)</script>",
            seen_at=when,
        )
        e = repo.upsert_entity(s, "phone", "0912345678", source="case")
        repo.set_entity_status(s, e.id, "confirmed")
    return {"checked": 18, "scam": 10}


def test_report_counts_by_month_type_and_entities(database_url):
    Session = store(database_url)
    expected = _six_months(Session)
    with Session() as s:
        r = collect_report(s, date(2026, 1, 1), date(2026, 6, 30), model_dir=MODEL_DIR)
    assert r["checked"] == expected["checked"]
    assert r["by_verdict"] == {"scam": 10, "suspicious": 2, "spam": 1, "safe": 5}
    assert [(t["label"], t["count"]) for t in r["scams_by_type"]] == [
        ("bank_phishing", 4),
        ("job_labor_export", 4),
        ("fake_investment", 2),
    ]
    assert [m["month"] for m in r["by_month"]] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
    ]
    assert [m["scam"] for m in r["by_month"]] == [3, 2, 0, 1, 0, 4]
    assert r["by_month"][0]["by_type"] == {"bank_phishing": 3}
    assert {c["channel"]: c["checked"] for c in r["by_channel"]}["unknown"] == 1
    assert [(p["id"], p["count"]) for p in r["patterns"]] == [("TASK_DEPOSIT", 4), ("BANK_ACCOUNT_LOCK", 3)]
    # created now (outside the period) is not "added in the period"; the listed totals are current
    assert r["entities"]["added_total"] == 0 and r["entities"]["listed_now"] == {
        "confirmed": 1,
        "reported": 2,
    }
    assert r["models_from"] == "model folder" and r["models"] == []  # the default model is newer
    now = datetime.now(UTC).date()
    with Session() as s:
        current = collect_report(s, now, now, model_dir=MODEL_DIR)
    assert current["entities"]["added_total"] == 3 and current["entities"]["confirmed"] == {"phone": 1}
    assert current["models"][-1]["status"] == "active"


def test_report_models_in_force_come_from_the_registry_when_it_has_promotions(database_url):
    Session = store(database_url)
    with Session.begin() as s:
        for v in ("v1", "v2"):
            repo.register_model(s, v, metrics={}, thresholds={"scam": 0.5, "suspicious": 0.2})
            repo.set_active_model(s, v, promoted_by="admin")
    today = datetime.now(UTC).date()
    with Session() as s:
        r = collect_report(s, today, today, model_dir=MODEL_DIR)
    assert r["models_from"] == "registry"
    assert [(m["version"], m["status"]) for m in r["models"]] == [("v1", "retired"), ("v2", "active")]


def test_report_html_has_the_chart_and_escapes_text(database_url, tmp_path):
    Session = store(database_url)
    _six_months(Session)
    now = datetime.now(UTC).date().isoformat()
    out_file = tmp_path / "report.html"
    out = run_cli(
        "report",
        "--from",
        "2026-01-01",
        "--to",
        now,
        "--format",
        "html",
        "-o",
        str(out_file),
        database_url=database_url,
    )
    assert out.returncode == 0, out.stderr
    page = out_file.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    svg = re.search(r"<svg .*?</svg>", page, re.S).group()
    assert len(re.findall(r'class="bar-scam"', svg)) == len(re.findall(r'class="bar-checked"', svg)) >= 6
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the entity source, escaped
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert not re.search(r"""(?:src|href)\s*=|url\(""", page)  # nothing fetched from anywhere


def test_report_csv_neutralizes_formulas_and_md_is_readable(database_url):
    Session = store(database_url)
    with Session.begin() as s:
        repo.upsert_entities(s, [("domain", "evil.icu")], source="=HYPERLINK(1)")
    now = datetime.now(UTC).date()
    with Session() as s:
        r = collect_report(s, now, now)
    rows = list(csv.reader(io.StringIO(render_report(r, "csv"))))
    assert all(not cell.startswith("=") for row in rows for cell in row)
    md = render_report(r, "md")
    assert md.startswith(f"# canhgiac report {now} to {now}") and "**0** messages checked" in md
    with pytest.raises(ValueError, match="pdf"):
        render_report(r, "pdf")


def test_report_cli_refuses_bad_options(database_url):
    out = run_cli("report", "--from", "2026-06-30", "--to", "2026-01-01", database_url=database_url)
    assert out.returncode == 2 and "before" in out.stderr and "Traceback" not in out.stderr
    out = run_cli(
        "report", "--from", "2026-01-01", "--to", "2026-06-30", "--format", "pdf", database_url=database_url
    )
    assert out.returncode == 2 and "md, csv, html" in out.stderr
