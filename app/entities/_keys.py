"""Index keys: one string per listed entity, and the keys a looked-up value may match."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import yaml

__all__ = [
    "host_path",
    "is_platform",
    "stored_key",
    "url_candidates",
    "phone_candidates",
    "EWALLETS",
]

# Codes of app/text/data/banks.yaml that are e-wallets (their "account" is a phone number).
EWALLETS = frozenset({"MOMO", "ZALOPAY", "VTPAY", "VNPAY", "SHOPEEPAY"})

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_PORT = re.compile(r":\d+$")


def host_path(url: str) -> tuple[str, str]:
    """``"https://Login.Evil.icu:8443/A/b/?x=1#top"`` -> ``("login.evil.icu", "/a/b?x=1")``.

    The host is lower-case IDNA without port or user; the rest keeps path and query, lower-cased
    (messages reach the index lower-cased by the text layer), without the fragment or a trailing
    slash. ``""`` stands for "the whole host".
    """
    s = _SCHEME.sub("", url.strip().lower(), count=1)
    cut = min((i for i in (s.find("/"), s.find("?"), s.find("#")) if i >= 0), default=len(s))
    authority, rest = s[:cut], s[cut:]
    host = _PORT.sub("", authority.rsplit("@", 1)[-1]).strip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # keep it as written: it can still match itself
    rest = rest.split("#", 1)[0]
    path, q, query = rest.partition("?")
    path = path.rstrip("/")
    return host, path + (q + query if query else "")


@cache
def _platforms() -> frozenset[str]:
    from app.text._tables import tables  # shorteners and free hosts live with the text layer's tables

    with open(Path(__file__).with_name("platforms.yaml"), encoding="utf-8") as fh:
        listed = yaml.safe_load(fh)["platforms"]
    return frozenset(listed) | tables().shorteners | tables().free_hosting


def is_platform(host: str) -> bool:
    """Whether ``host`` is, or is under, a shared platform or a link shortener."""
    labels = host.split(".")
    return any(".".join(labels[i:]) in _platforms() for i in range(len(labels) - 1))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def stored_key(kind: str, value: str) -> tuple[str, str | None]:
    """The index key of a stored entity (value as :func:`app.store.values.normalize_entity`
    wrote it) and the bank or wallet code it names.

    A path-less link lists its host (and every sub-domain of it), like a domain does.
    """
    match kind:
        case "phone":
            return "p" + value, None
        case "ewallet":
            code, _, phone = value.partition(":")
            return "w" + phone, code
        case "bank_account":
            code, sep, digits = value.rpartition(":")
            return "b" + digits, (code if sep else None)
        case "domain":
            return "h" + value, None
        case "url":
            host, rest = host_path(value)
            return ("u" + host + rest if rest else "h" + host), None
        case _:  # handle: the platform prefix does not matter, the name does
            return "@" + value.rpartition(":")[2].lstrip("@"), None


def url_candidates(host: str, rest: str) -> Iterator[str]:
    """Keys a link may match, most specific first: the link, its parent paths, its host and
    the domains above it (``login.evil.icu/abc`` matches a listed ``evil.icu``)."""
    if rest:
        yield "u" + host + rest
        path = rest.partition("?")[0]
        if path != rest and path:
            yield "u" + host + path
        while path.count("/") > 1:
            path = path.rsplit("/", 1)[0]
            yield "u" + host + path
    yield "h" + host
    if _is_ip(host):
        return
    labels = host.split(".")
    for i in range(1, len(labels) - 1):
        yield "h" + ".".join(labels[i:])


def phone_candidates(e164: str) -> Iterator[str]:
    """A phone number may be listed as a phone, as an e-wallet, or as an account number
    (Vietnamese banks let people use their mobile number as the account number)."""
    yield "p" + e164
    yield "w" + e164
    if e164.startswith("+84"):
        yield "b0" + e164[3:]
    elif e164.isdigit():  # hotlines are stored as plain digits
        yield "b" + e164
