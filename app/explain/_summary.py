"""The one-paragraph Vietnamese (and English) summary of why, and the advice for the label."""

from __future__ import annotations

from app.taxonomy import get_label, report_channels

__all__ = ["summarize", "advice_for"]

_VERDICT_VI = {
    "scam": "có dấu hiệu LỪA ĐẢO",
    "suspicious": "ĐÁNG NGỜ",
    "spam": "là tin rác quảng cáo",
    "safe": "không có dấu hiệu lừa đảo rõ ràng",
}
_VERDICT_EN = {
    "scam": "shows signs of a SCAM",
    "suspicious": "is SUSPICIOUS",
    "spam": "is advertising spam",
    "safe": "shows no clear sign of a scam",
}


def summarize(verdict: dict, patterns: list[dict], flags: list[dict], similar: list[dict]) -> dict[str, str]:
    """Say in one paragraph what the verdict is and which evidence it rests on."""
    v = verdict["verdict"]
    kind = get_label(verdict["scam_type"] if v in ("scam", "suspicious") else verdict["label"])
    risk = round(verdict["risk_score"] * 100)
    vi = [f"Tin nhắn này {_VERDICT_VI[v]}"]
    en = [f"This message {_VERDICT_EN[v]}"]
    if v in ("scam", "suspicious"):
        vi[0] += f", giống kiểu \u201c{kind.name['vi']}\u201d (nguy cơ {risk}%)."
        en[0] += f", resembling \u201c{kind.name['en']}\u201d (risk {risk}%)."
    else:
        vi[0] += f" (nguy cơ lừa đảo {risk}%)."
        en[0] += f" (scam risk {risk}%)."
    if patterns:
        names_vi = "; ".join(p["name"]["vi"] for p in patterns[:4])
        names_en = "; ".join(p["name"]["en"] for p in patterns[:4])
        vi.append(f"Các thủ đoạn nhận ra: {names_vi}.")
        en.append(f"Tricks recognised: {names_en}.")
    if flags:
        vi.append("Dấu hiệu cần chú ý: " + "; ".join(dict.fromkeys(f["reason"] for f in flags[:4])) + ".")
        en.append("Red flags: " + "; ".join(dict.fromkeys(f["reason_en"] for f in flags[:4])) + ".")
    if similar:
        s = similar[0]
        vi.append(f"Gần giống một tin lừa đảo đã biết ({s['id']}, giống {round(s['similarity'] * 100)}%).")
        en.append(f"Nearly the same as a known scam ({s['id']}, {round(s['similarity'] * 100)}% similar).")
    if v in ("scam", "suspicious") and not patterns and not flags:
        vi.append("Nội dung và cách viết giống các tin lừa đảo mà mô hình đã học.")
        en.append("Its wording resembles scams the model has learned from.")
    return {"vi": " ".join(vi), "en": " ".join(en)}


def advice_for(verdict: dict) -> dict[str, list[str]]:
    """What to do now: the label's advice, plus where to report for scams and suspicious messages."""
    v = verdict["verdict"]
    label = get_label(verdict["scam_type"] if v in ("scam", "suspicious") else verdict["label"])
    out = {"vi": list(label.advice["vi"]), "en": list(label.advice["en"])}
    if v in ("scam", "suspicious"):
        if v == "suspicious":
            out["vi"].insert(
                0,
                "Chưa chắc chắn là lừa đảo: hãy tự kiểm tra với người gửi qua kênh chính thức trước khi làm theo.",
            )
            out["en"].insert(
                0,
                "Not certain it is a scam: check with the sender through an official channel before acting.",
            )
        rep = report_channels()
        out["vi"] += rep["vi"]
        out["en"] += rep["en"]
    return out
