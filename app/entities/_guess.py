"""What a value someone pastes is (phone, account, wallet, link, domain, handle), normalized
the way the store keeps it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._keys import EWALLETS, host_path, is_platform

__all__ = ["Guess", "guess", "listing_for", "storable", "GuessError"]

_HANDLE = re.compile(
    r"(?:(zalo|telegram|tele|tg|facebook|fb|tiktok|instagram|ig|x|twitter)\s*:\s*)?@([a-z0-9_.]{2,64})", re.I
)
_DOT = r"(?:\.|\[\.\]|\(\.\)|\[dot\]|\(dot\))"
_URLISH = re.compile(
    rf"^(?:h[tx]{{2}}ps?(?::|\[:\])//|www{_DOT})|^[^\s/]*[\w-]{_DOT}[^\W\d_][\w-]*(?::\d+)?(?:[/?#]|$)", re.I
)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?:[/?#].*)?$")
# Words people write around an account number: "STK", "số tài khoản", "tk", "ví"...
_ACCOUNT_WORDS = re.compile(
    r"\b(?:stk|so\s?tk|so\s?tai\s?khoan|tai\s?khoan|tk|acc(?:ount)?(?:\s?(?:no|number))?|a/c|vi|"
    r"ngan\s?hang|nh|so|la|cua|bank)\b"
)


class GuessError(ValueError):
    """The value is none of the entity kinds; the message says what would be understood."""


@dataclass(frozen=True, slots=True)
class Guess:
    """A value read as one entity: its kind, its normalized form, and how to look it up.

    ``host``/``rest`` are set for links and domains, ``digits`` and ``code`` for accounts and
    wallets, ``phone`` for phones and wallets.
    """

    kind: str
    normalized: str
    host: str = ""
    rest: str = ""
    digits: str = ""
    code: str | None = None
    phone: str = ""

    def lookup(self, index):
        """The listing this value matches in ``index`` (an :class:`EntityIndex`), or None."""
        match self.kind:
            case "url" | "domain":
                from ._keys import url_candidates

                return index._first_of(url_candidates(self.host, self.rest))
            case "phone":
                return index.lookup_phone(self.phone)
            case "ewallet":
                return index.lookup_wallet(self.phone, self.code)
            case "bank_account":
                found = index.lookup_account(self.digits, self.code)
                if found is None and self.code is None and len(self.digits) == 10 and self.digits[0] == "0":
                    found = index.lookup_phone("+84" + self.digits[1:])
                return found
            case _:
                return index.lookup_handle(self.normalized)


def _store_values():
    from app.store import values  # imported late: the index itself needs no database

    return values


def _link(raw: str, kind: str | None) -> Guess:
    values = _store_values()
    url = values.normalize_entity("url", raw)
    host, rest = host_path(url)
    if kind == "domain" or (kind is None and not rest and "://" not in raw):
        return Guess("domain", host, host=host)
    return Guess("url", url, host=host, rest=rest)


def _numbers(raw: str, kind: str | None, bank: str | None) -> Guess:
    from app.text import fold
    from app.text._tables import tables

    values = _store_values()
    low = fold(" ".join(raw.lower().split()))
    code = values.bank_code(bank) if bank else None
    if code is None:
        m = tables().bank_re.search(low)
        if m:
            code = tables().banks[m.group()]
            low = low[: m.start()] + " " + low[m.end() :]
    rest = _ACCOUNT_WORDS.sub(" ", low)
    if re.search(r"[^\d\s.\-+:()]", rest):
        raise GuessError(
            f"{raw!r} is not a phone, account, e-wallet, link, domain or handle; write e.g. 0912345678, "
            "'Vietcombank 0071000986547', 'MOMO 0912345678', evil.icu or @hotro_vcb"
        )
    number = re.sub(r"[^\d+]", "", rest)
    digits = number.lstrip("+")
    if kind == "ewallet" or (kind is None and code in EWALLETS):
        if not code:
            raise GuessError(f"name the e-wallet of {raw!r}, e.g. 'MOMO 0912345678'")
        phone = _phone(number)
        return Guess("ewallet", f"{code}:{phone}", code=code, phone=phone)
    if kind == "phone" or (kind is None and code is None and (number.startswith("+") or _vn_phone(number))):
        phone = _phone(number)
        return Guess("phone", phone, phone=phone)
    norm = values.normalize_entity("bank_account", digits, bank=code)
    return Guess("bank_account", norm, digits=digits, code=code)


def _vn_phone(number: str) -> str | None:
    """E.164 of a Vietnamese number written with digits only (``0912345678``, ``84912345678``),
    read by the text layer's own phone pattern, so it equals what a message would give; else
    None (``0071...`` is an account, not a call to country 7)."""
    from app.text._entities import (
        _PHONE_VN,
        _phone_value,
    )  # the text layer's reading, without a full normalize

    return _phone_value(number)[0] if _PHONE_VN.fullmatch(number) else None


def _phone(number: str) -> str:
    return _vn_phone(number) or _store_values().normalize_entity("phone", number)


def guess(value: str, kind: str | None = None, bank: str | None = None) -> Guess:
    """Read ``value`` as an entity of ``kind`` (guessed when None).

    Raises
    ------
    GuessError, app.store.Invalid
        When the value is no entity; the message names what would be understood.

    Examples
    --------
    >>> guess("Vietcombank: 0071.000.986.547").normalized
    'VCB:0071000986547'
    >>> guess("https://login.evil.icu/abc").host
    'login.evil.icu'
    >>> guess("0912 345 678").normalized
    '+84912345678'
    """
    if not isinstance(value, str) or not value.strip():
        raise GuessError("the value is empty")
    raw = value.strip()
    if len(raw) > 300:
        raise GuessError(f"the value is {len(raw)} characters long; the limit is 300")
    if kind == "handle" or (kind is None and _HANDLE.fullmatch(raw)):
        norm = _store_values().normalize_entity("handle", raw)
        return Guess("handle", norm)
    if kind in ("url", "domain") or (kind is None and (_URLISH.search(raw) or _IPV4.match(raw))):
        return _link(raw, kind)
    if kind not in (None, "phone", "bank_account", "ewallet"):
        raise GuessError(f"unknown kind {kind!r}; valid: bank_account, ewallet, phone, domain, url, handle")
    return _numbers(raw, kind, bank)


def listing_for(raw: str) -> tuple[str, str]:
    """How a host or link from a blocklist is kept: ``(kind, value)`` for the store.

    A registrable domain (``evil.icu``) or an IP is a ``domain``: it also covers every
    sub-domain. A sub-domain (``025.bk8vip.com``) or a host on a shared platform
    (``x.weebly.com``) is kept exactly, as a path-less ``url``; a link with a path stays a
    ``url``. So ``sites.google.com/site/x`` never lists google.com.
    """
    values = _store_values()
    url = values.normalize_entity("url", raw)
    host, rest = host_path(url)
    if rest:
        return "url", url
    if _IPV4.match(host):
        return "domain", host
    if not is_platform(host) and values.normalize_entity("domain", host) == host:
        return "domain", host
    return "url", f"http://{host}"


def storable(value: str, kind: str | None = None, bank: str | None = None) -> tuple[str, str, str | None]:
    """``(kind, value, bank)`` to report ``value`` with :func:`app.store.repo.upsert_entity`.

    A guessed host or link is kept as listed (:func:`listing_for`: a sub-domain is not
    widened). ``kind="domain"`` asks for the registrable domain, which is refused for a shared
    platform: it would list every site there.
    """
    values = _store_values()
    if kind == "domain":
        registrable = values.normalize_entity("domain", value)
        if is_platform(registrable):
            raise values.Invalid(
                "value", f"{registrable} is a shared platform; report the exact link with kind 'url'"
            )
        return "domain", value, None
    g = guess(value, kind, bank)
    if g.kind in ("domain", "url"):
        k, v = listing_for(value)
        return k, v, None
    if g.kind == "bank_account":
        return "bank_account", g.digits, g.code
    if g.kind == "ewallet":
        return "ewallet", g.phone, g.code
    return g.kind, g.normalized, None
