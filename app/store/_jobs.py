"""Retrain jobs: at most one queued or running, enforced by the database."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._common import check_choice, check_text
from .errors import Conflict, JobAlreadyRunning, NotFound
from .models import JOB_ACTIVE_STATES, RetrainJob, utcnow

__all__ = [
    "MAX_LOG_CHARS",
    "create_job",
    "current_job",
    "get_job",
    "list_jobs",
    "start_job",
    "finish_job",
    "fail_stale_jobs",
    "pid_alive",
]

MAX_LOG_CHARS = 200_000  # the tail of a log is where the error is
_FINAL_STATES = ("succeeded", "failed", "rejected")


def current_job(session: Session) -> RetrainJob | None:
    """The queued or running job, if any."""
    return session.scalar(select(RetrainJob).where(RetrainJob.state.in_(JOB_ACTIVE_STATES)))


def create_job(session: Session, *, requested_by: str, force: bool = False) -> RetrainJob:
    """Queue a retrain.

    Two concurrent calls cannot both succeed: the partial unique index on queued-or-running
    jobs refuses the second insert (on PostgreSQL after the first commits), and the loser is
    told which job won.

    Raises
    ------
    JobAlreadyRunning
        A job is queued or running; ``job_id`` names it.
    """
    requested_by = check_text("requested_by", requested_by, 120)
    for _ in range(3):
        active = current_job(session)
        if active is not None:
            raise JobAlreadyRunning(active.id)
        job = RetrainJob(requested_by=requested_by, force=bool(force), state="queued")
        try:
            with session.begin_nested():
                session.add(job)
            return job
        except IntegrityError:
            continue  # another request won between our check and insert; name it
    raise Conflict("could not queue a retrain job: the queue kept changing; try again")


def get_job(session: Session, job_id: int) -> RetrainJob:
    """The job with this id; raises :class:`NotFound`."""
    job = session.get(RetrainJob, job_id)
    if job is None:
        raise NotFound("retrain job", job_id)
    return job


def list_jobs(session: Session, limit: int = 20) -> list[RetrainJob]:
    """The latest jobs, newest first."""
    return list(session.scalars(select(RetrainJob).order_by(RetrainJob.id.desc()).limit(limit)))


def start_job(session: Session, job_id: int, *, pid: int) -> RetrainJob:
    """Mark a queued job running in process ``pid``; raises :class:`Conflict` if not queued."""
    job = session.get(RetrainJob, job_id, with_for_update=True)
    if job is None:
        raise NotFound("retrain job", job_id)
    if job.state != "queued":
        raise Conflict(f"retrain job {job_id} is {job.state}, not queued: it cannot start")
    job.state, job.pid, job.started_at = "running", int(pid), utcnow()
    session.flush()
    return job


def finish_job(
    session: Session,
    job_id: int,
    state: str,
    outcome: dict[str, Any] | None = None,
    log: str | None = None,
    *,
    candidate_version: str | None = None,
) -> RetrainJob:
    """Close a job as ``succeeded``, ``failed`` or ``rejected`` (its candidate failed the gate).

    ``log`` keeps its last :data:`MAX_LOG_CHARS` characters.

    Raises
    ------
    Conflict
        The job has finished already.
    """
    check_choice("state", state, _FINAL_STATES)
    job = session.get(RetrainJob, job_id, with_for_update=True)
    if job is None:
        raise NotFound("retrain job", job_id)
    if job.state not in JOB_ACTIVE_STATES:
        raise Conflict(f"retrain job {job_id} has finished already ({job.state})")
    job.state, job.finished_at = state, utcnow()
    if outcome is not None:
        job.outcome = outcome
    if log is not None:
        job.log = log[-MAX_LOG_CHARS:]
    if candidate_version is not None:
        job.candidate_version = check_text("candidate_version", candidate_version, 80)
    session.flush()
    return job


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): trust kill()
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def fail_stale_jobs(
    session: Session,
    *,
    is_alive: Callable[[int], bool] = pid_alive,
    queued_for: timedelta | None = None,
) -> list[int]:
    """Fail running jobs whose process is gone (and queued ones older than ``queued_for``).

    Call it at start-up and before queueing, so a crashed retrain does not block the next one
    forever. Pids are of this machine: run retrains on the host that runs this check.

    Returns
    -------
    list[int]
        Ids of the jobs marked failed.
    """
    failed = []
    now = utcnow()
    jobs = session.scalars(
        select(RetrainJob).where(RetrainJob.state.in_(JOB_ACTIVE_STATES)).with_for_update()
    ).all()
    for job in jobs:
        if job.state == "running" and (job.pid is None or not is_alive(job.pid)):
            reason = f"process {job.pid} ended without reporting an outcome"
        elif job.state == "queued" and queued_for is not None and now - job.created_at > queued_for:
            reason = f"queued for more than {queued_for} without starting"
        else:
            continue
        job.state, job.finished_at = "failed", now
        job.outcome = {**(job.outcome or {}), "error": reason}
        failed.append(job.id)
    session.flush()
    return failed
