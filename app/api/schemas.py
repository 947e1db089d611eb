"""Request and response bodies, in families (``...In`` what a client sends, ``...Public`` what it gets)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "Advice",
    "BatchIn",
    "BatchItemIn",
    "BatchPublic",
    "BatchVerdictPublic",
    "CaseDuplicate",
    "CaseError",
    "CaseIn",
    "CasePublic",
    "CaseUpdate",
    "CasesCreated",
    "CasesIn",
    "CasesPublic",
    "Channel",
    "Entity",
    "EntitiesPublic",
    "EntityCheckIn",
    "EntityCheckPublic",
    "EntityChecksPublic",
    "EntityIn",
    "EntityPatchIn",
    "EntityPublic",
    "FeedbackCreated",
    "FeedbackIn",
    "JobPublic",
    "ModelMetrics",
    "ModelVersionPublic",
    "ModelVersionsPublic",
    "RetrainAccepted",
    "RetrainIn",
    "Explanation",
    "HealthPublic",
    "LabelPublic",
    "LabelsPublic",
    "Localized",
    "MessageIn",
    "ModelPublic",
    "PatternPublic",
    "PatternsPublic",
    "Problem",
    "ReadyPublic",
    "StatsPublic",
    "VerdictPublic",
    "WhoAmIPublic",
]

Channel = Literal["sms", "zalo", "facebook", "telegram", "whatsapp", "email", "call", "other"]


def _valid_unicode(value: str) -> str:
    # JSON may spell a lone surrogate as "\ud800"; such a string cannot be encoded as UTF-8, so
    # it is refused here rather than failing later while writing the response.
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise PydanticCustomError(
            "invalid_text", "contains a lone surrogate (\\ud800-\\udfff), which is not valid Unicode"
        )
    return value


# "Blank" is spelled out as JSON Schema's (ECMAScript's) \s, so the documented pattern and the
# check below agree on every character (Python's str.isspace differs on a few).
BLANK = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_BLANK_CHARS = frozenset("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {
    chr(c) for c in range(0x2000, 0x200B)
}
NOT_BLANK_PATTERN = f"[^{BLANK.encode('unicode_escape').decode().replace(chr(92) * 2, chr(92))}]"


def _non_empty(value: str) -> str:
    if all(ch in _BLANK_CHARS for ch in value):
        raise PydanticCustomError("empty_text", "the message text is empty or only whitespace")
    return value


UnicodeStr = Annotated[str, AfterValidator(_valid_unicode)]
_TEXT_DOC = "The message exactly as received (at most CANHGIAC_MAX_TEXT_CHARS characters)."
MessageText = Annotated[
    str,
    AfterValidator(_valid_unicode),
    AfterValidator(_non_empty),
    # maxLength is added to /openapi.json from the server's settings (see app.api.main)
    WithJsonSchema(
        {"type": "string", "minLength": 1, "pattern": NOT_BLANK_PATTERN, "description": _TEXT_DOC}
    ),
]
ItemId = Annotated[
    StrictStr | StrictInt,  # strict: true or 1.5 is not an id
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "minLength": 1, "maxLength": 200}, {"type": "integer"}],
            "description": "Your id for this message; it is echoed with its result.",
        }
    ),
]


# --- requests -----------------------------------------------------------------------------------
class MessageIn(BaseModel):
    """One message to check."""

    model_config = ConfigDict(extra="forbid")

    text: MessageText
    channel: Channel | None = Field(None, description="Where the message arrived.")
    sender: UnicodeStr | None = Field(
        None, max_length=200, description="Sender as shown (number, name, handle); not logged."
    )


class BatchItemIn(MessageIn):
    """One message of a batch, with the caller's id to match results."""

    id: ItemId

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str | int) -> str | int:
        if isinstance(v, str):
            if not 1 <= len(v) <= 200:
                raise PydanticCustomError("invalid_id", "the id must have 1 to 200 characters")
            _valid_unicode(v)
        return v


class BatchIn(BaseModel):
    """Many messages to check at once (at most CANHGIAC_MAX_BATCH)."""

    model_config = ConfigDict(extra="forbid")

    messages: list[BatchItemIn] = Field(min_length=1, description="The messages, answered in this order.")


# --- verdicts -----------------------------------------------------------------------------------
class Localized(BaseModel):
    """A text in Vietnamese and English."""

    vi: str
    en: str


class Advice(BaseModel):
    """What the person should do now, in Vietnamese and English."""

    vi: list[str]
    en: list[str]


class Entity(BaseModel):
    """Something found in the text (URL, phone, account, money...), with its span in the original."""

    model_config = ConfigDict(extra="allow")

    kind: str
    start: int
    end: int
    text: str
    value: str | None = None


class Explanation(BaseModel):
    """Why: matched patterns, red flags and influential words, each with spans, and a summary."""

    model_config = ConfigDict(extra="allow")

    summary: str
    summary_en: str
    patterns: list[dict[str, Any]] = []
    red_flags: list[dict[str, Any]] = []
    top_terms: list[dict[str, Any]] = []
    similar_known_scams: list[dict[str, Any]] = []


class _Verdict(BaseModel):
    model_config = ConfigDict(extra="allow")

    verdict: Literal["scam", "suspicious", "spam", "safe"] = Field(
        description="scam, suspicious (check before acting), spam (unwanted, not fraud) or safe."
    )
    label: str = Field(description="The scam type when the verdict is scam, else spam or legit.")
    label_name: Localized
    is_scam: bool
    risk_score: float = Field(ge=0, le=1, description="Probability that the message is any scam.")
    scam_type: str = Field(description="The likeliest scam type, whatever the verdict.")
    probabilities: dict[str, float]
    model_version: str
    entities: list[Entity]
    explanation: Explanation | None = None
    advice: Advice | None = None


class VerdictPublic(_Verdict):
    """The verdict on one message."""

    request_id: str


class BatchVerdictPublic(_Verdict):
    """The verdict on one message of a batch, with its id."""

    id: str | int


class BatchPublic(BaseModel):
    """Verdicts in the order of the request's messages."""

    data: list[BatchVerdictPublic]
    count: int
    model_version: str
    request_id: str


# --- suspicious entities and statistics ---------------------------------------------------------
EntityKind = Literal["bank_account", "ewallet", "phone", "domain", "url", "handle"]
EntityValue = Annotated[str, AfterValidator(_valid_unicode), Field(min_length=1, max_length=300)]


class EntityEvidence(BaseModel):
    """How many reported messages and accepted cases named the entity."""

    messages: int
    cases: int


class EntityCheckIn(BaseModel):
    """Values to look up: phone numbers, accounts (with the bank's name), links, domains, handles."""

    model_config = ConfigDict(extra="forbid")

    values: list[EntityValue] = Field(min_length=1, description="At most CANHGIAC_MAX_BATCH values.")


class EntityCheckPublic(BaseModel):
    """What the list knows of one value; ``known`` is false for unlisted and cleared values."""

    value: str
    kind: str | None = Field(description="The kind the value was read as (null when it is none).")
    normalized: str | None = Field(description="The value as the list keeps it (E.164, VCB:digits, host).")
    known: bool
    status: Literal["reported", "confirmed", "cleared"] | None
    evidence: EntityEvidence
    source: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    id: int | None = Field(None, description="The listed entity that matched.")
    listed: str | None = Field(None, description="What is listed: a domain above a link, the bank's account.")
    error: str | None = Field(None, description="Why the value could not be read (batch look-ups only).")


class EntityChecksPublic(BaseModel):
    """One result per value, in the order asked."""

    results: list[EntityCheckPublic]


class EntityIn(BaseModel):
    """Report (or confirm) a scam account, number, link, domain or handle."""

    model_config = ConfigDict(extra="forbid")

    kind: EntityKind | None = Field(None, description="Guessed from the value when left out.")
    value: EntityValue
    bank: str | None = Field(None, max_length=80, description="Bank or e-wallet, when the value omits it.")
    status: Literal["reported", "confirmed"] | None = None
    reason: str | None = Field(None, max_length=2000)
    source: str | None = Field(None, max_length=120)


class EntityPatchIn(BaseModel):
    """Confirm a reported entity, or clear a false report (a reason is then required)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["cleared", "confirmed", "reported"]
    reason: str | None = Field(None, max_length=2000)


class EntityPublic(BaseModel):
    """A listed entity with its status and evidence."""

    id: int
    kind: str
    value: str
    display: str
    status: str
    source: str | None
    reporter: str | None
    reason: str | None
    evidence: EntityEvidence
    first_seen: datetime
    last_seen: datetime
    confirmed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EntitiesPublic(BaseModel):
    """One page of listed entities, and how many match in all."""

    data: list[EntityPublic]
    count: int


class StatRow(BaseModel):
    """How many messages got this label and verdict on this day through this channel."""

    day: date
    label: str
    verdict: str
    channel: str
    count: int


class StatsPublic(BaseModel):
    """Counts of the verdicts the service made in a period (never any text)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    total: int
    by_day: list[StatRow]
    by_label: dict[str, int]
    by_verdict: dict[str, int]


# --- reference data -----------------------------------------------------------------------------
class LabelPublic(BaseModel):
    """One label of the taxonomy."""

    id: str
    is_scam: bool
    name: Localized
    description: Localized
    advice: Advice


class LabelsPublic(BaseModel):
    """Every label (scam types first), and where to report a scam."""

    data: list[LabelPublic]
    count: int
    report: dict[str, list[str]]


class PatternPublic(BaseModel):
    """One pattern of the scam-pattern library."""

    id: str
    label: str
    weight: float
    name: Localized
    description: Localized
    file: str | None = None
    is_meta: bool = False
    is_sub: bool = False
    examples: list[str] = []
    counter_examples: list[str] = []


class PatternsPublic(BaseModel):
    """The pattern library; empty with a note while it is not installed."""

    data: list[PatternPublic]
    count: int
    content_hash: str | None = None
    note: str | None = None


class ModelPublic(BaseModel):
    """The active model: version, decision thresholds, and a summary of its evaluation."""

    version: str
    created: str | None = None
    classes: list[str]
    scam_labels: list[str]
    thresholds: dict[str, float]
    metrics: dict[str, Any] = Field(description="Per split and subset: precision, recall, F1, FPR...")
    metrics_note: str | None = None
    runtime: dict[str, str] = {}


class HealthPublic(BaseModel):
    """The process is alive."""

    status: Literal["ok"] = "ok"


class ReadyPublic(BaseModel):
    """The service can answer: the model is loaded and the database answers."""

    status: Literal["ready"] = "ready"
    model_version: str
    checks: dict[str, str]


class WhoAmIPublic(BaseModel):
    """The role of the key that made the request."""

    role: str


class Problem(BaseModel):
    """An error (RFC 9457 problem details); branch on ``type``, show ``detail`` to a person."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://canhgiac.vn/problems/text-too-long"])
    title: str
    status: int
    detail: str
    field: str | None = None
    limit: int | None = None
    request_id: str | None = None


# --- cases and feedback ---------------------------------------------------------------------------
CaseStatus = Literal["proposed", "accepted", "rejected"]
LabelId = Annotated[str, Field(min_length=1, max_length=40, description="A label id (see GET /v1/labels).")]


class CaseIn(BaseModel):
    """One labeled message to keep as a case (checked against the taxonomy)."""

    model_config = ConfigDict(extra="forbid")

    text: MessageText = Field(description=_TEXT_DOC)
    label: LabelId
    channel: Channel | None = Field(None, description="Where the message arrived.")
    source: UnicodeStr | None = Field(None, max_length=120, description="Where the case comes from.")


class CasesIn(BaseModel):
    """Many cases at once (at most CANHGIAC_MAX_BATCH)."""

    model_config = ConfigDict(extra="forbid")

    cases: list[CaseIn] = Field(min_length=1)


class CaseDuplicate(BaseModel):
    """An item that is already a case (or repeats an earlier item): nothing was stored for it."""

    index: int
    existing_id: int


class CaseError(BaseModel):
    """An item that was refused, with the field at fault."""

    index: int
    field: str
    message: str


class CasesCreated(BaseModel):
    """What happened to each item: stored (``ids``, in order), duplicate, or refused."""

    ids: list[int]
    duplicates: list[CaseDuplicate]
    errors: list[CaseError]


class CaseUpdate(BaseModel):
    """A review: accept, reject or send back to proposed, relabel, and/or annotate."""

    model_config = ConfigDict(extra="forbid")

    status: CaseStatus | None = None
    label: LabelId | None = None
    note: UnicodeStr | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _something(self) -> CaseUpdate:
        if self.status is None and self.label is None and self.note is None:
            raise PydanticCustomError("empty_update", "give at least one of status, label, note")
        return self


class CasePublic(BaseModel):
    """A stored case."""

    id: int
    text: str
    label: str | None
    channel: str | None
    source: str | None
    status: CaseStatus
    created_by: str
    created_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    note: str | None


class CasesPublic(BaseModel):
    """One page of cases, newest first, and how many match in all."""

    data: list[CasePublic]
    count: int


class FeedbackIn(BaseModel):
    """What a person says about a verdict; with ``text``, the message becomes a proposed case."""

    model_config = ConfigDict(extra="forbid")

    text: MessageText | None = Field(None, description="The message (shared with the reviewers).")
    fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        None, description="Instead of the text: its fingerprint, when the text may not be shared."
    )
    predicted_label: LabelId
    verdict: Literal["wrong", "correct"]
    correct_label: LabelId | None = None
    model_version: UnicodeStr | None = Field(None, max_length=80)
    comment: UnicodeStr | None = Field(None, max_length=2000)


class FeedbackCreated(BaseModel):
    """The stored feedback and the case it created or found (None without text)."""

    id: int
    case_id: int | None


# --- models and retraining ------------------------------------------------------------------------
class ModelMetrics(BaseModel):
    """Headline figures: recall and legit false-positive rate on real test rows, held-out recall, F1."""

    real_recall: float | None = None
    real_legit_fpr: float | None = None
    heldout_recall: float | None = None
    binary_f1: float | None = None


class ModelVersionPublic(BaseModel):
    """A trained model version in the registry; ``active`` is the one being served."""

    version: str
    created_at: datetime
    status: Literal["candidate", "active", "retired", "rejected"]
    active: bool
    thresholds: dict[str, float]
    metrics: ModelMetrics
    promoted_by: str | None
    promoted_at: datetime | None
    parent: str | None


class ModelVersionsPublic(BaseModel):
    """Every registered version, newest first."""

    data: list[ModelVersionPublic]
    count: int


class RetrainIn(BaseModel):
    """Start a retrain; ``force`` promotes the candidate even if the gate rejects it."""

    model_config = ConfigDict(extra="forbid")

    force: bool = False


class RetrainAccepted(BaseModel):
    """The job that was started; follow it at GET /v1/jobs/{job_id}."""

    job_id: int


class JobPublic(BaseModel):
    """A retrain job: state (queued, running, succeeded, failed, rejected), outcome, last log lines."""

    id: int
    state: Literal["queued", "running", "succeeded", "failed", "rejected"]
    requested_by: str
    force: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    outcome: dict[str, Any] | None
    candidate_version: str | None
    log_tail: str | None
