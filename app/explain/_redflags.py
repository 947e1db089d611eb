"""Red flags a person can check: links, numbers, accounts, OTP requests, urgency, threats, disguise."""

from __future__ import annotations

import re

from app.features import url_flags
from app.text import NormalizedText

__all__ = ["red_flags", "FLAG_REASONS"]

# Vietnamese first, English beside; {x} is filled with a detail.
FLAG_REASONS = {
    "suspicious_tld": (
        "Đường link có đuôi tên miền hay bị dùng cho trang lừa đảo (.{x})",
        "Link on a top-level domain often used by scam sites (.{x})",
    ),
    "brand_lookalike": (
        "Tên miền nhái thương hiệu hoặc cơ quan ({x}), không phải trang chính thức",
        "Domain imitating a brand or agency ({x}), not the official site",
    ),
    "shortener": ("Link rút gọn che giấu địa chỉ thật", "Shortened link hides the real address"),
    "free_hosting": (
        "Trang web dựng miễn phí ({x}): ai cũng tạo được, ngân hàng hay cơ quan không dùng",
        "A free site anyone can make ({x}): banks and agencies do not use them",
    ),
    "ip": ("Link dùng địa chỉ IP thay cho tên miền", "Link uses a raw IP address instead of a domain"),
    "apk": (
        "Link tải ứng dụng (.apk) ngoài kho ứng dụng chính thức",
        "Link to an app file (.apk) outside the app stores",
    ),
    "messaging": (
        "Dẫn sang Zalo/Telegram cá nhân để trao đổi riêng",
        "Moves the talk to a private Zalo/Telegram",
    ),
    "foreign_phone": ("Số điện thoại nước ngoài ({x})", "Foreign phone number ({x})"),
    "personal_phone_as_brand": (
        "Số di động cá nhân nhưng tự xưng là ngân hàng, doanh nghiệp hay cơ quan",
        "A personal mobile number posing as a bank, company or agency",
    ),
    "personal_account": (
        "Tài khoản nhận tiền đứng tên cá nhân ({x})",
        "Receiving account held by a person ({x})",
    ),
    "bank_account": ("Yêu cầu chuyển tiền vào số tài khoản này", "Asks for money to be sent to this account"),
    "otp_request": (
        "Đòi mã OTP, mật khẩu hoặc mã xác thực: không bao giờ đưa cho ai",
        "Asks for an OTP, password or verification code: never share it",
    ),
    "urgency": (
        "Hối thúc, đặt hạn chót để bạn không kịp suy nghĩ",
        "Rushes you with a deadline so you cannot think",
    ),
    "threat": (
        "Đe dọa khóa tài khoản, bắt giữ, phạt hay cắt dịch vụ",
        "Threatens a lock, arrest, fine or cut-off",
    ),
    "secrecy": ("Dặn giữ bí mật, không nói với người thân", "Tells you to keep it secret from family"),
    "disguise": (
        "Chữ bị cố ý viết biến dạng ({x}) để lọt qua bộ lọc",
        "Words deliberately disguised ({x}) to evade filters",
    ),
}

_NAMES_AUTHORITY = re.compile(
    r"\b(?:ngan hang|vietcombank|vietinbank|bidv|agribank|techcombank|mb ?bank|acb|vpbank|tpbank|sacombank|momo|"
    r"zalopay|shopee|lazada|tiki|viettel|vinaphone|mobifone|evn|dien luc|cong an|toa an|vien kiem sat|bhxh|"
    r"bao hiem xa hoi|cuc thue|chi cuc thue|hai quan|tong dai|cskh|cham soc khach hang)\b"
)
_OTP_REQUEST = re.compile(
    r"\b(?:cung cap|doc|gui|nhap|cho (?:em|anh|chi|minh|toi)|bao|dien|chup)\b[^.!?\n]{0,30}?"
    r"\b(?:ma\s?)?(?:__otp__|otp|ma xac (?:thuc|nhan|minh)|mat khau|mat ma|ma pin|ma cvv|cvv)\b"
)
_NEGATED = re.compile(r"\b(?:khong|dung|tuyet doi khong|khong bao gio|chua bao gio|ko)\b[^.!?\n]{0,25}$")
_URGENCY = re.compile(
    r"\b(?:ngay lap tuc|ngay bay gio|khan cap|gap gap|rat gap|chuyen gap|gap lam|trong vong \d+|trong \d+ ?(?:h|gio|phut)|"
    r"truoc \d+ ?(?:h|gio)|truoc ngay|han chot|het han|qua han|lan cuoi|cuoi cung|chi con \d+|ngay hom nay)\b"
)
_THREAT = re.compile(
    r"\b(?:khoa tai khoan|bi khoa|tam khoa|phong toa|dong bang|bat giam|bat tam giam|lenh bat|truy na|khoi to|"
    r"truy cuu|cat dien|dinh chi|vo hieu hoa|xu ly hinh su|phat nguoi|bi phat|cuong che)\b"
)
_SECRECY = re.compile(
    r"\b(?:khong (?:duoc )?(?:noi|tiet lo|chia se|bao) (?:voi|cho) (?:ai|nguoi than|gia dinh)|giu bi mat|bi mat dieu tra)\b"
)
_HOLDER = re.compile(
    r"(?i:chu\s?(?:tai\s?khoan|tk)|ten\s?(?:tai\s?khoan|tk)|ctk|nguoi\s?nhan|ten)\s?[:\-]?\s?"
    r"([A-Z][A-Za-z]+(?:\s[A-Z][A-Za-z]+){1,4})"
)
# a word salted with punctuation ("N'ha'nL,jen:Qu.a"); shown only if normalize finds salt in it
_SALTED_RAW = re.compile(r"[^\W\d_]+(?:[.,'\":;~^*_`]+[^\W\d_]+){2,}")
_LEET_RAW = re.compile(
    r"(?<![\w@])(?=[\w@!$|]*[A-Za-z])[\w@!$|]*[A-Za-z][0-9@!$|][\w@!$|]*|(?:[A-Za-z][.\- ]){3,}[A-Za-z]"
)


def _flag(kind: str, value: str, start: int | None, end: int | None, x: str = "") -> dict:
    vi, en = FLAG_REASONS[kind]
    return {
        "kind": kind,
        "value": value,
        "reason": vi.format(x=x),
        "reason_en": en.format(x=x),
        "start": start,
        "end": end,
    }


def _regex_flags(
    n: NormalizedText, kind: str, rx: re.Pattern[str], out: list[dict], *, negatable=False
) -> None:
    for m in rx.finditer(n.folded):
        if negatable and _NEGATED.search(n.folded[max(0, m.start() - 40) : m.start()]):
            continue  # "không cung cấp mã OTP" is a warning, not a request
        s, e = n.span_to_raw(m.start(), m.end())
        out.append(_flag(kind, n.raw[s:e], s, e))
        return  # one flag of a kind is enough to point at


def red_flags(n: NormalizedText) -> list[dict]:
    """Every red flag in a message, with spans into the original text."""
    out: list[dict] = []
    names_brand = bool(_NAMES_AUTHORITY.search(n.folded))
    clean_folded = None
    for e in n.entities:
        if e.kind == "url":
            flags = url_flags(e.attrs.get("host", ""), e.value)
            host = e.attrs.get("host", "")
            if flags["suspicious_tld"]:
                out.append(_flag("suspicious_tld", e.text, e.start, e.end, host.rsplit(".", 1)[-1]))
            if flags["brand_lookalike"]:
                out.append(_flag("brand_lookalike", e.text, e.start, e.end, host))
            if e.attrs.get("shortener"):
                out.append(_flag("shortener", e.text, e.start, e.end))
            if flags["free_hosting"]:
                out.append(_flag("free_hosting", e.text, e.start, e.end, host))
            for k in ("ip", "apk", "messaging"):
                if flags[k]:
                    out.append(_flag(k, e.text, e.start, e.end))
        elif e.kind == "phone":
            if e.attrs.get("country") == "foreign":
                out.append(_flag("foreign_phone", e.text, e.start, e.end, e.value))
            elif e.attrs.get("type") == "mobile" and names_brand:
                out.append(_flag("personal_phone_as_brand", e.text, e.start, e.end))
        elif e.kind == "bank_account":
            if clean_folded is None:
                from app.text import fold

                clean_folded = fold(n.raw)
            holder = _HOLDER.search(
                clean_folded, e.end, min(len(clean_folded), e.end + 80)
            ) or _HOLDER.search(clean_folded, max(0, e.start - 80), e.start)
            if holder:
                s, t = holder.span(1)
                out.append(_flag("personal_account", e.text, e.start, e.end, n.raw[s:t]))
            else:
                out.append(_flag("bank_account", e.text, e.start, e.end))
    _regex_flags(n, "otp_request", _OTP_REQUEST, out, negatable=True)
    _regex_flags(n, "urgency", _URGENCY, out)
    _regex_flags(n, "threat", _THREAT, out)  # "nếu không ... sẽ bị khóa" is still a threat
    _regex_flags(n, "secrecy", _SECRECY, out)
    if n.disguise_score > 0.05:
        m = _salted_example(n) or _LEET_RAW.search(n.raw)
        if m:
            out.append(_flag("disguise", m.group(), m.start(), m.end(), m.group()))
        else:
            out.append(_flag("disguise", "", None, None, "ký tự lạ"))
    return out


def _salted_example(n: NormalizedText) -> re.Match[str] | None:
    """The first salted word of ``n.raw``, or None; a list written without spaces is no example."""
    if not n.disguise.get("salted"):
        return None
    from app.text import normalize

    for m in _SALTED_RAW.finditer(n.raw):
        if normalize(m.group()).disguise["salted"]:
            return m
    return None
