"""Cases, feedback, the model registry and retrain jobs through the API and the CLI."""

from __future__ import annotations

import csv
import json
import os
import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import bearer

PROBLEM = "https://canhgiac.vn/problems/"
SCAM = "Chúc mừng quý khách trúng thưởng xe SH, nộp phí 2 triệu vào tài khoản 0071000986547 để nhận giải."
LEGIT = "Chiều nay 3h họp phòng nhé mọi người."
EVN = (
    "Dạ chào cô, con là nhân viên điện lực phường. Tháng này nhà cô đóng dư 300 ngàn do tính sai giá "
    "bậc thang, cô gửi con số tài khoản để con chuyển trả lại ạ."
)


def assert_problem(r, status: int, kind: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == PROBLEM + kind, body
    return body


@pytest.fixture
def api(make_client, small_model_dir):
    return make_client(small_model_dir)


def post_cases(api, body, role="analyst"):
    return api.post("/v1/cases", json=body, headers=bearer(role))


# --- cases ---------------------------------------------------------------------------------------
def test_cases_api_post_one_then_many_reports_duplicates_and_errors(api):
    r = post_cases(api, {"text": SCAM, "label": "prize_giveaway", "channel": "sms", "source": "hotline"})
    assert r.status_code == 201, r.text
    first = r.json()["ids"][0]
    assert r.json() == {"ids": [first], "duplicates": [], "errors": []}

    copy = SCAM.upper().replace("2 triệu", "5 triệu")  # same message: case, digits and tones aside
    r = post_cases(
        api,
        {
            "cases": [
                {"text": copy, "label": "prize_giveaway"},
                {"text": LEGIT, "label": "legit"},
                {"text": EVN, "label": "dien_luc"},
                {"text": LEGIT + " ", "label": "legit"},
            ]
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["ids"]) == 1
    assert body["duplicates"] == [
        {"index": 0, "existing_id": first},
        {"index": 3, "existing_id": body["ids"][0]},
    ]
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(2, "label")]
    assert "impersonation_authority" in body["errors"][0]["message"]  # the valid labels are listed
    listed = api.get("/v1/cases", headers=bearer("analyst")).json()
    assert listed["count"] == 2


def test_cases_api_bad_single_case_is_a_422_naming_the_field(api):
    body = assert_problem(post_cases(api, {"text": EVN, "label": "dien_luc"}), 422, "validation-error")
    assert body["field"] == "label" and "impersonation_authority" in body["detail"]
    body = assert_problem(post_cases(api, {"text": "  ", "label": "legit"}), 422, "empty-text")
    assert body["field"] == "text"
    body = assert_problem(
        post_cases(api, {"cases": [{"text": LEGIT, "label": "legit"}, {"label": "legit"}]}),
        422,
        "validation-error",
    )
    assert body["field"] == "cases[1].text"
    body = assert_problem(
        post_cases(api, {"text": LEGIT, "label": "legit", "sender": "x"}), 422, "unknown-field"
    )
    assert body["field"] == "sender"
    assert_problem(post_cases(api, {"cases": []}), 422, "validation-error")
    assert api.get("/v1/cases", headers=bearer("analyst")).json()["count"] == 0


def test_cases_api_text_longer_than_the_limit(make_client, small_model_dir):
    api = make_client(small_model_dir, max_text_chars=50)
    body = assert_problem(post_cases(api, {"text": EVN, "label": "legit"}), 422, "text-too-long")
    assert body["field"] == "text" and body["limit"] == 50
    r = post_cases(api, {"cases": [{"text": LEGIT, "label": "legit"}, {"text": EVN, "label": "legit"}]})
    assert r.status_code == 201
    assert r.json()["ids"] == [1] and r.json()["errors"][0]["index"] == 1


def test_cases_api_lists_with_filters_and_pages(api):
    items = [
        {"text": f"Tin số {i}: {LEGIT} lần {'một hai ba bốn năm'.split()[i]}", "label": "legit"}
        for i in range(5)
    ]
    items += [
        {"text": SCAM, "label": "prize_giveaway", "source": "hotline"},
        {"text": EVN, "label": "impersonation_authority", "source": "hotline"},
    ]
    ids = post_cases(api, {"cases": items}).json()["ids"]  # in the order of the items
    assert sorted(ids) == [1, 2, 3, 4, 5, 6, 7]
    get = lambda **q: api.get("/v1/cases", params=q, headers=bearer("analyst"))  # noqa: E731

    page = get(limit=3).json()
    assert page["count"] == 7 and len(page["data"]) == 3
    assert [c["id"] for c in page["data"]] == [7, 6, 5]  # newest first
    assert [c["id"] for c in get(limit=3, offset=6).json()["data"]] == [1]
    assert get(label="legit").json()["count"] == 5
    assert {c["id"] for c in get(source="hotline").json()["data"]} == {ids[5], ids[6]}
    found = get(q="dien luc").json()  # no tone marks: still found
    assert found["count"] == 1 and found["data"][0]["label"] == "impersonation_authority"
    case = found["data"][0]
    assert case["status"] == "proposed" and case["created_by"].startswith("analyst:")
    assert set(case) == {
        "id", "text", "label", "channel", "source", "status", "created_by", "created_at",
        "reviewed_by", "reviewed_at", "note",
    }  # fmt: skip
    assert get(status="accepted").json()["count"] == 0
    assert assert_problem(get(status="done"), 422, "validation-error")["field"] == "status"
    assert assert_problem(get(label="nope"), 422, "validation-error")["field"] == "label"
    assert assert_problem(get(limit=0), 422, "validation-error")["field"] == "limit"


def test_cases_api_review_accepts_rejects_and_relabels(api):
    ids = post_cases(
        api, {"cases": [{"text": EVN, "label": "bank_phishing"}, {"text": LEGIT, "label": "legit"}]}
    ).json()["ids"]
    patch = lambda i, body, role="analyst": api.patch(f"/v1/cases/{i}", json=body, headers=bearer(role))  # noqa: E731

    r = patch(ids[0], {"status": "accepted", "label": "impersonation_authority", "note": "chiến dịch EVN"})
    assert r.status_code == 200, r.text
    case = r.json()
    assert (case["status"], case["label"], case["note"]) == (
        "accepted",
        "impersonation_authority",
        "chiến dịch EVN",
    )
    assert case["reviewed_by"].startswith("analyst:") and case["reviewed_at"]
    assert patch(ids[1], {"status": "rejected"}, role="admin").json()["status"] == "rejected"
    assert patch(ids[1], {"status": "proposed"}).json()["status"] == "proposed"
    assert api.get("/v1/cases", params={"status": "accepted"}, headers=bearer("analyst")).json()["count"] == 1

    assert_problem(patch(999, {"status": "accepted"}), 404, "not-found")
    assert assert_problem(patch(ids[0], {"label": "nope"}), 422, "validation-error")["field"] == "label"
    assert assert_problem(patch(ids[0], {"status": "done"}), 422, "validation-error")["field"] == "status"
    assert_problem(patch(ids[0], {}), 422, "validation-error")
    assert_problem(patch(ids[0], {"status": "accepted", "reviewer": "me"}), 422, "unknown-field")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/v1/cases", {"text": LEGIT, "label": "legit"}),
        ("get", "/v1/cases", None),
        ("patch", "/v1/cases/1", {"status": "accepted"}),
    ],
)
def test_cases_api_needs_an_analyst_key(api, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    assert_problem(getattr(api, method)(path, **kwargs), 401, "unauthorized")
    assert_problem(
        getattr(api, method)(path, headers={"Authorization": "Bearer wrong-key-000000000"}, **kwargs),
        401,
        "unauthorized",
    )
    assert_problem(getattr(api, method)(path, headers=bearer("reader"), **kwargs), 403, "forbidden")
    assert getattr(api, method)(path, headers=bearer("analyst"), **kwargs).status_code in (200, 201, 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/v1/jobs/1"), ("post", "/v1/models/retrain"), ("post", "/v1/models/vtest-1/activate")],
)
def test_models_and_jobs_api_admin_endpoints_refuse_other_roles(api, method, path):
    assert_problem(getattr(api, method)(path), 401, "unauthorized")
    for role in ("reader", "analyst"):
        assert_problem(getattr(api, method)(path, headers=bearer(role)), 403, "forbidden")


# --- feedback ------------------------------------------------------------------------------------
def test_feedback_api_with_text_creates_a_proposed_case(api):
    body = {
        "text": EVN,
        "predicted_label": "legit",
        "verdict": "wrong",
        "correct_label": "impersonation_authority",
        "model_version": "vtest-1",
        "comment": "giả danh điện lực",
    }
    r = api.post("/v1/feedback", json=body)  # reading endpoints are open: anyone may send feedback
    assert r.status_code == 201, r.text
    fb = r.json()
    assert fb["id"] == 1 and fb["case_id"] == 1
    again = api.post("/v1/feedback", json={**body, "comment": None}).json()
    assert again == {"id": 2, "case_id": 1}  # the same message: one case
    cases = api.get("/v1/cases", params={"status": "proposed"}, headers=bearer("analyst")).json()
    assert cases["count"] == 1
    case = cases["data"][0]
    assert (case["label"], case["source"], case["created_by"]) == (
        "impersonation_authority",
        "feedback",
        "anonymous",
    )


def test_feedback_api_without_text_keeps_only_the_fingerprint(api):
    from app.store.values import fingerprint

    r = api.post(
        "/v1/feedback",
        json={"fingerprint": fingerprint(EVN), "predicted_label": "legit", "verdict": "correct"},
    )
    assert r.status_code == 201 and r.json()["case_id"] is None
    assert api.get("/v1/cases", headers=bearer("analyst")).json()["count"] == 0
    body = assert_problem(
        api.post("/v1/feedback", json={"predicted_label": "legit", "verdict": "wrong"}),
        422,
        "validation-error",
    )
    assert body["field"] == "fingerprint"
    body = assert_problem(
        api.post("/v1/feedback", json={"text": EVN, "predicted_label": "nope", "verdict": "wrong"}),
        422,
        "validation-error",
    )
    assert body["field"] == "predicted_label"
    assert_problem(
        api.post("/v1/feedback", json={"text": EVN, "predicted_label": "legit", "verdict": "maybe"}),
        422,
        "validation-error",
    )


# --- models and jobs -----------------------------------------------------------------------------
def test_models_api_lists_registered_versions_and_activates_one(make_client, two_version_model_dir):
    api = make_client(two_version_model_dir, model_poll_seconds=0.2)
    models = api.get("/v1/models").json()
    assert models["count"] == 2
    by_version = {m["version"]: m for m in models["data"]}
    assert by_version["vtest-1"]["active"] and by_version["vtest-1"]["status"] == "active"
    assert not by_version["vtest-2"]["active"] and by_version["vtest-2"]["status"] == "candidate"
    assert by_version["vtest-2"]["parent"] == "vtest-1"
    assert set(by_version["vtest-1"]["metrics"]) == {
        "real_recall",
        "real_legit_fpr",
        "heldout_recall",
        "binary_f1",
    }
    assert [m["version"] for m in models["data"]] == ["vtest-2", "vtest-1"]  # newest first

    r = api.post("/v1/models/vtest-2/activate", headers=bearer("admin"))
    assert r.status_code == 200, r.text
    entry = r.json()
    assert entry["active"] and entry["status"] == "active" and entry["promoted_by"].startswith("admin:")
    assert (two_version_model_dir / "ACTIVE").read_text().strip() == "vtest-2"
    statuses = {m["version"]: (m["status"], m["active"]) for m in api.get("/v1/models").json()["data"]}
    assert statuses == {"vtest-2": ("active", True), "vtest-1": ("retired", False)}
    # this worker swaps it in by itself, within a poll or two
    deadline = time.monotonic() + 10
    while api.post("/v1/classify", json={"text": LEGIT}).json()["model_version"] != "vtest-2":
        assert time.monotonic() < deadline, "the new model was not swapped in"
        time.sleep(0.1)
    assert api.get("/v1/model").json()["version"] == "vtest-2"

    # roll back
    assert api.post("/v1/models/vtest-1/activate", headers=bearer("admin")).json()["version"] == "vtest-1"
    assert (two_version_model_dir / "ACTIVE").read_text().strip() == "vtest-1"
    assert_problem(api.post("/v1/models/v404/activate", headers=bearer("admin")), 404, "not-found")
    assert_problem(api.post("/v1/models/..%2Fvtest-1/activate", headers=bearer("admin")), 404, "not-found")


def test_models_api_refuses_a_broken_or_rejected_version(make_client, two_version_model_dir):
    api = make_client(two_version_model_dir)
    with open(two_version_model_dir / "vtest-2" / "model.joblib", "ab") as fh:
        fh.write(b"tampered")
    body = assert_problem(
        api.post("/v1/models/vtest-2/activate", headers=bearer("admin")), 422, "model-unusable"
    )
    assert "checksum" in body["detail"]
    assert (two_version_model_dir / "ACTIVE").read_text().strip() == "vtest-1"


def test_retrain_api_answers_409_with_the_running_jobs_id(api, db_url):
    from app.store import make_engine, repo, session_factory

    engine = make_engine(db_url)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        job = repo.create_job(s, requested_by="admin:elsewhere")
        repo.start_job(s, job.id, pid=os.getpid())  # alive: this very process
    r = api.post("/v1/models/retrain", json={"force": True}, headers=bearer("admin"))
    body = assert_problem(r, 409, "job-running")
    assert body["job_id"] == job.id
    shown = api.get(f"/v1/jobs/{job.id}", headers=bearer("admin")).json()
    assert shown["state"] == "running" and shown["requested_by"] == "admin:elsewhere"
    assert set(shown) == {
        "id", "state", "requested_by", "force", "created_at", "started_at", "finished_at", "outcome",
        "candidate_version", "log_tail",
    }  # fmt: skip

    with sessions.begin() as s:  # its process is gone: the next look marks it failed
        s.get(type(job), job.id).pid = 2**22 + 12345
    shown = api.get(f"/v1/jobs/{job.id}", headers=bearer("admin")).json()
    assert shown["state"] == "failed" and "ended without reporting" in shown["outcome"]["error"]
    assert_problem(api.get("/v1/jobs/999", headers=bearer("admin")), 404, "not-found")
    engine.dispose()


def test_api_registers_the_active_model_at_start_up(make_client, small_model_dir, db_url):
    make_client(small_model_dir)
    from app.store import make_engine, repo, session_factory

    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        active = repo.get_active_model(s)
        assert active.version == "vtest-1" and active.promoted_by == "model/ACTIVE"
        assert active.thresholds == {"scam": 0.5, "suspicious": 0.25}
    engine.dispose()


def test_api_serves_verdicts_while_the_database_is_down(make_client, small_model_dir, tmp_path):
    (tmp_path / "file").write_text("x")
    api = make_client(small_model_dir, database_url=f"sqlite:///{tmp_path / 'file' / 'db.sqlite'}")
    assert api.post("/v1/classify", json={"text": LEGIT}).status_code == 200
    assert_problem(api.get("/v1/cases", headers=bearer("analyst")), 503, "database-unavailable")


# --- the CLI -------------------------------------------------------------------------------------
@pytest.fixture
def cli_env(monkeypatch, db_url, two_version_model_dir):
    from app.settings import get_settings

    monkeypatch.setenv("CANHGIAC_DATABASE_URL", db_url)
    monkeypatch.setenv("CANHGIAC_MODEL_DIR", str(two_version_model_dir))
    get_settings.cache_clear()
    yield two_version_model_dir
    get_settings.cache_clear()


def run_cli(*args: str):
    from app.cli import app

    return CliRunner().invoke(app, list(args))


def test_cli_cases_import_reports_bad_lines_and_duplicates_by_number(cli_env, tmp_path):
    lines = [
        json.dumps({"text": SCAM, "label": "prize_giveaway", "channel": "sms"}, ensure_ascii=False),
        json.dumps({"text": EVN, "label": "impersonation_authority", "id": "x1"}, ensure_ascii=False),
        '{"text": "not json",',
        "",
        json.dumps({"text": LEGIT, "label": "chat"}, ensure_ascii=False),
        json.dumps({"text": SCAM.lower(), "label": "prize_giveaway"}, ensure_ascii=False),
        json.dumps({"text": "", "label": "legit"}),
        json.dumps({"text": LEGIT, "label": "legit", "source": "nhóm zalo"}, ensure_ascii=False),
    ]
    src = tmp_path / "new_cases.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_cli("cases", "import", str(src), "--status", "accepted")
    assert r.exit_code == 1, r.output
    out = r.output
    assert f"{src}:3: not valid JSON" in out
    assert f"{src}:5: label 'chat' is not in the taxonomy" in out
    assert re.search(rf"{re.escape(str(src))}:6: duplicate of case \d+, not stored", out)
    assert f"{src}:7: field 'text'" in out
    assert "3 case(s) stored as accepted, 1 duplicate(s), 3 bad line(s)" in out

    exported = tmp_path / "accepted.jsonl"
    r = run_cli("cases", "export", "--status", "accepted", "-o", str(exported))
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in exported.read_text(encoding="utf-8").splitlines()]
    assert sorted((x["label"], x["source"], x["channel"], x["status"]) for x in rows) == [
        ("impersonation_authority", "new_cases", None, "accepted"),
        ("legit", "nhóm zalo", None, "accepted"),
        ("prize_giveaway", "new_cases", "sms", "accepted"),
    ]
    r = run_cli("cases", "import", str(exported))  # the export reads back: every row a duplicate
    assert r.exit_code == 0 and "0 case(s) stored as proposed, 3 duplicate(s), 0 bad line(s)" in r.output

    csv_out = tmp_path / "cases.csv"
    (tmp_path / "formula.jsonl").write_text(json.dumps({"text": "=HYPERLINK(1)", "label": "spam"}) + "\n")
    assert run_cli("cases", "import", str(tmp_path / "formula.jsonl")).exit_code == 0
    assert run_cli("cases", "export", "-o", str(csv_out), "--label", "spam").exit_code == 0
    assert "'=HYPERLINK(1)" in csv_out.read_text(encoding="utf-8")  # safe to open in Excel
    assert run_cli("cases", "export", "-o", str(csv_out), "--status", "done").exit_code == 2


def test_cli_cases_import_reads_csv_with_line_numbers(cli_env, tmp_path):
    src = tmp_path / "cases.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([("text", "label"), (LEGIT, "legit"), (EVN, "oops")])
    r = run_cli("cases", "import", str(src))
    assert r.exit_code == 1 and f"{src}:3: label 'oops'" in r.output
    assert run_cli("cases", "import", str(tmp_path / "missing.jsonl")).exit_code == 2


def test_cli_models_list_and_activate(cli_env):
    r = run_cli("models", "list", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [(x["version"], x["active"]) for x in rows] == [("vtest-2", False), ("vtest-1", True)]
    r = run_cli("models", "activate", "vtest-2")
    assert r.exit_code == 0 and (cli_env / "ACTIVE").read_text().strip() == "vtest-2"
    assert [x["status"] for x in json.loads(run_cli("models", "list", "--json").output)] == [
        "active",
        "retired",
    ]
    r = run_cli("models", "activate", "v404")
    assert r.exit_code == 2 and "not found" in r.output
    assert (cli_env / "ACTIVE").read_text().strip() == "vtest-2"
    assert "vtest-1" in run_cli("models", "list").output


def test_cli_models_prune_deletes_rejected_folders_but_keeps_history_and_the_served_one(cli_env, db_url):
    import shutil

    from app.classifier import set_active
    from app.store import make_engine, session_factory
    from app.store.models import ModelVersion

    folder = cli_env
    for version, day in (("vtest-3", "02"), ("vtest-4", "03")):
        shutil.copytree(folder / "vtest-1", folder / version)
        meta = json.loads((folder / version / "meta.json").read_text(encoding="utf-8"))
        meta.update(version=version, created=f"2026-12-{day}T00:00:00+00:00")
        (folder / version / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    assert run_cli("models", "list").exit_code == 0  # registers them
    engine = make_engine(db_url)
    with session_factory(engine).begin() as s:
        for version in ("vtest-3", "vtest-4"):
            s.get(ModelVersion, version).status = "rejected"
    engine.dispose()

    r = run_cli("models", "prune", "--keep", "1", "--dry-run")
    assert (
        r.exit_code == 0
        and "would delete" in r.output
        and "vtest-3" in r.output
        and "vtest-4" not in r.output
    )
    assert (folder / "vtest-3").is_dir()
    r = run_cli("models", "prune", "--keep", "1")
    assert r.exit_code == 0, r.output
    assert not (folder / "vtest-3").exists()
    assert all((folder / v).is_dir() for v in ("vtest-1", "vtest-2", "vtest-4"))
    rows = {x["version"]: x for x in json.loads(run_cli("models", "list", "--json").output)}
    assert rows["vtest-3"]["status"] == "rejected"  # the row and its figures stay
    assert run_cli("models", "activate", "vtest-3").exit_code == 2  # its files are gone

    set_active(folder, "vtest-4")  # an operator serves a rejected version on purpose
    r = run_cli("models", "prune")
    assert r.exit_code == 0 and "no rejected model folders" in r.output
    assert (folder / "vtest-4").is_dir()
    assert run_cli("models", "prune", "--keep", "-1").exit_code == 2


def test_cli_retrain_refuses_while_a_job_runs(cli_env, db_url):
    from app.store import make_engine, repo, session_factory

    assert run_cli("models", "list").exit_code == 0  # creates the database
    engine = make_engine(db_url)
    with session_factory(engine).begin() as s:
        job = repo.create_job(s, requested_by="admin:api")
        repo.start_job(s, job.id, pid=os.getpid())
    engine.dispose()
    r = run_cli("retrain")
    assert r.exit_code == 1 and f"retrain job {job.id} is already running" in r.output


def test_cases_import_file_validation_shares_the_training_reader(tmp_path):
    from training.data import DataError, load_labeled_file

    p = Path(tmp_path / "x.jsonl")
    p.write_text('{"text": "a", "label": "legit"}\n{"text": "b", "label": "x"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"x.jsonl:2: label 'x'"):
        load_labeled_file(p)
