"""Entity finders: links, phone numbers, bank accounts, money, OTP codes, e-mails, handles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from ._tables import tables

__all__ = ["Entity", "ENTITY_KINDS", "find_entities"]

ENTITY_KINDS = ("url", "email", "phone", "bank_account", "money", "otp", "handle")


@dataclass(frozen=True, slots=True)
class Entity:
    """A thing found in a message, with its span in the ORIGINAL text.

    ``text`` is exactly ``raw[start:end]``; ``value`` is a normalised form (a phone in
    E.164, a URL without disguise, an amount in đồng); ``attrs`` holds details by kind.
    """

    kind: str
    start: int
    end: int
    text: str
    value: str
    attrs: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "value": self.value,
            **({"attrs": self.attrs} if self.attrs else {}),
        }


_DOT = r"(?:\.|\[\.\]|\(\.\)|\[dot\]|\(dot\))"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PATH_CHARS = r"[^\s<>\"'`]"
_TRAIL = ".,;:!?)]}'\"…"


@cache
def _url_re() -> re.Pattern[str]:
    t = tables()
    tlds = "|".join(sorted((re.escape(x) for x in t.tlds), key=len, reverse=True))
    spaced = "|".join(sorted((re.escape(x) for x in t.spaced_tlds), key=len, reverse=True))
    ambiguous = "|".join(sorted((re.escape(x) for x in t.ambiguous_tlds), key=len, reverse=True))
    return re.compile(
        # scheme, also defanged (hxxp, [:]) or without its colon ("https//": dodging link filters)
        rf"(?:h[tx]{{2}}ps?|ftp)\s?(?::|\[:\])?\s?//\s?{_PATH_CHARS}+"
        # www.
        rf"|www\s?{_DOT}\s?{_PATH_CHARS}+"
        # IPv4 with optional port/path
        rf"|(?<![\w.])(?:\d{{1,3}}\.){{3}}\d{{1,3}}(?::\d{{2,5}})?(?:/{_PATH_CHARS}*)?(?![\w.])"
        # bare domain, dots written plainly
        rf"|(?<![\w@.-])(?:{_LABEL}{_DOT})+(?:{tlds})(?![\w-])(?:[/:?#]{_PATH_CHARS}*)?"
        # bare domain on a TLD that is also a word: two labels before it, or a path after it
        rf"|(?<![\w@.-])(?:{_LABEL}{_DOT}){{2,}}(?:{ambiguous})(?![\w-])(?:[/:?#]{_PATH_CHARS}*)?"
        rf"|(?<![\w@.-]){_LABEL}{_DOT}(?:{ambiguous})/{_PATH_CHARS}+"
        # bare domain with spaces around the dots ("bit . ly/abc"): only where unambiguous
        rf"|(?<![\w@.-])(?:{_LABEL}\s?{_DOT}\s?)+(?:(?:{tlds})/{_PATH_CHARS}*|(?:{spaced})(?![\w-]))"
    )


@cache
def _url_hint_re() -> re.Pattern[str]:
    """A cheap test that a text may hold a link; most messages fail it and skip the full scan."""
    t = tables()
    tlds = "|".join(sorted((re.escape(x) for x in t.tlds + t.ambiguous_tlds), key=len, reverse=True))
    return re.compile(rf"{_DOT}\s?(?:{tlds})(?![\w-])|h[tx]{{2}}ps?\s?(?::|\[:\]|//)|www|\d\.\d{{1,3}}\.\d")


_EMAIL = re.compile(
    r"(?<![\w.+-])[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}(?![\w-])"
)
_HANDLE = re.compile(r"(?<![\w@./])@[a-z0-9_](?:[a-z0-9_.]{1,30}[a-z0-9_])(?![\w@])")

_SEP = r"[\s.\-_>]?"  # ">" and "_" inside numbers: bulk SMS dodging filters ("1>9>0>0>1>9>9>5")
# Vietnamese numbers: mobiles 03/05/07/08/09 + 8 digits, landlines 02x + 8 digits, with a
# +84/84/0 prefix; hotlines 1800/1900 + 4 or 6 digits.
_PHONE_VN = re.compile(
    rf"(?<![\w+])(?:(?:\+|00)?84{_SEP}\(?0?\)?{_SEP}|0)"
    rf"(?:[35789]{_SEP}\d(?:{_SEP}\d){{7}}|2{_SEP}\d(?:{_SEP}\d){{8}})(?![\w])"
    rf"|(?<![\w+])1{_SEP}[89]{_SEP}0{_SEP}0(?:{_SEP}\d){{4}}(?:(?:{_SEP}\d){{2}})?(?![\w])"
)
_PHONE_FOREIGN = re.compile(rf"(?<![\w+])(?:\+|00)(?!84)[1-9]\d{{0,2}}(?:{_SEP}\(?\d+\)?){{2,6}}(?![\w])")

_NUM_RUN = re.compile(r"(?<![\w.,+])[0-9x*](?:[0-9x*]|[ .\-](?=[0-9x*])){5,24}(?![\w])")
_ACCOUNT_KEY = re.compile(
    r"(?<![a-z])(?:stk|so\s?tk|so\s?tai\s?khoan|tai\s?khoan|tk|acc(?:ount)?|a/c|account\s?(?:no|number))"
    r"\s?(?:so|la|:|-|#|\.)?(?:\s?[a-z]{1,12}){0,2}\s?(?:so|la)?\s?[:\-]?\s?$"
)
_DIGIT = re.compile(r"\d")
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+")

_UNIT = (
    r"(?:trieu\s?dong|ty\s?dong|nghin\s?dong|ngan\s?dong|dong|vnd|vnđ|đ|d|usdt|usd|\$|"
    r"trieu|tr|ty|ti|nghin|ngan|k|cu|btc|eth|euro|eur|yen)"
)
_MONEY = re.compile(
    r"(?<![\w.,])(?:\$\s?\d[\d.,]*"
    r"|\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?\s?" + _UNIT + r"(?:\d{1,3})?"
    r"|\d+(?:[.,]\d+)?\s?" + _UNIT + r"(?:\d{1,3})?"
    r"|\d{1,3}(?:\.\d{3}){2,}"  # 50.000.000 with no unit is still an amount
    r")(?![\w])"
)
_OTP_KEY = re.compile(
    r"(?:(?:ma\s?)?(?:smart\s?)?otp|ma\s?(?:so\s?)?(?:xac\s?thuc|xac\s?nhan|xac\s?minh|kich\s?hoat|bao\s?mat|dang\s?nhap|giao\s?dich)|"
    r"verification\s?code|passcode|pin|code|smart\s?otp)"
)
_OTP_BEFORE = re.compile(_OTP_KEY.pattern + r"[^\d\n]{0,24}?(?<![\w])(\d{4,8})(?![\w])")
_OTP_AFTER = re.compile(r"(?<![\w])(\d{4,8})(?![\w])[^\d\n]{0,16}?(?:la|là)\s?" + _OTP_KEY.pattern)

_MULT = {
    "trieu": 1e6,
    "tr": 1e6,
    "cu": 1e6,
    "ty": 1e9,
    "ti": 1e9,
    "nghin": 1e3,
    "ngan": 1e3,
    "k": 1e3,
}


def _money_value(s: str) -> tuple[float | None, str]:
    """Parse ``50tr``, ``1tr5``, ``50.000.000đ``, ``2 tỷ``, ``$100`` into (amount, currency)."""
    if s.startswith("$"):
        num = re.sub(r"[^\d.]", "", s.replace(",", ""))
        try:
            return float(num), "USD"
        except ValueError:
            return None, "USD"
    m = re.match(r"([\d.,]+)\s?([^\d\s]*(?:\s?dong)?)\s?(\d*)$", s)
    if not m:
        return None, "VND"
    num, unit, tail = m.groups()
    unit = unit.replace(" ", "")
    currency = "VND"
    if unit in ("usd", "$"):
        currency = "USD"
    elif unit == "usdt":
        currency = "USDT"
    elif unit in ("btc", "eth", "euro", "eur", "yen"):
        currency = unit.upper()
    mult = 1.0
    for key, val in _MULT.items():
        if unit.startswith(key) and (unit == key or unit[len(key) :] in ("dong",)):
            mult = val
            break
    # "50.000.000" groups thousands; "1,5" or "1.5" before a multiplier is a decimal.
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", num) and mult == 1.0:
        value = float(re.sub(r"[.,]", "", num))
    else:
        try:
            value = float(num.replace(",", "."))
        except ValueError:
            value = float(re.sub(r"[.,]", "", num) or 0)
    value *= mult
    if tail and mult >= 1e3:
        value += float(tail) * mult / (10 ** len(tail))  # 1tr5 = 1.5 triệu
    return value, currency


def _phone_value(s: str) -> tuple[str, dict]:
    digits = re.sub(r"\D", "", s)
    if digits.startswith(("1800", "1900")):
        return digits, {"country": "VN", "type": "hotline"}
    if s.lstrip().startswith(("+", "00")) and not digits.startswith(("84", "0084")):
        digits = digits[2:] if s.lstrip().startswith("00") else digits
        return "+" + digits, {"country": "foreign"}
    if digits.startswith("0084"):
        digits = digits[4:]
    elif digits.startswith("84") and len(digits) >= 11:
        digits = digits[2:]
    digits = digits.lstrip("0")
    kind = "landline" if digits.startswith("2") else "mobile"
    return "+84" + digits, {"country": "VN", "type": kind}


def _bank_near(fold_low: str, start: int, end: int, taken: bytearray) -> str | None:
    """The bank named within a few words of ``[start, end)``, outside other entities (a link)."""
    t = tables()
    for lo, hi in ((max(0, start - 40), start), (end, min(len(fold_low), end + 30))):
        for m in t.bank_re.finditer(fold_low, lo, hi):
            if taken.find(1, m.start(), m.end()) == -1:
                return t.banks[m.group()]
    return None


def find_entities(low: str, fold_low: str) -> list[Entity]:
    """Find entities in the cleaned, lower-cased text (spans in its coordinates).

    ``fold_low`` is the same text without diacritics (same length), where keyword contexts
    such as ``số tài khoản`` / ``so tai khoan`` are matched alike. Entities never overlap:
    the first finder to claim characters keeps them (links before e-mails before money ...).
    """
    found: list[Entity] = []
    taken = bytearray(len(low))

    def claim(kind: str, s: int, e: int, value: str, attrs: dict | None = None) -> bool:
        if s >= e or taken.find(1, s, e) != -1:
            return False
        taken[s:e] = b"\x01" * (e - s)
        found.append(Entity(kind, s, e, low[s:e], value, attrs or {}))
        return True

    t = tables()
    if _url_hint_re().search(low):
        for m in _url_re().finditer(low):
            s, e = m.span()
            while e > s and low[e - 1] in _TRAIL:
                e -= 1
            url = (
                re.sub(r"\s|\[|\]|\(|\)", "", low[s:e]).replace("dot", ".")
                if "[" in low[s:e] or " " in low[s:e]
                else low[s:e]
            )
            url = re.sub(r"^h[tx]{2}p(s?):?//", r"http\1://", url)
            host = re.sub(r"^[a-z]+://", "", url).split("/")[0].split(":")[0].split("?")[0]
            attrs = {"host": host}
            if host in t.shorteners:
                attrs["shortener"] = True
            if re.fullmatch(r"[\d.]+", host):
                attrs["ip"] = True
            claim("url", s, e, url, attrs)
    if "@" in low:
        for m in _EMAIL.finditer(low):
            claim("email", m.start(), m.end(), m.group())
    n_digits = len(_DIGIT.findall(low))
    if n_digits:
        # Each finder below needs a least number of digits (accounts and codes 4, phone numbers
        # 8): a message with fewer skips those scans, which are most of the cost of this function.
        # Account numbers introduced by STK / số tài khoản win over phone shapes
        # (many banks use the phone number as the account number).
        for m in _NUM_RUN.finditer(low) if n_digits >= 4 else ():
            s, e = m.span()
            while e > s and not low[e - 1].isdigit() and low[e - 1] not in "x*":
                e -= 1
            digits = re.sub(r"[^0-9x*]", "", low[s:e])
            if sum(c.isdigit() for c in digits) < 4 or len(digits) < 6 or len(digits) > 19:
                continue
            keyed = _ACCOUNT_KEY.search(fold_low[max(0, s - 30) : s])
            if not keyed and _THOUSANDS.fullmatch(low[s:e]):
                continue  # 50.000.000 is an amount, even next to a bank's name
            bank = _bank_near(fold_low, s, e, taken)
            phone_shaped = _PHONE_VN.fullmatch(low[s:e]) is not None
            if keyed or (bank and not phone_shaped):
                attrs = {"bank": bank} if bank else {}
                claim("bank_account", s, e, digits, attrs)
        for m in _PHONE_VN.finditer(low) if n_digits >= 8 else ():
            value, attrs = _phone_value(m.group())
            claim("phone", m.start(), m.end(), value, attrs)
        for m in _PHONE_FOREIGN.finditer(low) if n_digits >= 8 else ():
            digits = re.sub(r"\D", "", m.group())
            if 8 <= len(digits) <= 15:
                value, attrs = _phone_value(m.group())
                claim("phone", m.start(), m.end(), value, attrs)
        if n_digits >= 4 and _OTP_KEY.search(fold_low):
            for m in _OTP_BEFORE.finditer(fold_low):
                claim("otp", m.start(1), m.end(1), m.group(1))
            for m in _OTP_AFTER.finditer(fold_low):
                claim("otp", m.start(1), m.end(1), m.group(1))
        for m in _MONEY.finditer(fold_low):
            amount, currency = _money_value(m.group())
            value = f"{amount:.0f} {currency}" if amount is not None else m.group()
            claim("money", m.start(), m.end(), value, {"amount": amount, "currency": currency})
    if "@" in low:
        for m in _HANDLE.finditer(low):
            claim("handle", m.start(), m.end(), m.group())
    found.sort(key=lambda x: x.start)
    return found
