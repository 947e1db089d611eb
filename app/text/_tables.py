"""The data tables behind the text layer, loaded once from ``app/text/data/*.yaml``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

__all__ = ["Tables", "tables", "fold", "FOLD_TABLE", "TONE_MARKS"]

DATA_DIR = Path(__file__).parent / "data"

# The five Vietnamese tone marks as combining characters (grave, acute, hook, tilde, dot).
TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"


def _build_fold_table() -> dict[int, str]:
    """One-to-one map from every precomposed Latin letter to its base letter (đ -> d).

    One-to-one matters: the folded text keeps the offsets of the text it folds, so a match
    found on the folded form is a match on the original.
    """
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for cp in range(0x00C0, 0x1F00):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii() and base.isalpha():
            table[cp] = base
    return table


FOLD_TABLE = _build_fold_table()

# The marks Vietnamese writes on a letter: the five tones, circumflex, breve and horn.
_VI_MARKS = frozenset(TONE_MARKS + "\u0302\u0306\u031b")
# Latin letters with no decomposition that stand in for a plain one in disguised text
_FOREIGN_SPECIAL = {
    "ŋ": "n",
    "Ŋ": "N",
    "ħ": "h",
    "Ħ": "H",
    "ı": "i",
    "ł": "l",
    "Ł": "L",
    "ø": "o",
    "Ø": "O",
    "ŧ": "t",
    "Ŧ": "T",
    "ƀ": "b",
    "ɨ": "i",
    "ʉ": "u",
    "ƙ": "k",
    "ɗ": "d",
    "ɓ": "b",
}


def is_vietnamese_letter(ch: str) -> bool:
    """Whether the precomposed letter ``ch`` is spelled in Vietnamese (ă, ệ, ữ, đ; not š, ŷ, ē)."""
    if ch in "đĐ":
        return True
    base, *marks = unicodedata.normalize("NFD", ch)
    if not marks:
        return True
    b = base.lower()
    if any(m not in _VI_MARKS for m in marks) or sum(m in TONE_MARKS for m in marks) > 1:
        return False
    if "\u0306" in marks and b != "a" or "\u031b" in marks and b not in "ou":
        return False
    if "\u0302" in marks and b not in "aeo":
        return False
    return b in "aeiouy"


def _build_foreign_table() -> dict[int, str]:
    """One-to-one map from Latin letters Vietnamese never writes (š, ŋ, ĕ, ŷ, ǹ) to the plain
    letter: bulk SMS use them so "ThâŋGửį" reads as "ThânGửi" to a person but not to a filter."""
    table = {ord(k): v for k, v in _FOREIGN_SPECIAL.items()}
    for cp in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii() and base.isalpha() and not is_vietnamese_letter(ch):
            table[cp] = base
    return table


def fold(text: str) -> str:
    """Remove Vietnamese diacritics, character for character (``len`` is preserved)."""
    return text if text.isascii() else text.translate(FOLD_TABLE)


def _load(name: str):
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@dataclass(frozen=True)
class Teencode:
    default: str | None
    rules: tuple[tuple[frozenset[str], str], ...]


@dataclass(frozen=True)
class Tables:
    leet_primary: dict[str, str]
    leet_alternatives: dict[str, tuple[str, ...]]
    homoglyphs: dict[int, str]
    words: frozenset[str]
    lookalikes: dict[str, str]
    teencode: dict[str, Teencode]
    teencode_re: re.Pattern[str]
    banks: dict[str, str]  # alias (lower, folded) -> code
    bank_re: re.Pattern[str]
    tlds: tuple[str, ...]
    spaced_tlds: tuple[str, ...]
    ambiguous_tlds: tuple[str, ...]
    shorteners: frozenset[str]
    free_hosting: frozenset[str]  # hosts (and their sub-domains) where anyone publishes a page


@cache
def tables() -> Tables:
    """Load and compile every table (cached: the first call pays, later ones are free)."""
    leet = _load("leet.yaml")
    words = _load("words.yaml")
    teen_raw = _load("teencode.yaml")
    teencode: dict[str, Teencode] = {}
    for key, value in teen_raw.items():
        if isinstance(value, dict):
            rules = tuple(
                (frozenset(fold(w) for w in r["words"]), r["then"]) for r in value.get("when_near", [])
            )
            teencode[str(key)] = Teencode(value.get("default"), rules)
        else:
            teencode[str(key)] = Teencode(value, ())
    keys = sorted(teencode, key=len, reverse=True)
    teencode_re = re.compile(r"(?<![\w@#])(?:" + "|".join(map(re.escape, keys)) + r")(?![\w@#])")
    banks: dict[str, str] = {}
    for code, aliases in _load("banks.yaml").items():
        for alias in aliases:
            banks[fold(alias.lower())] = code
    bank_re = re.compile(
        r"(?<![\w])(?:" + "|".join(re.escape(a) for a in sorted(banks, key=len, reverse=True)) + r")(?![\w])"
    )
    tld = _load("tlds.yaml")
    return Tables(
        leet_primary={str(k): v for k, v in leet["primary"].items()},
        leet_alternatives={str(k): tuple(v) for k, v in leet["alternatives"].items()},
        homoglyphs=_build_foreign_table() | {ord(k): v for k, v in _load("homoglyphs.yaml").items()},
        words=frozenset(words["words"]),
        lookalikes=dict(words["lookalikes"]),
        teencode=teencode,
        teencode_re=teencode_re,
        banks=banks,
        bank_re=bank_re,
        tlds=tuple(tld["tlds"]),
        spaced_tlds=tuple(tld["spaced_ok"]),
        ambiguous_tlds=tuple(tld.get("ambiguous", ())),
        shorteners=frozenset(tld["shorteners"]),
        free_hosting=frozenset(tld["free_hosting"]),
    )


def is_free_host(host: str) -> bool:
    """Whether ``host`` is, or is under, a host where anyone can publish a page for free."""
    labels = host.split(".")
    free = tables().free_hosting
    return any(".".join(labels[i:]) in free for i in range(len(labels) - 1))
