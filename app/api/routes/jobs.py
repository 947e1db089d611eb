"""``/v1/jobs``: follow a retrain job."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.store import repo

from ..deps import AdminKey, SessionDep
from ..errors import problem_responses
from ..schemas import JobPublic

router = APIRouter(
    prefix="/v1/jobs", tags=["models"], responses=problem_responses(401, 403, 404, 429, 500, 503)
)

LOG_TAIL_LINES = 40


def job_public(job: Any) -> dict:
    tail = None
    if job.log:
        tail = "\n".join(job.log.rstrip("\n").splitlines()[-LOG_TAIL_LINES:])
    return {
        "id": job.id,
        "state": job.state,
        "requested_by": job.requested_by,
        "force": job.force,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "outcome": job.outcome,
        "candidate_version": job.candidate_version,
        "log_tail": tail,
    }


@router.get("/{job_id}", response_model=JobPublic)
def read_job(job_id: int, session: SessionDep, _key: AdminKey) -> dict:
    """State, timings, outcome (every gate figure and the reason) and the last log lines of a job."""
    job = repo.get_job(session, job_id)
    if job.state == "running" and (job.pid is None or not repo.pid_alive(job.pid)):
        # its process died without a word (killed, out of memory): say so now, not at the next start-up
        repo.fail_stale_jobs(session)
        session.commit()
        job = repo.get_job(session, job_id)
    return job_public(job)
