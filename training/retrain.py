"""Retraining as a job: the base data plus every accepted case, a candidate model, the gate.

A job runs in its own process (``python -m training.retrain --job ID ...``, started by
:func:`request_retrain` for the API, or in the foreground by ``canhgiac retrain``), so the
service keeps answering and a crash or ``SIGKILL`` of the job cannot hurt it:

1. the accepted cases are read (origin ``case``); any that is a near-copy of a gate row is
   left out, so the gate set stays unseen;
2. :func:`training.train.train` writes ``model/<version>/`` atomically, *not* active;
3. :mod:`training.gate` compares the candidate with the active model on the fixed gate set
   and on the newly accepted cases;
4. a promoted candidate is registered active and ``model/ACTIVE`` is replaced (atomic
   rename); every API worker notices and swaps it in. A rejected one is registered rejected.

The job row in ``retrain_jobs`` holds the state, the pid, the log as it grows, timings and
the outcome with every figure the gate used. A job whose process dies is failed by
:func:`app.store.repo.fail_stale_jobs` (at API start-up, before each new job, and when it is
looked up).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.classifier import ModelError, active_version, load_bundle, set_active
from app.registry import register_meta, summary_metrics, sync_registry
from app.store import Conflict, repo
from app.store.models import JOB_ACTIVE_STATES, RetrainJob

from .data import ROOT, Row, load_config
from .gate import Tolerances, case_results, decide, gate_figures, load_gate_rows, remove_near_gate
from .train import new_version, train

__all__ = ["JobLog", "run_job", "launch", "request_retrain", "main"]

FLUSH_SECONDS = 0.5
# save_bundle's temporary folders: ".<version>.<8 random characters>"
_TMP_DIR = re.compile(r"\.[A-Za-z0-9][A-Za-z0-9._-]*\.[a-z0-9_]{8}")


class JobLog:
    """Progress lines: echoed, and written to the job row at most every ``FLUSH_SECONDS``."""

    def __init__(
        self, sessions: sessionmaker[Session], job_id: int, echo: Callable[[str], None] | None
    ) -> None:
        self.sessions, self.job_id, self.echo = sessions, job_id, echo
        self.lines: list[str] = []
        self.t0 = time.monotonic()
        self._flushed = 0.0

    def __call__(self, message: str, *, flush: bool = True) -> None:
        """Add a line; write the log to the job row if ``FLUSH_SECONDS`` have passed.

        ``flush=False`` inside a transaction that holds the job row: a flush opens a second
        session on the same row, which waits for the first (SQLite: "database is locked" after
        the busy timeout; PostgreSQL: waits forever on the row lock).
        """
        line = f"[{time.monotonic() - self.t0:6.1f}s] {message}"
        self.lines.append(line)
        if self.echo is not None:
            self.echo(line)
        if flush and time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self.flush()

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def flush(self) -> None:
        self._flushed = time.monotonic()
        with self.sessions.begin() as s:
            job = s.get(RetrainJob, self.job_id)
            if job is not None and job.state in JOB_ACTIVE_STATES:
                job.log = self.text[-repo.MAX_LOG_CHARS :]


def _claim(sessions: sessionmaker[Session], job_id: int) -> bool:
    """Mark the job running in this process; return its ``force`` flag."""
    with sessions.begin() as s:
        job = repo.get_job(s, job_id)
        if job.state == "queued":
            repo.start_job(s, job_id, pid=os.getpid())
        elif job.state != "running":
            raise Conflict(f"retrain job {job_id} is {job.state}; it cannot run")
        elif job.pid not in (None, os.getpid()) and repo.pid_alive(job.pid):
            raise Conflict(f"retrain job {job_id} is running in process {job.pid}")
        elif job.pid is None:
            job.pid = os.getpid()
        return bool(job.force)


def _clean_tmp(model_dir: Path) -> list[str]:
    """Remove half-written versions a killed job left behind (only one job runs at a time)."""
    removed = []
    for p in model_dir.iterdir() if model_dir.is_dir() else ():
        if p.is_dir() and _TMP_DIR.fullmatch(p.name):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    return removed


def _unique_version(model_dir: Path) -> str:
    base = version = new_version()
    i = 1
    while (model_dir / version).exists():
        version, i = f"{base}-{i}", i + 1
    return version


def _parent(model_dir: Path) -> tuple[str | None, set[int]]:
    """The active version and the case ids it has seen (trained on or kept out near the gate)."""
    try:
        version = active_version(model_dir)
        meta = json.loads((model_dir / version / "meta.json").read_text(encoding="utf-8"))
    except (ModelError, OSError, ValueError):
        return None, set()
    cases = meta.get("cases") or {}
    return version, {int(i) for i in [*cases.get("trained", []), *cases.get("near_gate", [])]}


def _accepted(sessions: sessionmaker[Session]) -> list[Row]:
    with sessions() as s:
        return [
            Row(f"case-{c.id}", c.text, c.label, "case", c.source or "cases", {"case_id": c.id})
            for c in repo.accepted_cases(s)
        ]


def run_job(
    job_id: int,
    sessions: sessionmaker[Session],
    *,
    model_dir: str | Path,
    config: dict | None = None,
    config_path: str | Path | None = None,
    overrides: list[str] | None = None,
    echo: Callable[[str], None] | None = print,
) -> dict:
    """Run retrain job ``job_id`` in this process and record its outcome.

    Parameters
    ----------
    job_id : int
        A queued job (or one already marked running with this process's pid).
    sessions : sessionmaker
        The store.
    model_dir : path
        Where versions live; overrides ``[output] model_dir``.
    config, config_path, overrides
        The training configuration, or the file and ``section.key=value`` overrides to read.
    echo : callable, optional
        Where progress lines go besides the job row.

    Returns
    -------
    dict
        The outcome stored in the job: ``decision`` (promoted, forced or rejected), ``reason``,
        the gate figures, the cases used, timings.
    """
    model_dir = Path(model_dir).resolve()  # train() would read a relative one from the repository root
    log = JobLog(sessions, job_id, echo)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    force = _claim(sessions, job_id)  # before the try: a job this process did not claim is not ours to fail
    try:
        log(f"retrain job {job_id} running in process {os.getpid()}" + (" (force)" if force else ""))
        if config is None:
            config = load_config(config_path, overrides)
        cfg = copy.deepcopy(config)
        cfg["output"]["model_dir"] = str(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        for name in _clean_tmp(model_dir):
            log(f"removed {name}, left half-written by an earlier job")
        with sessions.begin() as s:
            sync_registry(s, model_dir)
        parent, seen = _parent(model_dir)
        log(f"active model: {parent or 'none'}")

        cases = _accepted(sessions)
        gate_rows = load_gate_rows(cfg)
        kept, near = remove_near_gate(cases, gate_rows, float(cfg["split"]["near_duplicate_threshold"]))
        new = [r for r in cases if r.meta["case_id"] not in seen]
        log(
            f"{len(cases)} accepted cases ({len(new)} new since {parent or 'no model'}); "
            f"{len(near)} left out as near-copies of the gate set ({len(gate_rows)} rows)"
        )
        timings["load_s"] = round(time.perf_counter() - t0, 1)

        t = time.perf_counter()
        version = _unique_version(model_dir)
        extra = {
            "parent": parent,
            "retrain_job": job_id,
            "cases": {
                "accepted": len(cases),
                "trained": sorted(r.meta["case_id"] for r in kept),
                "near_gate": sorted(r.meta["case_id"] for r in near),
            },
        }
        path, meta = train(cfg, activate=False, version=version, log=log, extra_rows=kept, meta_extra=extra)
        timings["train_s"] = round(time.perf_counter() - t, 1)

        t = time.perf_counter()
        log(f"gate: scoring {version} and {parent or 'no active model'} on {len(gate_rows)} gate rows")
        candidate = load_bundle(model_dir, version)
        cand_fig = gate_figures(candidate, gate_rows)
        new_cand = case_results(candidate, new)
        act_fig = new_act = None
        if parent is not None:
            active = load_bundle(model_dir, parent)
            act_fig = gate_figures(active, gate_rows)
            new_act = case_results(active, new)
            del active
        tol = Tolerances.from_config(cfg)
        verdict = decide(act_fig, cand_fig, new_cand, tol, force=force)
        timings["gate_s"] = round(time.perf_counter() - t, 1)
        log(f"gate: {verdict['decision']}: {verdict['reason']}")

        timings["total_s"] = round(time.perf_counter() - t0, 1)
        outcome = {
            "decision": verdict["decision"],
            "promoted": verdict["promote"],
            "forced": force,
            "gate_passed": verdict["gate_passed"],
            "reason": verdict["reason"],
            "candidate_version": version,
            "parent_version": parent,
            "gate": {
                "set": {
                    "n": len(gate_rows),
                    "by_origin": {
                        o: sum(r.origin == o for r in gate_rows)
                        for o in sorted({r.origin for r in gate_rows})
                    },
                },
                "tolerances": asdict(tol),
                "checks": verdict["checks"],
                "candidate": cand_fig,
                "active": act_fig,
                "new_cases": {"candidate": new_cand, "active": new_act},
            },
            "cases": {"accepted": len(cases), "new": len(new), "trained": len(kept), "near_gate": len(near)},
            "metrics": summary_metrics(meta),
            "timings": timings,
        }
        meta_gate = dict(
            meta, gate={"f1": cand_fig["f1"], "fpr": cand_fig["fpr"], "recall": cand_fig["recall"]}
        )
        promoted_by = f"retrain job {job_id}" + (" (forced)" if force else "")
        with sessions.begin() as s:
            job = s.get(RetrainJob, job_id, with_for_update=True)
            if job is None or job.state not in JOB_ACTIVE_STATES:
                raise Conflict(
                    f"retrain job {job_id} was closed while it ran ({job.state if job else 'deleted'})"
                )
            register_meta(
                s,
                meta_gate,
                status="candidate" if verdict["promote"] else "rejected",
                note=verdict["reason"][:2000],
            )
            sync_registry(s, model_dir)
            if verdict["promote"]:
                repo.set_active_model(s, version, promoted_by=promoted_by, note=verdict["reason"][:2000])
                # The file is what the workers watch; should the commit below fail, the next
                # sync_registry makes the table follow it.
                set_active(model_dir, version)
            # the job row is locked by this transaction: the line is saved by finish_job below
            log(
                f"{'promoted' if verdict['promote'] else 'kept'} {version} in {timings['total_s']} s",
                flush=False,
            )
            repo.finish_job(
                s,
                job_id,
                "succeeded" if verdict["promote"] else "rejected",
                outcome,
                log.text,
                candidate_version=version,
            )
        return outcome
    except BaseException as exc:
        timings["total_s"] = round(time.perf_counter() - t0, 1)
        log(f"failed: {type(exc).__name__}: {exc}")
        tail = "".join(traceback.format_exception(exc))[-4000:]
        try:
            with sessions.begin() as s:
                job = s.get(RetrainJob, job_id)
                if job is not None and job.state in JOB_ACTIVE_STATES:
                    repo.finish_job(
                        s,
                        job_id,
                        "failed",
                        {"error": f"{type(exc).__name__}: {exc}", "traceback": tail, "timings": timings},
                        log.text,
                    )
        except Exception:  # the database itself failed: stale-job detection will close the job
            pass
        raise


def launch(
    job_id: int, *, database_url: str, model_dir: str | Path, config_path: str | Path | None = None
) -> subprocess.Popen:
    """Start ``python -m training.retrain --job ID`` in its own session and reap it when it ends.

    The child's own output (a crash before it can write to the database) goes to
    ``<model_dir>/.jobs/job-<id>.log``. The database URL travels in the environment, not on
    the command line, where any user could read its password.
    """
    model_dir = Path(model_dir)
    logs = model_dir / ".jobs"
    logs.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "training.retrain", "--job", str(job_id), "--model-dir", str(model_dir)]
    if config_path:
        cmd += ["--config", str(config_path)]
    env = dict(os.environ, CANHGIAC_DATABASE_URL=database_url)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    with open(logs / f"job-{job_id}.log", "ab") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a signal to the server's process group does not reach it
        )
    threading.Thread(target=proc.wait, name=f"reap-retrain-{job_id}", daemon=True).start()
    return proc


def request_retrain(
    sessions: sessionmaker[Session],
    *,
    requested_by: str,
    force: bool,
    database_url: str,
    model_dir: str | Path,
    config_path: str | Path | None = None,
) -> int:
    """Queue a job and start its process; return the job id.

    Raises
    ------
    JobAlreadyRunning
        Another job is queued or running (after failing those whose process is gone).
    """
    with sessions.begin() as s:
        repo.fail_stale_jobs(s)
        job_id = repo.create_job(s, requested_by=requested_by, force=force).id
    try:
        proc = launch(job_id, database_url=database_url, model_dir=model_dir, config_path=config_path)
    except Exception as exc:
        with sessions.begin() as s:
            repo.finish_job(
                s, job_id, "failed", {"error": f"could not start the job: {type(exc).__name__}: {exc}"}
            )
        raise
    try:
        with sessions.begin() as s:
            repo.start_job(s, job_id, pid=proc.pid)
    except Conflict:
        pass  # the child marked itself running (or already finished) first
    return job_id


def main(argv: list[str] | None = None) -> int:
    """``python -m training.retrain --job ID --model-dir DIR [--config FILE] [--set k=v]``."""
    ap = argparse.ArgumentParser(prog="python -m training.retrain", description=__doc__.splitlines()[0])
    ap.add_argument("--job", type=int, required=True, help="The queued retrain job to run.")
    ap.add_argument("--model-dir", required=True, help="Folder with model versions and ACTIVE.")
    ap.add_argument("--config", default=None, help="Training config (default: training/config.toml).")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="section.key=value")
    args = ap.parse_args(argv)

    from app.settings import load_settings
    from app.store import make_engine, session_factory

    # SIGTERM (a stop, a timeout) closes the job as failed instead of leaving it to stale detection
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    engine = make_engine(load_settings().database_url)
    try:
        outcome = run_job(
            args.job,
            session_factory(engine),
            model_dir=args.model_dir,
            config_path=args.config,
            overrides=args.overrides,
        )
    except Exception:
        return 2
    finally:
        engine.dispose()
    return 0 if outcome["promoted"] else 1


if __name__ == "__main__":
    sys.exit(main())
