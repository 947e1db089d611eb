"""The list's say in a verdict: a message naming a listed entity gets a red flag and more risk."""

from __future__ import annotations

from typing import Protocol

from ._index import Match

__all__ = ["apply_to_verdict", "list_hits", "CONFIRMED_RISK", "REPORTED_BOOST"]

CONFIRMED_RISK = 0.9  # a confirmed scam account, number or site: at least this risk
REPORTED_BOOST = 0.15  # reported, not yet confirmed: weaker evidence, added once

_NOUN = {
    "url": ("Đường link", "The link"),
    "phone": ("Số điện thoại", "The phone number"),
    "bank_account": ("Số tài khoản", "The account number"),
    "handle": ("Tài khoản", "The handle"),
}
_STATUS = {
    "confirmed": ("đã được xác nhận là của kẻ lừa đảo", "is confirmed as a scammer's"),
    "reported": ("đã bị báo cáo là lừa đảo (chưa xác nhận)", "was reported as a scam (not yet confirmed)"),
}


class _Index(Protocol):
    def match_entity(self, entity: dict) -> Match | None: ...


def list_hits(verdict: dict, index: _Index) -> list[tuple[dict, Match]]:
    """The message's entities that match a listing which is not cleared."""
    out = []
    for e in verdict.get("entities", ()):
        m = index.match_entity(e)
        if m is not None and m.known:
            out.append((e, m))
    return out


def _evidence_text(m: Match) -> tuple[str, str]:
    vi, en = [], []
    if m.messages:
        vi.append(f"{m.messages} tin nhắn bị báo cáo")
        en.append(f"{m.messages} reported message{'s' if m.messages > 1 else ''}")
    if m.cases:
        vi.append(f"{m.cases} vụ lừa đảo đã xác minh")
        en.append(f"{m.cases} verified scam case{'s' if m.cases > 1 else ''}")
    if m.source:
        vi.append(f"nguồn {m.source}")
        en.append(f"source {m.source}")
    vi.append(f"từ {m.first_seen:%d/%m/%Y}")
    en.append(f"since {m.first_seen:%Y-%m-%d}")
    return "; ".join(vi), "; ".join(en)


def _flag(e: dict, m: Match) -> dict:
    noun_vi, noun_en = _NOUN.get(e["kind"], ("Thông tin", "The value"))
    st_vi, st_en = _STATUS[m.status]
    ev_vi, ev_en = _evidence_text(m)
    listed = "" if m.listed == e.get("value") else f" ({m.listed})"
    return {
        "kind": "listed_entity",
        "value": e.get("text", ""),
        "reason": f"{noun_vi} {e.get('text', '')}{listed} {st_vi} — {ev_vi}",
        "reason_en": f"{noun_en} {e.get('text', '')}{listed} {st_en} — {ev_en}",
        "start": e.get("start"),
        "end": e.get("end"),
        "status": m.status,
        "entity_id": m.id,
    }


def _public(e: dict, m: Match) -> dict:
    return {
        "id": m.id,
        "kind": m.kind,
        "listed": m.listed,
        "status": m.status,
        "text": e.get("text", ""),
        "start": e.get("start"),
        "end": e.get("end"),
        "evidence": {"messages": m.messages, "cases": m.cases},
        "source": m.source,
        "first_seen": m.first_seen.isoformat(),
        "last_seen": m.last_seen.isoformat(),
    }


def _redecide(verdict: dict, thresholds: dict) -> None:
    """The verdict fields again from the raised risk, with the thresholds ``decide`` uses."""
    risk = verdict["risk_score"]
    probs = verdict.get("probabilities", {})
    benign = "spam" if probs.get("spam", 0.0) > probs.get("legit", 0.0) else "legit"
    if risk >= thresholds["scam"]:
        verdict["verdict"], verdict["label"] = "scam", verdict["scam_type"]
    elif risk >= thresholds["suspicious"]:
        verdict["verdict"], verdict["label"] = "suspicious", benign
    else:
        return  # the risk only rises: below both thresholds nothing changes
    verdict["is_scam"] = verdict["verdict"] == "scam"


def apply_to_verdict(verdict: dict, index: _Index | None, thresholds: dict) -> list[tuple[dict, Match]]:
    """Let the suspicious-entity list raise a verdict's risk and name its evidence (in place).

    A confirmed listing lifts the risk to at least :data:`CONFIRMED_RISK`; reported ones add
    :data:`REPORTED_BOOST` once. ``verdict``, ``label`` and ``is_scam`` are decided again from
    the new risk with the model's thresholds (``is_scam`` exactly when the verdict is scam);
    each hit becomes a red flag naming the entity, its status and evidence, first in the
    list, and the summary and advice follow the new verdict. Returns the hits.
    """
    if index is None:
        return []
    hits = list_hits(verdict, index)
    if not hits:
        return hits
    risk = float(verdict["risk_score"])
    if any(m.status == "confirmed" for _, m in hits):
        risk = max(risk, CONFIRMED_RISK)
    else:
        risk = min(1.0, risk + REPORTED_BOOST)
    verdict["risk_score"] = round(risk, 4)
    before = verdict.get("verdict")
    _redecide(verdict, thresholds)
    verdict["listed_entities"] = [_public(e, m) for e, m in hits]
    label_changed = verdict.get("verdict") != before
    if label_changed and "label_name" in verdict:
        from app.taxonomy import get_label

        verdict["label_name"] = get_label(verdict["label"]).name
    exp = verdict.get("explanation")
    if exp is not None:
        from app.explain import advice_for, summarize

        exp["red_flags"] = [_flag(e, m) for e, m in hits] + list(exp.get("red_flags", []))
        s = summarize(verdict, exp.get("patterns", []), exp["red_flags"], exp.get("similar_known_scams", []))
        exp["summary"], exp["summary_en"] = s["vi"], s["en"]
        verdict["advice"] = advice_for(verdict)
    return hits
