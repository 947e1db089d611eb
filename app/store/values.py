"""Canonical forms: the case fingerprint and the normalized value of a reported entity."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from functools import cache

from app.text import fold, normalize

from .errors import Invalid
from .models import ENTITY_KINDS

__all__ = ["fingerprint", "search_form", "normalize_entity", "bank_code"]

_DIGIT = re.compile(r"\d")
_NON_DIGIT = re.compile(r"\D")
# Second-level suffixes under which the registrable name is the third label from the right.
_SECOND_LEVEL = frozenset(
    f"{sld}.{tld}"
    for tld, slds in {
        "vn": "com net org edu gov ac info biz name pro health int mil",
        "uk": "co org ac gov",
        "au": "com net org",
        "jp": "co ne or",
        "kr": "co or",
        "cn": "com net org",
        "sg": "com",
        "th": "co in",
        "my": "com",
        "tw": "com",
        "hk": "com",
        "ph": "com",
        "kh": "com",
        "la": "com",
    }.items()
    for sld in slds.split()
)


def fingerprint(text: str) -> str:
    """The key that makes copies of one message a single case.

    The sha256 of the normalized, diacritic-free text with every digit written as ``0``:
    copies that differ in case, tone marks, disguise, links or numbers share it.

    Parameters
    ----------
    text : str
        The message as received.

    Returns
    -------
    str
        64 lower-case hex digits.

    Examples
    --------
    >>> fingerprint("Bạn đã trúng 50 triệu") == fingerprint("BAN DA TRUNG 90 TRIEU")
    True
    """
    return hashlib.sha256(_DIGIT.sub("0", normalize(text).folded).encode("utf-8")).hexdigest()


def search_form(text: str) -> str:
    """``text`` lower-cased, without tone marks and with blanks collapsed: what search compares.

    Examples
    --------
    >>> search_form("Bạn đã TRÚNG   thưởng")
    'ban da trung thuong'
    """
    return " ".join(fold(text.lower()).split())


@cache
def _bank_aliases() -> dict[str, str]:
    # The alias table belongs to the text layer; it has no public accessor yet.
    from app.text._tables import tables

    return dict(tables().banks)


def bank_code(name: str) -> str:
    """``"Vietcombank"``, ``"vcb"`` or ``"VCB"`` -> ``"VCB"``; e-wallets too (``"ví MoMo"`` -> ``"MOMO"``).

    Raises
    ------
    Invalid
        When the name is no bank or e-wallet the text layer knows.
    """
    aliases = _bank_aliases()
    key = fold(" ".join(name.lower().split()))
    if key.upper() in aliases.values():
        return key.upper()
    if key in aliases:
        return aliases[key]
    raise Invalid("bank", f"unknown bank or e-wallet {name!r}; use a code such as VCB, TCB, MB or MOMO")


def _phone(raw: str) -> str:
    found = [e.value for e in normalize(raw).entities if e.kind == "phone"]
    if len(found) == 1:
        return found[0]
    digits = _NON_DIGIT.sub("", raw)
    if raw.strip().startswith("+") and 8 <= len(digits) <= 15:
        return "+" + digits
    raise Invalid("value", f"{raw!r} is not a phone number (write it as 0912345678 or +84912345678)")


def _split_code(raw: str, code: str | None) -> tuple[str | None, str]:
    """``"VCB:0071..."`` or ``"Vietcombank 0071..."`` -> (code, rest)."""
    m = re.match(r"\s*([^\d:+]*?)\s*[:\-]?\s*([+\d][\d\s.\-]*)\s*$", raw)
    if m and m.group(1).strip():
        code = code or m.group(1)
        raw = m.group(2)
    return (bank_code(code) if code else None), raw


def _bank_account(raw: str, bank: str | None) -> str:
    code, rest = _split_code(raw, bank)
    digits = _NON_DIGIT.sub("", rest)
    if not 6 <= len(digits) <= 19 or re.search(r"[^\d\s.\-]", rest):
        raise Invalid("value", f"{raw!r} is not a bank account number (6 to 19 digits)")
    return f"{code}:{digits}" if code else digits


def _ewallet(raw: str, bank: str | None) -> str:
    code, rest = _split_code(raw, bank)
    if not code:
        raise Invalid(
            "bank", f"name the e-wallet of {raw!r} (MOMO, ZALOPAY, VTPAY ...), e.g. 'MOMO:0912345678'"
        )
    return f"{code}:{_phone(rest)}"


def _host(raw: str) -> str:
    s = raw.strip().lower()
    s = re.sub(r"\[\.\]|\(\.\)|\[dot\]|\(dot\)", ".", s)
    s = re.sub(r"^h[tx]{2}p(s?)(?::|\[:\])//", "", s)
    s = re.sub(r"^[a-z][a-z0-9+.-]*://", "", s)
    host = re.split(r"[/?#]", s, maxsplit=1)[0].rsplit("@", 1)[-1]
    host = re.sub(r":\d+$", "", host).strip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as e:
        raise Invalid("value", f"{raw!r} is not a domain name") from e
    return host


def _domain(raw: str) -> str:
    host = _host(raw)
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) < 2 or not all(re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", x) for x in labels):
        raise Invalid("value", f"{raw!r} is not a domain name (e.g. vcb-online.icu)")
    keep = 3 if ".".join(labels[-2:]) in _SECOND_LEVEL and len(labels) >= 3 else 2
    return ".".join(labels[-keep:])


def _url(raw: str) -> str:
    s = raw.strip()
    s = re.sub(r"\[\.\]|\(\.\)", ".", s)
    s = re.sub(r"^h[tx]{2}p(s?)(?::|\[:\])//", r"http\1://", s, flags=re.I)
    m = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*)://([^/?#]*)(.*)$", s)
    scheme, authority, rest = (m.group(1).lower(), m.group(2), m.group(3)) if m else ("http", *_cut(s))
    host = _host(authority)
    if "." not in host:
        raise Invalid("value", f"{raw!r} is not a link (e.g. https://vcb-online.icu/login)")
    rest = rest.split("#", 1)[0]
    if rest in ("", "/"):
        rest = ""
    return f"{scheme}://{host}{rest}"


def _cut(s: str) -> tuple[str, str]:
    i = min((s.find(c) for c in "/?#" if c in s), default=len(s))
    return s[:i], s[i:]


def _handle(raw: str) -> str:
    s = "".join(raw.split()).lower()
    platform, _, name = s.rpartition(":")
    name = name.lstrip("@")
    if not re.fullmatch(r"[a-z0-9_.]{2,64}", name):
        raise Invalid("value", f"{raw!r} is not a handle (e.g. @hotro_vcb or telegram:@hotro_vcb)")
    return f"{platform}:@{name}" if platform else f"@{name}"


def normalize_entity(kind: str, raw: str, *, bank: str | None = None) -> str:
    """The one form under which an entity is stored and looked up.

    Parameters
    ----------
    kind : str
        One of ``bank_account``, ``ewallet``, ``phone``, ``domain``, ``url``, ``handle``.
    raw : str
        As a person wrote it.
    bank : str, optional
        The bank or e-wallet (code or name) when ``raw`` does not say it.

    Returns
    -------
    str
        Phones in E.164 (``+84912345678``), domains as the lower-case registrable name
        (``vcb-online.icu``), accounts as ``CODE:digits`` (``VCB:0071000986547``, or bare
        digits when the bank is unknown), e-wallets as ``CODE:+84...``, handles as ``@name``.

    Raises
    ------
    Invalid
        With ``field`` ``kind``, ``value`` or ``bank``.

    Examples
    --------
    >>> normalize_entity("phone", "0912 345 678")
    '+84912345678'
    >>> normalize_entity("bank_account", "Vietcombank 0071 000 986547")
    'VCB:0071000986547'
    >>> normalize_entity("domain", "https://Login.VCB-Online.icu/xac-thuc")
    'vcb-online.icu'
    """
    if kind not in ENTITY_KINDS:
        raise Invalid("kind", f"unknown entity kind {kind!r}; valid: {', '.join(ENTITY_KINDS)}")
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid("value", "must be a non-empty string")
    if len(raw) > 300:
        raise Invalid("value", f"is {len(raw)} characters long; the limit is 300")
    match kind:
        case "phone":
            return _phone(raw)
        case "bank_account":
            return _bank_account(raw, bank)
        case "ewallet":
            return _ewallet(raw, bank)
        case "domain":
            return _domain(raw)
        case "url":
            return _url(raw)
        case _:
            return _handle(raw)
