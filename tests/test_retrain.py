"""Retraining on accepted cases: the gate, promotion, hot swap in a real server, crashes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import CAMPAIGN, ROOT, bearer, read_jsonl, role_keys_setting, wait_until_ready
from training.data import Row
from training.gate import Tolerances, decide, remove_near_gate

TOL = Tolerances(max_f1_drop=0.02, max_fpr_rise=0.005, min_new_case_accuracy=0.8)
LABEL = "impersonation_authority"


def figures(f1: float, fpr: float) -> dict:
    return {"f1": f1, "fpr": fpr}


def cases(n: int, right: int) -> dict:
    return {"n": n, "right": right, "accuracy": round(right / n, 4) if n else None, "wrong": []}


def campaign() -> tuple[list[dict], list[dict]]:
    """The EVN refund campaign: (messages to accept as cases, messages held back to test)."""
    rows = read_jsonl(CAMPAIGN)
    return [r for r in rows if not r["held_back"]], [r for r in rows if r["held_back"]]


def recognized(classifier, texts: list[str]) -> int:
    """How many texts get the verdict scam with the campaign's scam type."""
    return sum(v["verdict"] == "scam" and v["scam_type"] == LABEL for v in classifier.classify_many(texts))


def accept_cases(sessions, items: list[dict]) -> list[int]:
    from app.store import repo

    with sessions.begin() as s:
        result = repo.add_cases(
            s,
            [{"text": r["text"], "label": r["label"], "source": "evn"} for r in items],
            "analyst:t",
            status="accepted",
        )
    assert not result.errors and not result.duplicates
    return result.ids


# --- the gate's rule -----------------------------------------------------------------------------
def test_gate_promotes_a_candidate_no_worse_that_gets_new_cases_right():
    d = decide(figures(0.90, 0.010), figures(0.89, 0.014), cases(20, 17), TOL)
    assert d["promote"] and d["decision"] == "promoted" and d["gate_passed"]
    assert d["checks"]["f1"]["drop"] == 0.01 and d["checks"]["fpr"]["rise"] == 0.004
    assert "17 of 20 new cases right" in d["reason"]


@pytest.mark.parametrize(
    ("candidate", "new", "failed", "words"),
    [
        (figures(0.87, 0.010), cases(20, 20), ["f1"], "gate F1 fell by 0.0300"),
        (figures(0.90, 0.016), cases(20, 20), ["fpr"], "false-positive rate rose by 0.0060"),
        (figures(0.90, 0.010), cases(20, 15), ["new_cases"], "got 15 of 20 newly accepted cases right"),
        (figures(0.50, 0.300), cases(20, 2), ["f1", "fpr", "new_cases"], "gate F1 fell by 0.4000"),
    ],
)
def test_gate_rejects_with_every_reason(candidate, new, failed, words):
    d = decide(figures(0.90, 0.010), candidate, new, TOL)
    assert not d["promote"] and d["decision"] == "rejected"
    assert [k for k, c in d["checks"].items() if not c["ok"]] == failed
    assert words in d["reason"]


def test_gate_force_promotes_and_says_the_gate_failed():
    d = decide(figures(0.90, 0.01), figures(0.40, 0.5), cases(4, 0), TOL, force=True)
    assert d["promote"] and d["decision"] == "forced" and not d["gate_passed"]
    assert d["reason"].startswith("forced by an admin; the gate failed: gate F1 fell")


def test_gate_without_an_active_model_or_new_cases():
    d = decide(None, figures(0.8, 0.02), cases(0, 0), TOL)
    assert d["promote"] and set(d["checks"]) == {"new_cases"}
    assert "no active model to compare with" in d["reason"]


def test_gate_leaves_out_cases_that_are_near_copies_of_gate_rows():
    gate = [
        Row("g1", "Bạn đã trúng thưởng 50 triệu, nộp phí 500k vào tài khoản 123456789 để nhận.", "prize_giveaway", "heldout", "h"),
        Row("g2", "Mai họp lớp lúc 7h tối ở quán cũ nhé cả nhà.", "legit", "heldout", "h"),
    ]  # fmt: skip
    copies = [
        Row("c1", "BAN DA TRUNG THUONG 90 TRIEU, nop phi 700k vao tai khoan 987654321 de nhan.", "prize_giveaway", "case", "c"),
        Row("c2", "Mai họp lớp lúc 8h tối ở quán cũ nhé cả nhà!!", "legit", "case", "c"),
        Row("c3", "Dạ chào cô, con là nhân viên điện lực, cô gửi con số tài khoản để con hoàn tiền ạ.", LABEL, "case", "c"),
    ]  # fmt: skip
    kept, removed = remove_near_gate(copies, gate, threshold=0.8)
    assert [r.id for r in kept] == ["c3"] and [r.id for r in removed] == ["c1", "c2"]


def test_gate_set_is_the_heldout_file_and_a_split_never_trained_on():
    from training.data import gate_split_ids, load_config, load_rows
    from training.gate import load_gate_rows

    cfg = load_config()
    if not (ROOT / cfg["data"]["shared"]).exists():
        pytest.skip("the shared data is not here")
    gate = load_gate_rows(cfg)
    split = gate_split_ids(cfg)
    assert len(split) == 1000 and sum(r.id in split for r in gate) == 1000
    assert sum(r.origin == "heldout" for r in gate) == len(
        read_jsonl(ROOT / "data" / "eval" / "heldout_authored.jsonl")
    )
    rows, _ = load_rows(cfg)
    assert not {r.id for r in rows} & split
    cfg["data"]["max_nana_legit"] = 10**6  # whatever the cap, the split stays out of training
    rows, _ = load_rows(cfg)
    assert not {r.id for r in rows} & split


# --- a retrain job in this process ---------------------------------------------------------------
@pytest.mark.slow
def test_retrain_learns_a_new_campaign_and_the_gate_promotes_it(
    sessions, model_dir, small_config_path, monkeypatch
):
    """A refund scam "from EVN" that the active model does not recognize: accepted as cases,
    retrained on, promoted by the gate, and the new model recognizes messages it never saw."""
    from app.classifier import active_version
    from app.service import Classifier
    from app.store import repo
    from training import retrain
    from training.retrain import run_job

    # every log line goes to the job row at once: a line logged while the job's own final
    # transaction holds the row must not wait for that transaction (it once did, on a slow machine)
    monkeypatch.setattr(retrain, "FLUSH_SECONDS", 0.0)

    accepted, held_back = campaign()
    held_texts = [r["text"] for r in held_back]
    before = Classifier.from_dir(model_dir)
    assert recognized(before, held_texts) <= 2, "the active model already knows this campaign"

    accept_cases(sessions, accepted)
    with sessions.begin() as s:
        job_id = repo.create_job(s, requested_by="admin:t").id
    outcome = run_job(job_id, sessions, model_dir=model_dir, config_path=small_config_path, echo=None)

    version = outcome["candidate_version"]
    assert outcome["decision"] == "promoted", outcome["reason"]
    assert active_version(model_dir) == version
    checks = outcome["gate"]["checks"]
    assert (
        checks["f1"]["drop"] <= checks["f1"]["max_drop"]
        and checks["fpr"]["rise"] <= checks["fpr"]["max_rise"]
    )
    assert checks["new_cases"]["n"] == len(accepted) and checks["new_cases"]["accuracy"] >= 0.8
    assert outcome["gate"]["active"]["version"] == before.version
    assert outcome["cases"] == {
        "accepted": len(accepted),
        "new": len(accepted),
        "trained": len(accepted),
        "near_gate": 0,
    }
    assert set(outcome["timings"]) == {"load_s", "train_s", "gate_s", "total_s"}

    after = Classifier.from_dir(model_dir)
    assert after.version == version
    assert recognized(after, held_texts) >= len(held_texts) - 1
    meta = after.bundle.meta
    assert meta["parent"] == before.version and meta["retrain_job"] == job_id
    assert len(meta["cases"]["trained"]) == len(accepted)

    with sessions() as s:
        job = repo.get_job(s, job_id)
        assert job.state == "succeeded" and job.candidate_version == version and job.pid == os.getpid()
        assert "gate: promoted" in job.log and job.started_at <= job.finished_at
        assert f"promoted {version} in " in job.log  # the line logged inside the final transaction
        models = {m.version: m for m in repo.list_models(s)}
        assert models[version].status == "active" and models[version].parent == before.version
        assert models[version].promoted_by == f"retrain job {job_id}"
        assert models[before.version].status == "retired"
        assert models[version].metrics["gate"]["f1"] == outcome["gate"]["candidate"]["f1"]


@pytest.mark.slow
def test_retrain_cli_gate_rejects_a_model_trained_on_shuffled_labels(
    sessions, model_dir, small_config_path, tmp_path, monkeypatch
):
    """``canhgiac retrain`` in the foreground; the candidate learnt noise and must not be served."""
    from app.classifier import active_version
    from app.cli import app
    from app.settings import get_settings
    from app.store import repo

    accepted, _ = campaign()
    accept_cases(sessions, accepted)
    before = active_version(model_dir)
    monkeypatch.setenv("CANHGIAC_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'canhgiac.db'}")
    monkeypatch.setenv("CANHGIAC_MODEL_DIR", str(model_dir))
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(
            app, ["retrain", "--config", str(small_config_path), "--set", "data.shuffle_labels=true"]
        )
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 1, r.output
    assert "rejected: v" in r.output and "gate f1: FAILED" in r.output
    assert active_version(model_dir) == before

    with sessions() as s:
        job = repo.list_jobs(s)[0]
        assert job.state == "rejected" and job.requested_by.startswith("cli:")
        outcome = job.outcome
        assert outcome["decision"] == "rejected" and not outcome["promoted"]
        assert outcome["reason"].startswith("gate F1 fell by")
        checks = outcome["gate"]["checks"]
        assert not checks["f1"]["ok"] and checks["f1"]["drop"] > 0.1
        assert outcome["gate"]["candidate"]["f1"] < outcome["gate"]["active"]["f1"]
        assert "labels SHUFFLED" in job.log
        rejected = repo.get_model(s, job.candidate_version)
        assert rejected.status == "rejected" and rejected.note == outcome["reason"]
        assert repo.get_active_model(s).version == before
    assert (model_dir / job.candidate_version / "meta.json").exists()  # kept for a look, never served


# --- a crash ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_retrain_process_killed_midway_harms_nothing_and_is_marked_failed(
    sessions, model_dir, small_config_path, tmp_path
):
    from app.classifier import active_version
    from app.store import JobAlreadyRunning, repo
    from app.store.models import Case
    from training.retrain import request_retrain

    accepted, _ = campaign()
    accept_cases(sessions, accepted)
    with sessions() as s:
        stored = sorted((c.id, c.text, c.label, c.status) for c in s.query(Case))
    before = active_version(model_dir)
    versions = sorted(p.name for p in model_dir.iterdir())

    url = f"sqlite:///{tmp_path / 'var' / 'canhgiac.db'}"
    job_id = request_retrain(
        sessions,
        requested_by="admin:t",
        force=False,
        database_url=url,
        model_dir=model_dir,
        config_path=small_config_path,
    )
    with pytest.raises(JobAlreadyRunning) as exc:
        request_retrain(sessions, requested_by="admin:t", force=False, database_url=url, model_dir=model_dir)
    assert exc.value.job_id == job_id

    deadline = time.monotonic() + 60
    while True:  # wait until it is training
        with sessions() as s:
            job = repo.get_job(s, job_id)
        if job.log and "split by near-duplicate cluster" in job.log:
            break
        assert job.state == "running", (job.state, job.outcome)
        assert time.monotonic() < deadline, "the job did not start training"
        time.sleep(0.1)
    os.kill(job.pid, signal.SIGKILL)
    while repo.pid_alive(job.pid):
        time.sleep(0.05)

    assert active_version(model_dir) == before
    assert sorted(p.name for p in model_dir.iterdir() if not p.name.startswith(".")) == [
        v for v in versions if not v.startswith(".")
    ]
    with sessions.begin() as s:
        assert sorted((c.id, c.text, c.label, c.status) for c in s.query(Case)) == stored
        assert repo.get_job(s, job_id).state == "running"  # it could not say anything
        assert repo.fail_stale_jobs(s) == [job_id]
    with sessions() as s:
        job = repo.get_job(s, job_id)
        assert job.state == "failed" and "ended without reporting an outcome" in job.outcome["error"]
        assert repo.get_active_model(s).version == before
    with sessions.begin() as s:  # the queue is free again
        repo.create_job(s, requested_by="admin:t")


def test_retrain_removes_half_written_versions_a_killed_job_left(tmp_path):
    from training.retrain import _clean_tmp

    (tmp_path / ".v20261130-131029.ab1_x9z0").mkdir()
    (tmp_path / ".jobs").mkdir()
    (tmp_path / "v20261130-131029").mkdir()
    assert _clean_tmp(tmp_path) == [".v20261130-131029.ab1_x9z0"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".jobs", "v20261130-131029"]


# --- a real server: requests keep flowing through a retrain and two swaps -------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Traffic(threading.Thread):
    """Posts /v1/classify in a loop, each on a new connection (so both workers answer)."""

    def __init__(self, base: str, text: str) -> None:
        super().__init__(daemon=True)
        self.base, self.text = base, text
        self.results: list[tuple[int, str | None]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                r = httpx.post(f"{self.base}/v1/classify?explain=false", json={"text": self.text}, timeout=30)
                version = r.json().get("model_version") if r.status_code == 200 else None
                self.results.append((r.status_code, version))
            except httpx.HTTPError as exc:
                self.results.append((0, type(exc).__name__))
            time.sleep(0.05)  # steady traffic, leaving the CPU to the retrain

    def wait_for(self, version: str, n: int = 20, timeout: float = 30) -> None:
        """Until the last ``n`` answers, all given after now, came from ``version``."""
        start, deadline = len(self.results), time.monotonic() + timeout
        while True:
            recent = self.results[start:][-n:]
            if len(recent) == n and all(v == version for _, v in recent):
                return
            assert time.monotonic() < deadline, f"answers did not switch to {version}: {recent}"
            time.sleep(0.1)


@pytest.mark.slow
def test_retrain_and_swap_in_a_two_worker_server_without_a_failed_request(
    model_dir, small_config_path, tmp_path
):
    accepted, held_back = campaign()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGIAC_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        CANHGIAC_MODEL_DIR=str(model_dir),
        CANHGIAC_DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'serve.db'}",
        CANHGIAC_API_KEYS=role_keys_setting(),
        CANHGIAC_RATE_LIMIT_PER_MINUTE="0",
        CANHGIAC_MODEL_POLL_SECONDS="0.5",
        CANHGIAC_RETRAIN_CONFIG=str(small_config_path),
        PYTHONPATH=str(ROOT),
    )
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log_fh:
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    traffic = Traffic(base, held_back[0]["text"])
    try:
        wait_until_ready(base, server, log_path)
        with httpx.Client(base_url=base, timeout=30) as client:
            old = client.get("/v1/model").json()["version"]
            traffic.start()

            # analysts add the campaign and accept it
            r = client.post(
                "/v1/cases",
                json={"cases": [{"text": c["text"], "label": c["label"]} for c in accepted]},
                headers=bearer("analyst"),
            )
            assert r.status_code == 201 and len(r.json()["ids"]) == len(accepted)
            for case_id in r.json()["ids"]:
                r = client.patch(
                    f"/v1/cases/{case_id}", json={"status": "accepted"}, headers=bearer("analyst")
                )
                assert r.status_code == 200

            # an admin retrains; a second request while it runs is told which job runs
            r = client.post("/v1/models/retrain", json={}, headers=bearer("admin"))
            assert r.status_code == 202, r.text
            job_id = r.json()["job_id"]
            r = client.post("/v1/models/retrain", headers=bearer("admin"))
            assert r.status_code == 409 and r.json()["job_id"] == job_id
            deadline = time.monotonic() + 120
            while True:
                job = client.get(f"/v1/jobs/{job_id}", headers=bearer("admin")).json()
                if job["state"] not in ("queued", "running"):
                    break
                assert time.monotonic() < deadline, job
                time.sleep(0.5)
            assert job["state"] == "succeeded", job
            new = job["candidate_version"]
            assert job["outcome"]["decision"] == "promoted" and job["outcome"]["parent_version"] == old
            assert "gate: promoted" in job["log_tail"]

            traffic.wait_for(new)  # every worker swapped, with no restart
            verdict = client.post("/v1/classify", json={"text": held_back[0]["text"]}).json()
            assert (
                verdict["model_version"] == new
                and verdict["verdict"] == "scam"
                and verdict["scam_type"] == LABEL
            )
            models = {m["version"]: m for m in client.get("/v1/models").json()["data"]}
            assert (
                models[new]["active"]
                and models[new]["status"] == "active"
                and models[old]["status"] == "retired"
            )

            # roll back, and the workers follow
            r = client.post(f"/v1/models/{old}/activate", headers=bearer("admin"))
            assert r.status_code == 200 and r.json()["active"]
            traffic.wait_for(old)
    finally:
        traffic.stop.set()
        if traffic.is_alive():
            traffic.join(timeout=30)
        server.terminate()
        server.wait(timeout=30)
    failed = [r for r in traffic.results if r[0] != 200]
    assert not failed, failed[:5]
    versions = [v for _, v in traffic.results]
    assert versions[0] == old and new in versions and versions[-1] == old
    assert len(traffic.results) > 50
    assert json.loads((model_dir / new / "meta.json").read_text())["parent"] == old
    assert Path(model_dir / ".jobs" / f"job-{job_id}.log").exists()


@pytest.mark.slow
def test_retrain_api_job_that_fails_records_why_and_frees_the_queue(
    make_client, model_dir, small_corpus, tmp_path
):
    """A job whose training fails (here: no corpus) is closed as failed with the error and its
    log, the server is untouched, and the next request may start a job."""
    from tests.conftest import small_training_config, write_config

    broken = write_config(small_training_config(tmp_path / "no-corpus", model_dir), tmp_path / "broken.toml")
    api = make_client(model_dir, retrain_config=broken)
    r = api.post("/v1/models/retrain", json={"force": True}, headers=bearer("admin"))
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    deadline = time.monotonic() + 60
    while (job := api.get(f"/v1/jobs/{job_id}", headers=bearer("admin")).json())["state"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["state"] == "failed" and job["force"] and job["requested_by"].startswith("admin:")
    assert "[D030] no corpus files" in job["outcome"]["error"] and "Traceback" in job["outcome"]["traceback"]
    assert "failed: DataError" in job["log_tail"]
    assert api.post("/v1/classify", json={"text": "Chiều nay họp lớp nhé"}).status_code == 200
    r = api.post("/v1/models/retrain", headers=bearer("admin"))
    assert r.status_code == 202 and r.json()["job_id"] != job_id
    deadline = time.monotonic() + 60  # let it end (it fails the same way) before the folder goes
    while api.get(f"/v1/jobs/{r.json()['job_id']}", headers=bearer("admin")).json()["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
