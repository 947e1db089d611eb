"""Dense signals from entities and disguise: the things a person would point at."""

from __future__ import annotations

import math
import re

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from app.text import NormalizedText

__all__ = ["SignalFeatures", "SIGNAL_NAMES", "SUSPICIOUS_TLDS", "url_flags"]

SUSPICIOUS_TLDS = frozenset(
    "icu top xyz vip cfd club online site shop live click link cyou sbs bond buzz lat monster rest bar "
    "best work tk ml ga cf gq pw win bet fun today life world space website loan casino men".split()
)
_BRANDS = re.compile(
    r"vietcombank|vcb|vietinbank|bidv|agribank|techcombank|tcb|mbbank|acb|vpbank|tpbank|sacombank|"
    r"shopee|lazada|tiki|tiktok|momo|zalopay|viettel|vinaphone|mobifone|evn|bhxh|vssid|vneid|"
    r"dichvucong|chinhphu|congan|bocongan|thue|etax|gdt|vnpost|ghn|ghtk|jnt|facebook|zalo"
)
_OFFICIAL = re.compile(
    r"(?:^|\.)(?:gov\.vn|vietcombank\.com\.vn|vietinbank\.vn|bidv\.com\.vn|agribank\.com\.vn|"
    r"techcombank\.com(?:\.vn)?|mbbank\.com\.vn|acb\.com\.vn|vpbank\.com\.vn|tpb\.vn|sacombank\.com\.vn|"
    r"shopee\.vn|lazada\.vn|tiki\.vn|momo\.vn|zalopay\.vn|viettel\.vn|vinaphone\.com\.vn|mobifone\.vn|"
    r"evn\.com\.vn|facebook\.com|zalo\.me|google\.com|youtube\.com|edu\.vn)$"
)

SIGNAL_NAMES = (
    "n_url", "n_email", "n_phone", "n_bank_account", "n_money", "n_otp", "n_handle",
    "url_suspicious_tld", "url_shortener", "url_ip", "url_apk", "url_messaging", "url_brand_lookalike",
    "url_official", "phone_foreign", "phone_hotline", "money_max", "disguise", "leet", "spaced", "fancy",
    "invisible", "length", "upper_ratio", "exclaim",
)  # fmt: skip


def url_flags(host: str, url: str) -> dict[str, bool]:
    """Flags for one link: suspicious TLD, shortener, raw IP, APK, messaging, look-alike, official."""
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    official = bool(_OFFICIAL.search(host))
    return {
        "suspicious_tld": tld in SUSPICIOUS_TLDS,
        "ip": bool(re.fullmatch(r"[\d.]+", host)),
        "apk": url.endswith(".apk") or ".apk?" in url,
        "messaging": host in ("zalo.me", "t.me", "wa.me", "m.me", "telegram.me"),
        "brand_lookalike": bool(_BRANDS.search(host)) and not official,
        "official": official,
    }


_LETTER = re.compile(r"[^\W\d_]")


def _count_letters(text: str) -> int:
    """``sum(c.isalpha() for c in text)``, counted in C."""
    return _LETTER.subn("", text)[1]


def _count_upper(text: str) -> int:
    """The number of upper-case letters (those ``lower()`` changes), counted in NumPy."""
    lower = text.lower()
    if len(lower) != len(text):  # a few letters lower-case to two characters: count one by one
        return sum(c.isupper() for c in text if c.isalpha())
    a = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    b = np.frombuffer(lower.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return int(np.count_nonzero(a != b))


class SignalFeatures(TransformerMixin, BaseEstimator):
    """Entity counts, link and phone flags, amounts and disguise as a small dense block."""

    def fit(self, X, y=None):
        self.n_features_out_ = len(SIGNAL_NAMES)
        return self

    def get_feature_names_out(self, input_features=None):
        return np.array([f"sig__{n}" for n in SIGNAL_NAMES], dtype=object)

    def transform(self, X: list[NormalizedText]):
        out = np.zeros((len(X), len(SIGNAL_NAMES)), dtype=np.float64)
        idx = {n: i for i, n in enumerate(SIGNAL_NAMES)}
        for r, n in enumerate(X):
            row = out[r]
            money = 0.0
            for e in n.entities:
                row[idx["n_" + e.kind]] += 1
                if e.kind == "url":
                    for flag, on in url_flags(e.attrs.get("host", ""), e.value).items():
                        if on:
                            row[idx["url_" + flag]] = 1
                    if e.attrs.get("shortener"):
                        row[idx["url_shortener"]] = 1
                elif e.kind == "phone":
                    if e.attrs.get("country") == "foreign":
                        row[idx["phone_foreign"]] = 1
                    elif e.attrs.get("type") == "hotline":
                        row[idx["phone_hotline"]] = 1
                elif e.kind == "money" and e.attrs.get("amount"):
                    money = max(money, float(e.attrs["amount"]))
            for k in ("n_url", "n_email", "n_phone", "n_bank_account", "n_money", "n_otp", "n_handle"):
                row[idx[k]] = math.log1p(row[idx[k]])
            row[idx["money_max"]] = math.log10(money + 1) / 10
            d = n.disguise
            row[idx["disguise"]] = min(n.disguise_score, 2.0)
            row[idx["leet"]] = min(d["leet"], 5) / 5
            row[idx["spaced"]] = min(d["spaced"], 3) / 3
            row[idx["fancy"]] = 1.0 if d["fancy"] else 0.0
            row[idx["invisible"]] = 1.0 if d["invisible"] else 0.0
            row[idx["length"]] = math.log1p(len(n.raw)) / 8
            letters = _count_letters(n.clean)
            if letters:
                row[idx["upper_ratio"]] = _count_upper(n.clean) / letters
            row[idx["exclaim"]] = min(n.clean.count("!"), 5) / 5
        return sp.csr_matrix(out)
