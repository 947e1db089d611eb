"""Per-conversation and per-sender summaries of scored messages, built in one streaming pass."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["OPENER_TYPES", "SUMMARY_ENTITY_KINDS", "render_summary_md", "summarize"]

# Entities worth reporting: they identify a scammer. Money amounts and OTPs do not.
SUMMARY_ENTITY_KINDS = ("phone", "bank_account", "url", "handle", "email")
# Scam types that open a script before money is asked for (task jobs, "investment
# mentors", romance): the taxonomy's ids, with a Vietnamese name for the reasons.
OPENER_TYPES = {
    "job_labor_export": "việc làm / job",
    "fake_investment": "đầu tư / investment",
    "romance_foreigner": "làm quen, tình cảm / romance",
    "prize_giveaway": "trúng thưởng / prize",
}
# Types whose message is itself the request for money.
_PAYMENT_TYPES = {"loan_debt", "account_rental", "case_fixing", "gambling_betting"}
_PAYMENT_WORDS = re.compile(  # on folded text (no diacritics): "nạp tiền", "phí hồ sơ", "đặt cọc" ...
    r"\b(?:nap (?:tien|them|vao|\d)|chuyen (?:khoan|tien)|dat coc|tien coc|coc truoc|nop tien|thanh toan"
    r"|(?:le|dong|nop|mat|tra) phi|phi (?:dich vu|kich hoat|ho so|rut tien|bao hiem|van chuyen|hai quan|xu ly"
    r"|giai ngan)|stk|so tai khoan|deposit|fee|transfer)\b"
)
_PAYMENT_ENTITIES = {"money", "bank_account"}
_UNKNOWN = "(không rõ)"


def _fold(text: str) -> str:
    s = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in s if unicodedata.category(c) != "Mn")


def _as_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _order_key(t: datetime) -> datetime:
    """Aware and naive times in one order (aware ones by their UTC instant)."""
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def _entity(e: object) -> tuple[str, str] | None:
    get = e.get if isinstance(e, Mapping) else lambda k, d=None: getattr(e, k, d)
    kind, value = get("kind"), get("value") or get("text")
    return (str(kind), str(value)) if kind and value else None


@dataclass
class _Group:
    """Running counts for one conversation or sender; its size never depends on messages."""

    messages: int = 0
    scam: int = 0
    suspicious: int = 0
    spam: int = 0
    borderline: int = 0
    scam_by_type: Counter[str] = field(default_factory=Counter)
    max_risk: float = 0.0
    max_risk_ref: str | None = None
    first_scam: datetime | None = None
    last_scam: datetime | None = None
    entities: dict[str, Counter[str]] = field(default_factory=dict)
    others: set[str] = field(default_factory=set)  # senders of a conversation, conversations of a sender
    # the script: earliest opener, latest payment request (by time, else by arrival)
    opener: tuple[tuple, str, str] | None = None
    payment: tuple[tuple, str, str] | None = None

    def add(self, r: Mapping, other: str, seq: int, flags: dict) -> None:
        self.messages += 1
        self.others.add(other)
        verdict, risk = flags["verdict"], flags["risk"]
        if risk > self.max_risk or self.max_risk_ref is None:
            self.max_risk, self.max_risk_ref = max(risk, self.max_risk), r.get("source_ref")
        if verdict == "spam":
            self.spam += 1
        if verdict == "suspicious":
            self.suspicious += 1
        if flags["borderline"]:
            self.borderline += 1
        if verdict == "scam":
            self.scam += 1
            self.scam_by_type[str(r.get("scam_type") or r.get("label") or "other_scam")] += 1
            t = flags["time"]
            if t is not None:
                if self.first_scam is None or _order_key(t) < _order_key(self.first_scam):
                    self.first_scam = t
                if self.last_scam is None or _order_key(t) > _order_key(self.last_scam):
                    self.last_scam = t
        if flags["flagged"]:
            for kind, value in flags["entities"]:
                if kind in SUMMARY_ENTITY_KINDS:
                    self.entities.setdefault(kind, Counter())[value] += 1
            key = (_order_key(flags["time"]), seq) if flags["time"] is not None else (None, seq)
            ref = str(r.get("source_ref") or "")
            if flags["opener"] and (self.opener is None or _before(key, self.opener[0])):
                self.opener = (key, flags["opener"], ref)
            if flags["payment"] and (self.payment is None or _before(self.payment[0], key)):
                self.payment = (key, flags["payment"], ref)


def _before(a: tuple, b: tuple) -> bool:
    """``a`` came first: by time when both have one, else by arrival."""
    if a[0] is not None and b[0] is not None and a[0] != b[0]:
        return a[0] < b[0]
    return a[1] < b[1]


def _flags(r: Mapping, borderline_risk: float) -> dict:
    verdict = str(r.get("verdict") or ("scam" if r.get("is_scam") else "safe"))
    try:
        risk = float(r.get("risk_score") or 0.0)
    except (TypeError, ValueError):
        risk = 0.0
    borderline = verdict == "suspicious" or (verdict != "scam" and risk >= borderline_risk)
    flagged = verdict in ("scam", "suspicious") or borderline
    entities = [e for e in map(_entity, r.get("entities") or ()) if e]
    scam_type = str(r.get("scam_type") or "")
    opener = payment = None
    if flagged:
        if scam_type in OPENER_TYPES:
            opener = scam_type
        kinds = {k for k, _ in entities}
        if (
            scam_type in _PAYMENT_TYPES
            or kinds & _PAYMENT_ENTITIES
            or _PAYMENT_WORDS.search(_fold(str(r.get("text") or "")))
        ):
            payment = scam_type or "payment"
    return {
        "verdict": verdict,
        "risk": risk,
        "borderline": borderline,
        "flagged": flagged,
        "entities": entities,
        "opener": opener,
        "payment": payment,
        "time": _as_time(r.get("time")),
    }


def _verdict(g: _Group, min_borderline: int, min_share: float) -> tuple[str, list[str]]:
    reasons = []
    # ordinary chats have a borderline line now and then; a script is borderline line after line
    dense = g.borderline >= min_share * g.messages
    if dense and g.opener and g.payment and _before(g.opener[0], g.payment[0]):
        reasons.append(
            f"kịch bản: mở đầu {OPENER_TYPES[g.opener[1]]} ({g.opener[2]})"
            f" rồi đòi nộp/chuyển tiền ({g.payment[2]})"
            " / script: opener followed by a deposit or fee request"
        )
    if dense and g.borderline >= min_borderline:
        reasons.append(
            f"{g.borderline} tin nhắn đáng ngờ trong cùng hội thoại"
            f" / {g.borderline} borderline messages in one conversation"
        )
    if reasons:
        return "scam_script", reasons
    if g.scam:
        return "scam", [f"{g.scam} tin nhắn lừa đảo / scam messages"]
    if g.suspicious:
        return "suspicious", [f"{g.suspicious} tin nhắn đáng ngờ / suspicious messages"]
    return "safe", []


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def _group_dict(g: _Group) -> dict:
    return {
        "messages": g.messages,
        "scam": g.scam,
        "scam_by_type": dict(g.scam_by_type.most_common()),
        "suspicious": g.suspicious,
        "borderline": g.borderline,
        "spam": g.spam,
        "max_risk": round(g.max_risk, 4),
        "max_risk_ref": g.max_risk_ref,
        "first_scam_time": _iso(g.first_scam),
        "last_scam_time": _iso(g.last_scam),
        "entities": {k: dict(g.entities[k].most_common()) for k in SUMMARY_ENTITY_KINDS if k in g.entities},
    }


_RANK = {"scam_script": 0, "scam": 1, "suspicious": 2, "safe": 3}


def summarize(
    results: Iterable[Mapping],
    *,
    min_borderline: int = 3,
    borderline_risk: float = 0.2,
    min_borderline_share: float = 0.2,
) -> dict:
    """Summarise scored messages per conversation and per sender, consuming them one at a time.

    Parameters
    ----------
    results
        Dicts with the ``Message`` fields and the verdict fields (``verdict``,
        ``risk_score``, ``scam_type``, ``entities`` of ``{kind, value, text}`` ...).
    min_borderline
        A conversation with this many borderline messages (``suspicious``, or not ``scam``
        with ``risk_score >= borderline_risk``) is flagged ``scam_script``; so is one where a
        job, investment, romance or prize opener is followed by a request for money.
    borderline_risk
        The risk from which a message counts as borderline.
    min_borderline_share
        Either reason counts only when at least this share of the conversation's messages is
        borderline. Ordinary chat lines are borderline now and then (a few in a hundred, more
        of the very short ones), so without it nearly every long conversation would hold
        three borderline lines, or an "opener" and a "payment"; a script is borderline line
        after line.

    Returns
    -------
    dict
        ``totals``, ``conversations`` (most alarming first) and ``senders``; each group has
        its counts, scam types, highest risk, first and last scam time, the phones, bank
        accounts, links, handles and e-mails of its flagged messages with counts, and for
        conversations ``conversation_verdict`` (``scam_script``, ``scam``, ``suspicious``,
        ``safe``) with ``reasons``. Memory grows with conversations, senders and entities,
        not with messages.
    """
    convs: dict[str, _Group] = {}
    senders: dict[str, _Group] = {}
    totals = _Group()
    verdicts: Counter[str] = Counter()
    for seq, r in enumerate(results):
        conv = str(r.get("conversation") or _UNKNOWN)
        sender = str(r.get("sender") or _UNKNOWN)
        flags = _flags(r, borderline_risk)
        verdicts[flags["verdict"]] += 1
        convs.setdefault(conv, _Group()).add(r, sender, seq, flags)
        senders.setdefault(sender, _Group()).add(r, conv, seq, flags)
        totals.add(r, conv, seq, flags)
    conversations = []
    for name, g in convs.items():
        verdict, reasons = _verdict(g, min_borderline, min_borderline_share)
        conversations.append(
            {
                "conversation": name,
                "conversation_verdict": verdict,
                "reasons": reasons,
                "senders": len(g.others),
            }
            | _group_dict(g)
        )
    conversations.sort(key=lambda c: (_RANK[c["conversation_verdict"]], -c["max_risk"], c["conversation"]))
    sender_rows = [
        {"sender": name, "conversations": len(g.others)} | _group_dict(g) for name, g in senders.items()
    ]
    sender_rows.sort(key=lambda s: (-s["scam"], -s["suspicious"], -s["max_risk"], s["sender"]))
    total = _group_dict(totals)
    total.update(
        conversations=len(convs),
        senders=len(senders),
        flagged_conversations=sum(c["conversation_verdict"] != "safe" for c in conversations),
        verdicts=dict(verdicts),
    )
    return {"totals": total, "conversations": conversations, "senders": sender_rows}


def _md(value: object) -> str:
    """Text from a chat log is untrusted: no Markdown, HTML or table breaks from it."""
    s = str(value if value is not None else "").replace("\r", " ").replace("\n", " ")
    return re.sub(r"([\\`*_{}\[\]()<>#|!~])", r"\\\1", s)


def _code(value: str) -> str:
    """An entity in a code span: shown as typed, never a clickable link."""
    return "`" + value.replace("`", "ˋ").replace("\n", " ") + "`"


def render_summary_md(summary: Mapping) -> str:
    """A Markdown report of ``summarize``'s result, Vietnamese first, English beside."""
    t = summary["totals"]
    out = [
        "# Báo cáo hội thoại / Chat-log report",
        "",
        f"- Tin nhắn / messages: **{t['messages']}** — lừa đảo / scam: **{t['scam']}**, "
        f"đáng ngờ / suspicious: **{t['suspicious']}**, spam: **{t['spam']}**",
        f"- Hội thoại / conversations: **{t['conversations']}**, "
        f"bị gắn cờ / flagged: **{t['flagged_conversations']}**; người gửi / senders: **{t['senders']}**",
        "",
        "## Hội thoại / Conversations",
        "",
        "| hội thoại | kết luận / verdict | tin nhắn | lừa đảo | đáng ngờ | rủi ro cao nhất"
        " | lừa đảo đầu tiên | cuối cùng |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for c in summary["conversations"]:
        out.append(
            f"| {_md(c['conversation'])} | {c['conversation_verdict']} | {c['messages']} | {c['scam']} | "
            f"{c['suspicious']} | {c['max_risk']:.2f} | {c['first_scam_time'] or ''}"
            f" | {c['last_scam_time'] or ''} |"
        )
    flagged = [c for c in summary["conversations"] if c["conversation_verdict"] != "safe"]
    for c in flagged:
        out += ["", f"### {_md(c['conversation'])} — {c['conversation_verdict']}", ""]
        out += [f"- {_md(r)}" for r in c["reasons"]]
        if c["scam_by_type"]:
            out.append("- Loại / types: " + ", ".join(f"{k} ×{v}" for k, v in c["scam_by_type"].items()))
        for kind, values in c["entities"].items():
            out.append(f"- {kind}: " + ", ".join(f"{_code(v)} ×{n}" for v, n in values.items()))
    bad = [s for s in summary["senders"] if s["scam"] or s["suspicious"]]
    if bad:
        out += [
            "",
            "## Người gửi đáng chú ý / Senders of flagged messages",
            "",
            "| người gửi | hội thoại | tin nhắn | lừa đảo | đáng ngờ | rủi ro cao nhất"
            " | số điện thoại, tài khoản, liên kết |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for s in bad:
            ents = "; ".join(_code(v) for vals in s["entities"].values() for v in vals)
            out.append(
                f"| {_md(s['sender'])} | {s['conversations']} | {s['messages']} | {s['scam']} | "
                f"{s['suspicious']} | {s['max_risk']:.2f} | {ents.replace('|', '¦')} |"
            )
    return "\n".join(out) + "\n"
