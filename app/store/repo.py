"""Every read and write of the store: plain functions that take a Session; the caller commits."""

from ._cases import (
    MAX_TEXT_CHARS,
    AddCasesResult,
    accepted_cases,
    add_cases,
    add_feedback,
    get_case,
    list_cases,
    update_case,
)
from ._entities import (
    all_entities_for_index,
    get_entity,
    get_entity_by_id,
    list_entities,
    set_entity_status,
    upsert_entity,
)
from ._jobs import (
    MAX_LOG_CHARS,
    create_job,
    current_job,
    fail_stale_jobs,
    finish_job,
    get_job,
    list_jobs,
    pid_alive,
    start_job,
)
from ._registry import (
    get_active_model,
    get_model,
    list_models,
    register_model,
    set_active_model,
    set_model_status,
)
from ._stats import increment_stats, stats_between

__all__ = [
    "MAX_LOG_CHARS",
    "MAX_TEXT_CHARS",
    "AddCasesResult",
    "accepted_cases",
    "add_cases",
    "add_feedback",
    "all_entities_for_index",
    "create_job",
    "current_job",
    "fail_stale_jobs",
    "finish_job",
    "get_active_model",
    "get_case",
    "get_entity",
    "get_entity_by_id",
    "get_job",
    "get_model",
    "increment_stats",
    "list_cases",
    "list_entities",
    "list_jobs",
    "list_models",
    "pid_alive",
    "register_model",
    "set_active_model",
    "set_entity_status",
    "set_model_status",
    "start_job",
    "stats_between",
    "update_case",
    "upsert_entity",
]
