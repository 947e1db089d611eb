"""The suspicious-entity list: guessing and normalizing values, the in-memory index, imports,
the check endpoints, analysts' reports, and the list's say in verdicts (real databases)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.entities import (
    CONFIRMED_RISK,
    REPORTED_BOOST,
    EntityIndex,
    GuessError,
    apply_to_verdict,
    case_entities,
    guess,
    listing_for,
)
from app.store import Invalid, init_db, make_engine, repo, session_factory
from tests.conftest import ANALYST, ROOT

CHONGLUADAO = (
    ROOT.parent / "shared" / "data" / "raw" / "elliotwutingfeng__ChongLuaDao-Phishing-Blocklist" / "urls.txt"
)
ACCOUNT_SPELLINGS = [
    "VCB 0071 000 986 547",
    "Vietcombank: 0071.000.986.547",
    "vietcombank 0071-000-986-547",
    "VCB:0071000986547",
    "0071000986547",
    "0071 000 986 547",
    "STK 0071000986547 Vietcombank",
    "số tài khoản 0071 000 986 547 ngân hàng Vietcombank",
    "Ngân hàng Ngoại thương - 0071.000.986.547",
]
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def store(url: str):
    engine = make_engine(url)
    init_db(engine)
    return session_factory(engine)


def check(client: TestClient, value: str) -> dict:
    r = client.get("/v1/entities/check", params={"value": value})
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    return result


# -- reading values --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "kind", "normalized"),
    [
        ("0912 345 678", "phone", "+84912345678"),
        ("+84 912.345.678", "phone", "+84912345678"),
        ("19001234", "phone", "19001234"),
        ("VCB 0071 000 986 547", "bank_account", "VCB:0071000986547"),
        ("Vietcombank: 0071.000.986.547", "bank_account", "VCB:0071000986547"),
        ("0071-000-986-547", "bank_account", "0071000986547"),  # not a call to +7
        ("techcombank 19036 1234 5678", "bank_account", "TCB:19036123456 78".replace(" ", "")),
        ("ví MoMo 0912 345 678", "ewallet", "MOMO:+84912345678"),
        ("https://Login.Evil.icu/ABC?x=1#top", "url", "https://login.evil.icu/ABC?x=1"),
        ("hxxps://evil[.]icu/x", "url", "https://evil.icu/x"),
        ("login.evil.icu", "domain", "login.evil.icu"),
        ("cốccốc.vn", "domain", "xn--cccc-0x5ac.vn"),
        ("@hotro_vcb", "handle", "@hotro_vcb"),
        ("telegram:@HoTro_VCB", "handle", "telegram:@hotro_vcb"),
    ],
)
def test_entities_guess_reads_kind_and_normalizes_like_the_store(raw, kind, normalized):
    g = guess(raw)
    assert (g.kind, g.normalized) == (kind, normalized)


@pytest.mark.parametrize("raw", ["", "   ", "12", "xin chào bạn", "@", "a" * 301, "\u202e\u0000"])
def test_entities_guess_refuses_what_is_no_entity(raw):
    with pytest.raises((GuessError, Invalid)):
        guess(raw)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("evil.icu", ("domain", "evil.icu")),
        ("Vant6.com", ("domain", "vant6.com")),
        ("025.bk8vip.com", ("url", "http://025.bk8vip.com")),  # a sub-domain is not widened
        ("abc.com.vn", ("domain", "abc.com.vn")),
        ("momo123.weebly.com", ("url", "http://momo123.weebly.com")),
        ("sites.google.com/site/hacksogarena", ("url", "http://sites.google.com/site/hacksogarena")),
        ("3.84.109.91", ("domain", "3.84.109.91")),
    ],
)
def test_entities_listing_keeps_hosts_as_listed(line, expected):
    assert listing_for(line) == expected


def test_entities_case_entities_take_registrable_domains_but_exact_platform_links():
    text = (
        "Chuyển gấp 5 triệu vào STK 0071000986547 Vietcombank, liên hệ 0912345678, vào "
        "https://login.vcb-xacthuc.icu/abc hoặc bit.ly/abc123, tele @hotro_vcb, hotline 19001234"
    )
    assert sorted(case_entities(text)) == [
        ("bank_account", "VCB:0071000986547", "VCB"),
        ("domain", "vcb-xacthuc.icu", None),
        ("handle", "@hotro_vcb", None),
        ("phone", "+84912345678", None),
        ("url", "http://bit.ly/abc123", None),
    ]


# -- the index without a database ------------------------------------------------------------------
def test_entities_index_walks_up_hosts_and_paths_most_specific_first():
    ix = EntityIndex()
    ix.put(1, "domain", "evil.icu", "confirmed", "list", T0, T0, 0, 0)
    ix.put(2, "url", "http://safe.evil.icu", "cleared", "analyst", T0, T0, 0, 0)
    ix.put(3, "url", "http://sites.google.com/site/scam", "reported", "list", T0, T0, 2, 1)
    assert ix.lookup_url("https://login.evil.icu/abc?x=1").id == 1
    assert ix.lookup_url("http://safe.evil.icu/x").status == "cleared"  # cleared: not known
    assert not ix.lookup_url("http://safe.evil.icu/x").known
    assert ix.lookup_url("sites.google.com/site/scam/home").id == 3
    assert ix.lookup_url("sites.google.com/site/other") is None
    assert ix.lookup_url("google.com") is None
    assert ix.lookup_url("notevil.icu") is None


def test_entities_index_accounts_match_across_spellings_but_not_across_banks():
    ix = EntityIndex()
    ix.put(1, "bank_account", "VCB:0071000986547", "reported", None, T0, T0, 1, 1)
    ix.put(2, "bank_account", "0912345678", "confirmed", None, T0, T0, 1, 0)
    assert ix.lookup_account("0071000986547", "VCB").id == 1
    assert ix.lookup_account("0071000986547", None).id == 1
    assert ix.lookup_account("0071000986547", "TCB") is None
    assert ix.lookup_phone("+84912345678").id == 2  # a phone number used as an account number
    ix.put(1, "bank_account", "VCB:0071000986547", "confirmed", None, T0, T0, 2, 1)  # update in place
    assert len(ix) == 2 and ix.lookup_account("0071000986547").status == "confirmed"


def _verdict(text: str, clf) -> dict:
    return clf.classify(text)


def test_entities_apply_to_verdict_raises_risk_and_redecides_consistently(default_classifier):
    text = "Mẹ ơi tiền học con gửi vào STK 0071000986547 Vietcombank rồi nhé"
    ix = EntityIndex()
    base = default_classifier.classify(text)
    assert base["verdict"] == "safe"
    ix.put(1, "bank_account", "VCB:0071000986547", "reported", "case", T0, T0, 3, 1)
    v = default_classifier.classify(text)
    hits = apply_to_verdict(v, ix, default_classifier.thresholds)
    assert len(hits) == 1
    assert v["risk_score"] == pytest.approx(min(1, base["risk_score"] + REPORTED_BOOST), abs=1e-4)
    assert v["explanation"]["red_flags"][0]["kind"] == "listed_entity"
    ix.put(1, "bank_account", "VCB:0071000986547", "confirmed", "case", T0, T0, 3, 1)
    v = default_classifier.classify(text)
    apply_to_verdict(v, ix, default_classifier.thresholds)
    assert v["risk_score"] >= CONFIRMED_RISK
    assert v["verdict"] == "scam" and v["is_scam"] and v["label"] == v["scam_type"]
    assert "0071000986547" in v["explanation"]["red_flags"][0]["reason"]
    assert "xác nhận" in v["explanation"]["summary"]
    assert v["listed_entities"][0]["status"] == "confirmed"


def test_entities_service_applies_an_attached_index(default_classifier):
    from app.service import Classifier

    clf = Classifier(default_classifier.bundle)
    ix = EntityIndex()
    ix.put(1, "domain", "vcb-xacthuc.icu", "confirmed", "list", T0, T0, 0, 0)
    clf.entity_index = ix
    (v,) = clf.classify_many(["Chiều nay họp nhé, tài liệu ở login.vcb-xacthuc.icu/docs"])
    assert v["verdict"] == "scam" and v["listed_entities"][0]["listed"] == "vcb-xacthuc.icu"


def test_entities_service_imports_no_database():
    code = "import sys, app.service; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


# -- imports and the API on real databases -------------------------------------------------------
@pytest.mark.skipif(
    not CHONGLUADAO.exists(), reason=f"the ChongLuaDao list is not at {CHONGLUADAO} (../shared absent)"
)
def test_entities_import_chongluadao_and_check_listed_subdomain_and_unlisted(database_url, api_factory):
    from app.entities import import_list

    report = import_list(
        store(database_url), CHONGLUADAO, source="chongluadao", day=T0.date(), status="confirmed"
    )
    lines = [x.strip() for x in CHONGLUADAO.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert report.lines >= len(lines) and report.bad == 0
    assert 30_000 < report.new <= report.entities  # a few hosts are listed twice (Vant6.com, vant6.com)
    host = next(x.lower() for x in lines if listing_for(x) == ("domain", x.lower()) and not x[0].isdigit())
    sub = next(x for x in lines if listing_for(x)[0] == "url" and "/" not in x and "weebly" not in x)
    with TestClient(api_factory(database_url)) as client:
        listed = check(client, host)
        assert listed["known"] and listed["status"] == "confirmed" and listed["source"] == "chongluadao"
        assert listed["first_seen"].startswith("2026-01-05")
        below = check(client, f"https://dang-nhap.{host}/xac-thuc?id=1")
        assert below["known"] and below["listed"] == host and below["kind"] == "url"
        assert check(client, f"x.{sub}")["known"]
        for unlisted in ("canhgiac-khong-co-that.example", "google.com", "weebly.com", "apple.com"):
            assert not check(client, unlisted)["known"], unlisted
    # importing again counts no new entity
    again = import_list(store(database_url), CHONGLUADAO, source="chongluadao", day=T0.date())
    assert again.new == 0


def test_entities_cli_import_reports_counts_and_bad_lines(database_url, tmp_path):
    path = tmp_path / "list.txt"
    path.write_text(
        "# a comment\nevil.icu\n0.0.0.0 hosts-file.icu\nhttps://x.y.evil2.icu/login\nnot a host\n-bad-.icu\n\n",
        encoding="utf-8",
    )
    env = {**os.environ, "CANHGIAC_DATABASE_URL": database_url}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "entities",
            "import",
            str(path),
            "--source",
            "test",
            "--date",
            "2026-02-01",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["entities"] == 3 and report["new"] == 3 and report["bad"] == 2
    assert [b["line"] for b in report["bad_lines"]] == [5, 6]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "entities",
            "import",
            str(path),
            "--source",
            "t",
            "--date",
            "2026-13-01",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 2 and "YYYY-MM-DD" in out.stderr and "Traceback" not in out.stderr


def test_entities_account_reported_through_a_case_is_found_in_every_spelling(database_url, api_factory):
    Session = store(database_url)
    text = "Anh chuyển 30 triệu phí giải ngân vào STK 0071000986547 Vietcombank, chủ TK NGUYEN VAN A nhé"
    with Session.begin() as s:
        result = repo.add_cases(s, [{"text": text, "label": "loan_debt"}], "tester")
        assert not result.errors, result.errors
        (case_id,) = result.ids
        repo.update_case(s, case_id, status="accepted", reviewed_by="tester")
    env = {**os.environ, "CANHGIAC_DATABASE_URL": database_url}
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "entities", "from-case", str(case_id)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    added = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(e["kind"], e["value"], e["status"]) for e in added] == [
        ("bank_account", "VCB:0071000986547", "reported")
    ]
    assert added[0]["evidence"] == {"messages": 1, "cases": 1}
    with TestClient(api_factory(database_url)) as client:
        for spelling in ACCOUNT_SPELLINGS:
            r = check(client, spelling)
            assert r["known"] and r["status"] == "reported", spelling
            assert r["kind"] == "bank_account" and r["evidence"] == {"messages": 1, "cases": 1}
        assert not check(client, "Techcombank 0071000986547")["known"]  # another bank's account
        r = client.post("/v1/entities/check", json={"values": [*ACCOUNT_SPELLINGS, "12", "0071000986548"]})
        results = r.json()["results"]
        assert [x["known"] for x in results] == [True] * len(ACCOUNT_SPELLINGS) + [False, False]
        assert results[-2]["error"] and results[-2]["kind"] is None
    assert case_entities(text)  # the same function the retrain branch calls on acceptance


def test_entities_non_scam_case_adds_nothing(database_url):
    from app.entities import add_entities_from_case

    with store(database_url).begin() as s:
        assert add_entities_from_case(s, "STK 0071000986547 Vietcombank, học phí tháng 9", "legit", 1) == []


def test_entities_confirmed_entity_changes_a_verdict_through_the_api(database_url, api_factory):
    text = "Mẹ ơi tiền học con gửi vào STK 0071000986547 Vietcombank rồi nhé"
    with TestClient(api_factory(database_url)) as client:
        before = client.post("/v1/classify", json={"text": text}).json()
        assert before["verdict"] == "safe" and "listed_entities" not in before
        r = client.post(
            "/v1/entities",
            json={"value": "Vietcombank 0071 000 986 547", "status": "confirmed", "reason": "vụ 17"},
            headers=ANALYST,
        )
        assert r.status_code == 201, r.text
        entity = r.json()
        assert (
            entity["status"] == "confirmed"
            and entity["confirmed_at"]
            and entity["reporter"].startswith("analyst")
        )
        after = client.post("/v1/classify", json={"text": text}).json()
        assert after["risk_score"] >= CONFIRMED_RISK > before["risk_score"]
        assert after["verdict"] == "scam" and after["is_scam"]
        flag = after["explanation"]["red_flags"][0]
        assert flag["kind"] == "listed_entity" and flag["entity_id"] == entity["id"]
        assert text[flag["start"] : flag["end"]] == "0071000986547"
        batch = client.post("/v1/classify/batch", json={"messages": [{"id": 1, "text": text}]}).json()
        assert batch["data"][0]["verdict"] == "scam"
        # a second report of the same entity is counted, not duplicated
        r = client.post("/v1/entities", json={"value": "VCB 0071000986547"}, headers=ANALYST)
        assert (
            r.status_code == 200 and r.json()["id"] == entity["id"] and r.json()["evidence"]["messages"] == 2
        )


def test_entities_clearing_needs_a_reason_and_then_stops_flagging(database_url, api_factory):
    text = "Ghé trang khuyenmai-vcb.icu để nhận quà tri ân nhé"
    with TestClient(api_factory(database_url)) as client:
        e = client.post(
            "/v1/entities", json={"value": "khuyenmai-vcb.icu", "status": "confirmed"}, headers=ANALYST
        ).json()
        assert client.post("/v1/classify", json={"text": text}).json()["listed_entities"]
        for body in ({"status": "cleared"}, {"status": "cleared", "reason": "   "}):
            r = client.patch(f"/v1/entities/{e['id']}", json=body, headers=ANALYST)
            assert r.status_code == 422 and r.json()["field"] == "reason"
            assert r.headers["content-type"].startswith("application/problem+json")
        r = client.patch(
            f"/v1/entities/{e['id']}",
            json={"status": "cleared", "reason": "trang thật của VCB"},
            headers=ANALYST,
        )
        assert (
            r.status_code == 200
            and r.json()["status"] == "cleared"
            and r.json()["reason"] == "trang thật của VCB"
        )
        assert not check(client, "khuyenmai-vcb.icu")["known"]
        assert check(client, "khuyenmai-vcb.icu")["status"] == "cleared"
        assert "listed_entities" not in client.post("/v1/classify", json={"text": text}).json()
        assert (
            client.patch("/v1/entities/999999", json={"status": "confirmed"}, headers=ANALYST).status_code
            == 404
        )
        listed = client.get("/v1/entities", params={"status": "cleared"}, headers=ANALYST).json()
        assert listed["count"] == 1 and listed["data"][0]["id"] == e["id"]


def test_entities_writes_need_an_analyst_key_and_platforms_are_never_listed_whole(database_url, api_factory):
    with TestClient(api_factory(database_url)) as client:
        assert client.post("/v1/entities", json={"value": "evil.icu"}).status_code == 401
        assert client.patch("/v1/entities/1", json={"status": "confirmed"}).status_code == 401
        r = client.post("/v1/entities", json={"kind": "domain", "value": "abc.weebly.com"}, headers=ANALYST)
        assert r.status_code == 422 and r.json()["field"] == "value"
        r = client.post("/v1/entities", json={"value": "https://abc.weebly.com/x"}, headers=ANALYST)
        assert r.status_code == 201 and r.json()["kind"] == "url"
        r = client.post("/v1/entities", json={"value": "login.scam-site.icu"}, headers=ANALYST)
        assert r.json()["value"] == "http://login.scam-site.icu"  # a guessed host is not widened
        assert not check(client, "weebly.com")["known"] and not check(client, "other.weebly.com")["known"]
        assert not check(client, "scam-site.icu")["known"] and check(client, "a.login.scam-site.icu")["known"]
        r = client.get("/v1/entities/check", params={"value": "xin chào"})
        assert r.status_code == 422 and r.json()["field"] == "value"


def test_entities_other_workers_see_changes_after_polling(database_url, api_factory, monkeypatch):
    import app.api.db as api_db

    monkeypatch.setattr(api_db, "ENTITY_POLL_SECONDS", 0.0)
    with TestClient(api_factory(database_url)) as one, TestClient(api_factory(database_url)) as two:
        assert not check(two, "0912 888 777")["known"]  # worker two builds its index now
        r = one.post("/v1/entities", json={"value": "0912888777", "status": "confirmed"}, headers=ANALYST)
        assert r.status_code == 201
        assert check(one, "+84 912 888 777")["known"]  # the writer: at once
        assert check(two, "0912.888.777")["status"] == "confirmed"  # the other: at its next poll
        one.patch(
            f"/v1/entities/{r.json()['id']}", json={"status": "cleared", "reason": "nhầm"}, headers=ANALYST
        )
        assert not check(two, "0912888777")["known"]


def test_entities_cli_classify_consults_the_list(database_url, tmp_path):
    Session = store(database_url)
    with Session.begin() as s:
        e = repo.upsert_entity(s, "domain", "qua-tang-vcb.icu", source="test")
        repo.set_entity_status(s, e.id, "confirmed")
    env = {**os.environ, "CANHGIAC_DATABASE_URL": database_url}
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "classify", "--json", "Họp lúc 3h, tài liệu ở qua-tang-vcb.icu/a"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    v = json.loads(out.stdout)
    assert v["verdict"] == "scam" and v["listed_entities"][0]["listed"] == "qua-tang-vcb.icu"
    # no database file: classify works as before, silently
    env["CANHGIAC_DATABASE_URL"] = f"sqlite:///{Path(tmp_path) / 'none' / 'x.db'}"
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "classify", "--json", "Họp lúc 3h nhé"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
    )
    assert out.returncode == 0 and "listed_entities" not in json.loads(out.stdout)
    assert not (Path(tmp_path) / "none").exists()
