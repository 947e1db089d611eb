"""The database layer on real databases: SQLite always, PostgreSQL when one is named."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.store import (
    Conflict,
    Invalid,
    JobAlreadyRunning,
    NotFound,
    init_db,
    make_engine,
    repo,
    session_factory,
)
from app.store.engine import alembic_config
from app.store.models import Base, Case, Feedback, ModelVersion, RetrainJob
from app.store.values import fingerprint, normalize_entity

ROOT = Path(__file__).resolve().parent.parent
TABLES = {"cases", "feedback", "model_versions", "retrain_jobs", "entities", "verdict_stats"}


@dataclass
class DB:
    engine: Engine
    Session: sessionmaker[Session]


@pytest.fixture
def db(db_url) -> Iterator[DB]:
    """A migrated, empty database with its session factory."""
    engine = make_engine(db_url)
    init_db(engine)
    yield DB(engine, session_factory(engine))
    engine.dispose()


def run_threads(n: int, target: Callable[[int], object]) -> list[object]:
    """Run ``target(i)`` in ``n`` threads released together; re-raise the first failure."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def count(db: DB, model) -> int:
    with db.Session() as s:
        return s.scalar(select(func.count()).select_from(model))


# -- engine and migrations --------------------------------------------------------------------


def test_store_migrations_create_every_table_and_match_the_models(db):
    with db.engine.connect() as c:
        assert TABLES <= set(inspect(c).get_table_names())
        heads = ScriptDirectory.from_config(alembic_config()).get_heads()
        assert MigrationContext.configure(c).get_current_heads() == tuple(heads)
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
        assert diff == [], "models and migrations disagree: write a migration"
    init_db(db.engine)  # at every start-up: a no-op once at head
    cfg = alembic_config()
    with db.engine.begin() as c:  # and the way back works
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "base")
    with db.engine.connect() as c:
        assert not TABLES & set(inspect(c).get_table_names())
    init_db(db.engine)


def test_store_processes_starting_together_migrate_once(db_url):
    # Several server processes may start at once on an empty database: they take turns.
    code = "import sys; from app.store import init_db, make_engine; init_db(make_engine(sys.argv[1]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_url], cwd=ROOT, env=env, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()[-2000:]
    engine = make_engine(db_url)
    with engine.connect() as c:
        assert TABLES <= set(inspect(c).get_table_names())
    engine.dispose()


def test_store_sqlite_engine_is_tuned_for_concurrent_writers(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/new/folder/canhgiac.db")
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    assert (tmp_path / "new" / "folder" / "canhgiac.db").exists()
    engine.dispose()


def test_store_timestamps_are_utc_aware(db):
    with db.Session.begin() as s:
        (case_id,) = repo.add_cases(s, [{"text": "Chào bạn", "label": "legit"}], "t").ids
    with db.Session() as s:
        case = s.get(Case, case_id)
        assert case.created_at.tzinfo is not None and case.created_at.utcoffset() == timedelta(0)
        assert abs(datetime.now(UTC) - case.created_at) < timedelta(minutes=5)


# -- cases ------------------------------------------------------------------------------------

CASES = [
    {
        "text": "Tài khoản Vietcombank của quý khách bị khóa, đăng nhập vcb-online.icu",
        "label": "bank_phishing",
    },
    {
        "text": "Bạn đã trúng thưởng xe SH, nộp phí 2 triệu để nhận",
        "label": "prize_giveaway",
        "source": "sms",
    },
    {
        "text": "Việc nhẹ lương cao 500k/ngày, chỉ cần like video",
        "label": "job_labor_export",
        "source": "sms",
    },
    {"text": "Con đang cấp cứu, mẹ chuyển gấp 20 triệu vào số này", "label": "relative_impersonation"},
    {"text": "Tối nay nhà mình ăn cơm lúc 7 giờ nhé", "label": "legit", "channel": "zalo"},
]


def test_store_add_list_filter_and_page_cases(db):
    with db.Session.begin() as s:
        result = repo.add_cases(s, CASES, "reviewer")
    assert len(result.ids) == 5 and not result.duplicates and not result.errors
    with db.Session() as s:
        rows, total = repo.list_cases(s)
        assert total == 5 and [r.id for r in rows] == sorted(result.ids, reverse=True)  # newest first
        assert {r.status for r in rows} == {"proposed"} and {r.created_by for r in rows} == {"reviewer"}
        rows, total = repo.list_cases(s, source="sms")
        assert total == 2 and {r.label for r in rows} == {"prize_giveaway", "job_labor_export"}
        rows, total = repo.list_cases(s, label="legit")
        assert total == 1 and rows[0].channel == "zalo"
        for q in ("TRÚNG THƯỞNG", "trung thuong", "khóa"):  # case and tones do not matter
            rows, total = repo.list_cases(s, q=q)
            assert total == 1, q
        assert repo.list_cases(s, q="100%")[1] == 0  # wildcards are literal
        assert repo.list_cases(s, status="accepted")[1] == 0
        pages = [repo.list_cases(s, limit=2, offset=o) for o in (0, 2, 4)]
        assert [len(p[0]) for p in pages] == [2, 2, 1] and {p[1] for p in pages} == {5}
        assert sorted(r.id for p in pages for r in p[0]) == sorted(result.ids)
        with pytest.raises(Invalid) as e:
            repo.list_cases(s, limit=0)
        assert e.value.field == "limit"


@pytest.mark.parametrize(
    ("original", "copy"),
    [
        ("Bạn đã trúng thưởng 50 triệu", "BẠN ĐÃ TRÚNG THƯỞNG 50 TRIỆU"),  # case
        ("Bạn đã trúng thưởng 50 triệu", "Ban da trung thuong 50 trieu"),  # tones
        ("Chuyển 2.000.000đ vào STK 0071000986547", "Chuyển 9.500.000đ vào STK 1903555577"),  # digits
        ("Gọi 0912345678 để nhận quà", "gọi 0987 654 321 để nhận quà"),  # phone and case
        ("Xác thực tại vcb-online.icu ngay", "xac thuc tai vcb-login.xyz ngay"),  # link and tones
    ],
)
def test_store_copies_are_reported_as_duplicates_not_stored(db, original, copy):
    with db.Session.begin() as s:
        (first_id,) = repo.add_cases(s, [{"text": original, "label": "other_scam"}], "a").ids
    with db.Session.begin() as s:
        again = repo.add_cases(
            s, [{"text": copy, "label": "other_scam"}, {"text": original, "label": "spam"}], "b"
        )
    assert again.ids == [] and again.errors == []
    assert again.duplicates == [{"index": 0, "existing_id": first_id}, {"index": 1, "existing_id": first_id}]
    assert count(db, Case) == 1


def test_store_repeats_within_one_call_are_stored_once(db):
    items = [{"text": "Nhận quà tri ân 1", "label": "spam"}, {"text": "nhận QUÀ tri ân 2", "label": "spam"}]
    with db.Session.begin() as s:
        result = repo.add_cases(s, items, "a")
    assert len(result.ids) == 1
    assert result.duplicates == [{"index": 1, "existing_id": result.ids[0]}]


def test_store_bad_items_are_refused_with_the_field_named(db):
    items = [
        {"text": "Vay tiền nhanh lãi suất 0%", "label": "lua_dao"},
        {"label": "spam"},
        {"text": "   ", "label": "spam"},
        {"text": "a" * (repo.MAX_TEXT_CHARS + 1), "label": "spam"},
        {"text": "Tin hợp lệ", "label": "legit", "colour": "red"},
        "not an object",
        {"text": "Tin hợp lệ", "label": "legit"},
    ]
    with db.Session.begin() as s:
        result = repo.add_cases(s, items, "a")
    assert len(result.ids) == 1
    errors = {e["index"]: e for e in result.errors}
    assert [errors[i]["field"] for i in range(6)] == ["label", "text", "text", "text", "colour", "item"]
    assert "lua_dao" in errors[0]["message"] and "bank_phishing" in errors[0]["message"]  # names valid ones
    assert "limit" in errors[3]["message"]
    with db.Session.begin() as s, pytest.raises(Invalid) as e:
        repo.add_cases(s, [], "")
    assert e.value.field == "created_by"


def test_store_update_case_accepts_rejects_and_relabels(db):
    with db.Session.begin() as s:
        a, b, c = repo.add_cases(s, CASES[:3], "a").ids
    with db.Session.begin() as s:
        accepted = repo.update_case(s, a, status="accepted", reviewed_by="rv", note="rõ ràng")
        assert (accepted.status, accepted.reviewed_by, accepted.note) == ("accepted", "rv", "rõ ràng")
        assert accepted.reviewed_at is not None
        repo.update_case(s, b, status="rejected", reviewed_by="rv")
        relabeled = repo.update_case(s, c, status="accepted", label="fake_investment", reviewed_by="rv2")
        assert relabeled.label == "fake_investment"
    with db.Session() as s:
        assert [(x.id, x.label) for x in repo.accepted_cases(s)] == [
            (a, "bank_phishing"),
            (c, "fake_investment"),
        ]
        assert repo.get_case(s, b).status == "rejected"
    with db.Session.begin() as s:
        with pytest.raises(NotFound, match="case 999999"):
            repo.update_case(s, 999_999, status="accepted", reviewed_by="rv")
        with pytest.raises(Invalid) as e:
            repo.update_case(s, a, label="not_a_label", reviewed_by="rv")
        assert e.value.field == "label"
        with pytest.raises(Invalid) as e:
            repo.update_case(s, a, status="done", reviewed_by="rv")
        assert e.value.field == "status"


# -- feedback ---------------------------------------------------------------------------------


def test_store_feedback_creates_or_finds_a_proposed_case(db):
    msg = "Công an phường thông báo bạn liên quan vụ rửa tiền, gọi 0912345678"
    with db.Session.begin() as s:
        fb = repo.add_feedback(
            s,
            verdict="wrong",
            predicted_label="legit",
            correct_label="impersonation_authority",
            text=msg,
            model_version="2026.11.1",
            created_by="citizen",
            comment="đây là lừa đảo",
        )
        case = repo.get_case(s, fb.case_id)
        assert (case.status, case.label, case.source, case.text) == (
            "proposed",
            "impersonation_authority",
            "feedback",
            msg,
        )
        assert fb.fingerprint == case.fingerprint == fingerprint(msg)
    with db.Session.begin() as s:  # the same message again, written differently: same case
        again = repo.add_feedback(
            s, verdict="correct", predicted_label="legit", text=msg.upper(), created_by="other"
        )
        assert again.case_id == fb.case_id
        # without the text only the fingerprint is kept, and no case is made
        private = repo.add_feedback(
            s,
            verdict="correct",
            predicted_label="spam",
            fingerprint=fingerprint("Khuyến mãi 50%"),
            created_by="x",
        )
        assert private.case_id is None
    assert count(db, Case) == 1 and count(db, Feedback) == 3
    with db.Session.begin() as s:
        for kwargs, field in [
            ({"verdict": "maybe", "predicted_label": "spam", "fingerprint": "0" * 64}, "verdict"),
            ({"verdict": "wrong", "predicted_label": "spam", "fingerprint": "abc"}, "fingerprint"),
            ({"verdict": "wrong", "predicted_label": "nope", "text": "x"}, "predicted_label"),
            (
                {"verdict": "wrong", "predicted_label": "spam", "correct_label": "nope", "text": "x"},
                "correct_label",
            ),
        ]:
            with pytest.raises(Invalid) as e:
                repo.add_feedback(s, created_by="x", **kwargs)
            assert e.value.field == field


# -- retrain jobs -----------------------------------------------------------------------------


def test_store_job_lifecycle_and_one_at_a_time(db):
    with db.Session.begin() as s:
        job = repo.create_job(s, requested_by="admin", force=True)
        assert (job.state, job.force, job.requested_by) == ("queued", True, "admin")
    with db.Session.begin() as s, pytest.raises(JobAlreadyRunning) as e:
        repo.create_job(s, requested_by="someone")
    assert e.value.job_id == job.id and str(job.id) in str(e.value)
    with db.Session.begin() as s:
        running = repo.start_job(s, job.id, pid=os.getpid())
        assert running.state == "running" and running.started_at is not None
        with pytest.raises(JobAlreadyRunning):
            repo.create_job(s, requested_by="someone")
        with pytest.raises(Conflict):
            repo.start_job(s, job.id, pid=1)
    with db.Session.begin() as s:
        done = repo.finish_job(
            s, job.id, "succeeded", {"macro_f1": 0.93}, "x" * 300_000, candidate_version="v2"
        )
        assert done.outcome == {"macro_f1": 0.93} and len(done.log) == repo.MAX_LOG_CHARS
        with pytest.raises(Conflict, match="finished already"):
            repo.finish_job(s, job.id, "failed")
        nxt = repo.create_job(s, requested_by="admin")
    with db.Session() as s:
        assert repo.get_job(s, job.id).candidate_version == "v2"
        assert repo.current_job(s).id == nxt.id
        assert [j.id for j in repo.list_jobs(s)] == [nxt.id, job.id]
        with pytest.raises(NotFound):
            repo.get_job(s, 424242)


def test_store_database_itself_refuses_a_second_active_job(db):
    with db.Session.begin() as s:
        s.add(RetrainJob(requested_by="a", state="queued"))
    with db.Session() as s, pytest.raises(IntegrityError):
        s.add(RetrainJob(requested_by="b", state="running", pid=1))
        s.commit()
    with db.Session.begin() as s:  # finished jobs do not count
        s.add_all([RetrainJob(requested_by="c", state=st) for st in ("succeeded", "failed", "rejected")])


def test_store_racing_job_requests_have_exactly_one_winner(db):
    for _ in range(5):

        def request(i: int):
            with db.Session.begin() as s:
                try:
                    return ("won", repo.create_job(s, requested_by=f"thread-{i}").id)
                except JobAlreadyRunning as e:
                    return ("lost", e.job_id)

        outcomes = run_threads(2, request)
        winners = [job_id for kind, job_id in outcomes if kind == "won"]
        assert len(winners) == 1, outcomes
        assert [job_id for kind, job_id in outcomes if kind == "lost"] == winners
        with db.Session.begin() as s:
            repo.finish_job(s, winners[0], "failed")


def test_store_fail_stale_jobs_fails_jobs_whose_process_is_gone(db):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with db.Session.begin() as s:
        job = repo.create_job(s, requested_by="a")
        repo.start_job(s, job.id, pid=dead.pid)
    with db.Session.begin() as s:
        assert repo.fail_stale_jobs(s) == [job.id]
        failed = repo.get_job(s, job.id)
        assert failed.state == "failed" and str(dead.pid) in failed.outcome["error"]
        alive = repo.create_job(s, requested_by="b")
        repo.start_job(s, alive.id, pid=os.getpid())
    with db.Session.begin() as s:
        assert repo.fail_stale_jobs(s) == []
        assert repo.get_job(s, alive.id).state == "running"
    assert not repo.pid_alive(dead.pid) and repo.pid_alive(os.getpid())


# -- model registry ---------------------------------------------------------------------------


def test_store_model_registry_promotes_one_active_model(db):
    with db.Session.begin() as s:
        repo.register_model(
            s, "v1", metrics={"macro_f1": 0.9}, thresholds={"scam": 0.6}, data_fingerprint="d1"
        )
        repo.register_model(s, "v2", metrics={"macro_f1": 0.92}, thresholds={"scam": 0.55}, parent="v1")
        repo.register_model(s, "v3", metrics={"macro_f1": 0.5}, thresholds={}, status="rejected")
        with pytest.raises(Conflict, match="v1"):
            repo.register_model(s, "v1", metrics={}, thresholds={})
    with db.Session.begin() as s:
        assert repo.set_active_model(s, "v1", promoted_by="admin").status == "active"
    with db.Session.begin() as s:
        v2 = repo.set_active_model(s, "v2", promoted_by="admin", note="tốt hơn")
        assert (v2.status, v2.promoted_by, v2.note) == ("active", "admin", "tốt hơn") and v2.promoted_at
    with db.Session.begin() as s:
        assert repo.get_model(s, "v1").status == "retired"
        assert repo.get_active_model(s).version == "v2"
        assert {m.version for m in repo.list_models(s)} == {"v1", "v2", "v3"}
        assert [m.version for m in repo.list_models(s, status="rejected")] == ["v3"]
        assert repo.get_model(s, "v2").thresholds == {"scam": 0.55}
        with pytest.raises(Conflict, match="rejected"):
            repo.set_active_model(s, "v3", promoted_by="admin")
        with pytest.raises(NotFound, match="v9"):
            repo.set_active_model(s, "v9", promoted_by="admin")
        repo.set_active_model(s, "v1", promoted_by="admin")  # rollback to a retired model
    with db.Session() as s:
        assert [m.version for m in repo.list_models(s, status="active")] == ["v1"]
    with db.Session() as s, pytest.raises(IntegrityError):  # the database refuses two active
        s.get(ModelVersion, "v2").status = "active"
        s.commit()


# -- entities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "bank", "expected"),
    [
        ("phone", "0912 345 678", None, "+84912345678"),
        ("phone", "+84.912.345.678", None, "+84912345678"),
        ("bank_account", "Vietcombank 0071 000 986547", None, "VCB:0071000986547"),
        ("bank_account", "0071000986547", "vcb", "VCB:0071000986547"),
        ("bank_account", "19035555770011", None, "19035555770011"),
        ("ewallet", "0912345678", "ví MoMo", "MOMO:+84912345678"),
        ("domain", "https://Dang-Nhap.VCB-Online.icu/xac-thuc?id=1", None, "vcb-online.icu"),
        ("domain", "dichvucong.gov.vn", None, "dichvucong.gov.vn"),
        ("domain", "vcb-online[.]icu", None, "vcb-online.icu"),
        ("url", "hxxps://VCB-Online[.]icu/Login#top", None, "https://vcb-online.icu/Login"),
        ("handle", "@HoTro_Vietcombank", None, "@hotro_vietcombank"),
    ],
)
def test_store_entity_values_are_normalized(kind, raw, bank, expected):
    assert normalize_entity(kind, raw, bank=bank) == expected


def test_store_entity_upsert_counts_sightings_and_keeps_status(db):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with db.Session.begin() as s:
        first = repo.upsert_entity(
            s, "phone", "0912 345 678", source="feedback", reason="giả danh công an", seen_at=t0
        )
        repo.upsert_entity(s, "phone", "+84912345678", seen_at=t0 + timedelta(days=2), cases=1)
        same = repo.upsert_entity(s, "phone", "84 912 345 678", seen_at=t0 - timedelta(days=1))
        assert same.id == first.id and same.value == "+84912345678" and same.display == "0912 345 678"
        assert (same.message_count, same.case_count) == (3, 1)
        assert (same.first_seen, same.last_seen) == (t0 - timedelta(days=1), t0 + timedelta(days=2))
        assert same.reason == "giả danh công an" and same.status == "reported"
        acct = repo.upsert_entity(s, "bank_account", "0071000986547", bank="Vietcombank", source="police")
        repo.upsert_entity(s, "domain", "https://vcb-online.icu/login")
    with db.Session.begin() as s:
        assert repo.set_entity_status(s, acct.id, "confirmed").status == "confirmed"
        repo.set_entity_status(s, first.id, "cleared", reason="số của ngân hàng thật")
        again = repo.upsert_entity(s, "phone", "0912345678")
        assert again.status == "cleared" and again.message_count == 4  # a reviewer's decision stands
    with db.Session() as s:
        assert repo.get_entity(s, "bank_account", "VCB:0071 000 986547").status == "confirmed"
        with pytest.raises(NotFound):
            repo.get_entity(s, "phone", "0987654321")
        rows, total = repo.list_entities(s, kind="phone")
        assert total == 1 and rows[0].id == first.id
        assert repo.list_entities(s, status="confirmed")[1] == 1
        assert repo.list_entities(s, q="vcb-online")[1] == 1
        assert sorted(repo.all_entities_for_index(s)) == [
            ("bank_account", "VCB:0071000986547", "confirmed"),
            ("domain", "vcb-online.icu", "reported"),
        ]
        assert len(list(repo.all_entities_for_index(s, include_cleared=True))) == 3
    with db.Session.begin() as s:
        for args, kwargs, field in [
            (("iban", "x"), {}, "kind"),
            (("phone", "không phải số"), {}, "value"),
            (("bank_account", "0071000986547"), {"bank": "Ngân hàng Ma"}, "bank"),
            (("phone", "0912345678"), {"messages": -1}, "messages"),
        ]:
            with pytest.raises(Invalid) as e:
                repo.upsert_entity(s, *args, **kwargs)
            assert e.value.field == field
        with pytest.raises(Invalid) as e:
            repo.set_entity_status(s, acct.id, "deleted")
        assert e.value.field == "status"


def test_store_entity_upserts_count_exactly_under_concurrency(db):
    def report(i: int) -> None:
        for _ in range(10):
            with db.Session.begin() as s:
                repo.upsert_entity(s, "bank_account", "0071000986547", bank="VCB", reporter=f"u{i}")

    run_threads(10, report)
    with db.Session() as s:
        assert repo.get_entity(s, "bank_account", "VCB:0071000986547").message_count == 100


# -- statistics -------------------------------------------------------------------------------


def test_store_stats_increment_is_exact_under_concurrency(db):
    d1, d2 = date(2026, 3, 1), date(2026, 3, 2)
    rows = [
        (d1, "bank_phishing", "scam", "sms"),
        (d1, "bank_phishing", "scam", "sms"),
        (d1, "legit", "safe", None),
        (d2, "spam", "spam", "zalo"),
    ]

    def score(_: int) -> None:
        for _ in range(10):
            with db.Session.begin() as s:
                repo.increment_stats(s, rows)

    run_threads(20, score)
    with db.Session() as s:
        got = {(r.day, r.label, r.verdict, r.channel): r.count for r in repo.stats_between(s, d1, d2)}
        assert got == {
            (d1, "bank_phishing", "scam", "sms"): 400,
            (d1, "legit", "safe", "unknown"): 200,
            (d2, "spam", "spam", "zalo"): 200,
        }
        assert [r.day for r in repo.stats_between(s, d2, d2)] == [d2]
        with pytest.raises(Invalid) as e:
            repo.stats_between(s, d2, d1)
        assert e.value.field == "day_to"
    with db.Session.begin() as s, pytest.raises(Invalid) as e:
        repo.increment_stats(s, [(datetime.now(UTC), "spam", "spam", "sms")])
    assert e.value.field == "day"


# -- many writers -----------------------------------------------------------------------------

_WORDS = ["an", "bình", "cam", "dũng", "giang", "hoa", "khánh", "lan", "minh", "nam"]
_WORDS += ["oanh", "phúc", "quang", "sơn", "tâm", "uyên", "vinh", "xuân", "yến", "thảo"]


def _message(i: int) -> str:
    """Distinct messages: the index in base 20, written in words (digits would be folded)."""
    words = " ".join(_WORDS[i // 20**k % 20] for k in (3, 2, 1, 0))
    return f"Tin nhắn mẫu {words} gửi quý khách"


def test_store_threads_posting_the_same_texts_store_each_once(db):
    items = [{"text": _message(i), "label": "spam"} for i in range(50)]
    results = run_threads(20, lambda _: _post(db, items))
    assert count(db, Case) == 50
    stored = [i for r in results for i in r.ids]
    assert len(stored) == len(set(stored)) == 50  # each text stored by exactly one thread
    for r in results:
        assert len(r.ids) + len(r.duplicates) == 50 and not r.errors
        assert {d["existing_id"] for d in r.duplicates} <= set(stored)


def _post(db: DB, items: list[dict]) -> repo.AddCasesResult:
    with db.Session.begin() as s:
        return repo.add_cases(s, items, "load-test")


@pytest.mark.slow
def test_store_10000_cases_from_20_threads_are_stored_exactly_once(db):
    n, threads, batch = 10_000, 20, 250
    share = n // threads

    def post(t: int) -> tuple[list[int], list[int], int]:
        own = [{"text": _message(i), "label": "spam"} for i in range(t * share, (t + 1) * share)]
        # deliberate overlaps: the next thread's first 100 texts, and upper-case copies of ours
        nxt = (t + 1) % threads * share
        overlap = [{"text": _message(i), "label": "legit"} for i in range(nxt, nxt + 100)]
        copies = [{"text": _message(i).upper(), "label": "spam"} for i in range(t * share, t * share + 50)]
        items = own[:250] + overlap + own[250:] + copies
        ids, existing, posted = [], [], 0
        for k in range(0, len(items), batch):
            r = _post(db, items[k : k + batch])
            assert not r.errors, r.errors[:3]
            assert len(r.ids) + len(r.duplicates) == len(items[k : k + batch])
            ids += r.ids
            existing += [d["existing_id"] for d in r.duplicates]
            posted += len(items[k : k + batch])
        return ids, existing, posted

    results = run_threads(threads, post)
    ids = [i for r in results for i in r[0]]
    assert count(db, Case) == n
    assert len(ids) == len(set(ids)) == n
    assert {i for r in results for i in r[1]} <= set(ids)
    assert sum(r[2] for r in results) == n + threads * 150
    with db.Session() as s:
        assert s.scalar(select(func.count(func.distinct(Case.fingerprint)))) == n
