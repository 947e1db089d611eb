"""Undoing disguise: spaced and dotted letters, leetspeak, look-alike brands and teencode."""

from __future__ import annotations

import re

from ._align import OffsetMap, rewrite
from ._tables import fold, tables

__all__ = ["undo_disguise", "is_syllable"]

# A Vietnamese syllable without tone marks: onset, one to three vowels, coda. "z", "f", "j",
# "w" appear as onsets in chat spelling ("zui", "wa").
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvxzfjw])?"
    r"(?:[aeiouy]{1,3})(?:ng|nh|ch|[cmnpt])?"
)

_LETTER = r"[^\W\d_]"
# v.i.e.t.c.o.m.b.a.n.k, c-h-u-y-e-n, s*h*o*p*e*e, and runs that start or double a dot
# (".v.a..o. .g.o.o.g.l.e"): one or two separators between single letters
_DOTTED = re.compile(rf"(?<![\w\-*·])(?<!\w\.)(?:{_LETTER}[.\-*·_]{{1,2}}){{3,}}{_LETTER}(?![\w\-*·])")
# separators inside words: "ta.i kh.oanta.ng ba.n", "s.inh", "t.¡nh_d.uc", "phuc~vu"; "¡" stands in
# for "i". Links and e-mail addresses are masked before this runs.
_INNER = re.compile(r"(?<![\w.~¡])(?:[^\W\d_]|¡)+(?:[._~](?:[^\W\d_]|¡)+)+(?![\w~¡]|\.[^\W\d_])")
# cheap test for a separator between two letters; most messages fail it
_INNER_HINT = re.compile(r"(?:[^\W\d_]|¡)[._~](?:[^\W\d_]|¡)")
# c h u y e n  k h o a n (two spaces between words)
_SPACED = re.compile(rf"(?<!\S)(?:{_LETTER} {{1,3}}){{3,}}{_LETTER}(?!\S)")
# a token mixing letters with digits or leet symbols
_LEET_TOKEN = re.compile(r"(?<![\w@!$|])(?=[\w@!$|]*[^\W\d_])[\w@!$|]*[0-9@!$|][\w@!$|]*")
_WORD = re.compile(rf"{_LETTER}+")
# "j" after a letter where Vietnamese has "i" ("Mjen phj", "tuyet djnh", "Tjen"): Vietnamese
# spelling has no "j", so bulk SMS use it to dodge filters. A lone "j" is teencode for "gì".
_J_FOR_I = re.compile(r"(?<![\w@])[^\W\d_]*[^\W\d_j]j[^\W\d_]*")
# the same syllable shape as _SYLLABLE, but with the nuclei Vietnamese really has, so that a
# brand such as "doji" does not turn into "doii"
_STRICT_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx])?"
    r"(?:uyê|uye|yê|ye|iê|ie|ươ|uo|uô|oa|oă|oe|uâ|ua|uê|ue|uy|ưa|ia|[aăâeêioôơuưy])"
    r"(?:ng|nh|ch|[cmnptiuoy])?"
)
# cheap test for a letter next to a digit or leet symbol; most messages fail it
_LEET_HINT = re.compile(rf"{_LETTER}[0-9@!$|]|[0-9@!$|]{_LETTER}")


def is_syllable(word: str) -> bool:
    """Whether ``word`` (any case, tones or not) reads as one Vietnamese syllable."""
    return _SYLLABLE.fullmatch(fold(word.lower())) is not None


def _known(word: str) -> str | None:
    t = tables()
    if word in t.lookalikes:
        return t.lookalikes[word]
    if word in t.words or is_syllable(word):
        return word
    return None


def _undo_j(m: re.Match[str], counts: dict[str, int]) -> str | None:
    word = m.group()
    if _known(word) is not None:
        return None
    fixed = word.replace("j", "i")
    if "ii" in fixed:
        return None  # "dji", "vjjet": no Vietnamese syllable doubles "i"
    if fixed in tables().words or _STRICT_SYLLABLE.fullmatch(fold(fixed)):
        # short ones ("chj", "mj") are chat spelling like teencode; longer ones are disguise
        counts["teencode" if len(word) <= 3 else "leet"] += 1
        return fixed
    return None


def _join_run(m: re.Match[str], sep: str, counts: dict[str, int]) -> str | None:
    run = m.group()
    if sep == " ":
        groups = [re.sub(r"\s", "", g) for g in re.split(r" {2,}", run)]
        if len(groups) == 1 and len(groups[0]) < 4:
            return None
    else:
        groups = [re.sub(r"[.\-*·_]", "", run)]
    words = [_known(g) or g for g in groups]
    if sep != " " and _known(groups[0]) is None and len(groups[0]) < 5:
        return None  # "t.p.h" stays an abbreviation
    counts["spaced"] += 1
    return " ".join(words)


_VOWEL_LETTERS = ("a", "e", "i", "o", "u", "y")


def _syllables(word: str, parts: int = 4) -> list[str] | None:
    """``word`` (lower case) cut into at most ``parts`` Vietnamese syllables of two letters or
    more, the longest first ("khoantang" -> ["khoan", "tang"]); None if it does not cut."""
    if not word:
        return []
    if parts == 0:
        return None
    for end in range(min(len(word), 7), 1, -1):
        if _STRICT_SYLLABLE.fullmatch(fold(word[:end])) and fold(word[end:][:1]) not in _VOWEL_LETTERS:
            rest = _syllables(word[end:], parts - 1)
            if rest is not None:
                return [word[:end], *rest]
    return None


def _join_inner(m: re.Match[str], counts: dict[str, int]) -> str | None:
    """Rejoin a word cut by dots, underscores or tildes: one syllable ("ta.i" -> "tai"), or
    several when a piece is no word on its own ("kh.oanta.ng" -> "khoan tang"). Pieces that are
    words already stay words ("anh.em", "bao_cao" -> "anh em", "bao cao"); abbreviations whose
    pieces do not make syllables stay as written ("tp.hcm", "v.v", "q.ba")."""
    chunks = re.split(r"[._~]", m.group().replace("¡", "i"))
    if len(chunks) == 2 and chunks[0] in ("p", "t", "h", "x", "q"):
        return None  # "p.hiệu trưởng", "t.hà": phó, tỉnh, huyện, xã, quận
    t = tables()
    if chunks[-1] in t.tlds or chunks[-1] in t.ambiguous_tlds:
        return None  # a domain the link finder left alone ("home.top", "t.me")
    joined = "".join(chunks)
    if len(joined) >= 3 and (joined in t.words or _STRICT_SYLLABLE.fullmatch(fold(joined))):
        counts["spaced"] += 1
        return joined
    known = [_known(c) is not None and len(c) > 1 for c in chunks]
    if not all(known):
        cut = _syllables(joined) if len(joined) >= 4 else None
        if cut and len(cut) > 1:
            counts["spaced"] += 1
            return " ".join(cut)
        return None
    return " ".join(chunks)


def _undo_leet(m: re.Match[str], counts: dict[str, int]) -> str | None:
    token = m.group()
    # "@", "!", "$" and "|" at the edges are punctuation ("ngay!"), not letters
    body = token.lstrip("@!$|")
    lead = token[: len(token) - len(body)]
    core = body.rstrip("@!$|")
    trail = body[len(core) :]
    if sum(c.isalpha() for c in core) < 2:
        return None  # "4G", "500k", "A1": too little text to be a disguised word
    fixed = _fix_leet(core)
    if fixed is None:
        return None
    counts["leet"] += 1
    return lead + fixed + trail


def _fix_leet(core: str) -> str | None:
    t = tables()
    if not any(c in t.leet_primary or c in t.leet_alternatives for c in core):
        return None
    if core.isdigit():
        return None
    primary = "".join(t.leet_primary.get(c, c) for c in core)
    if primary != core and not any(ch.isdigit() or ch in "@!$|" for ch in primary):
        hit = _known(primary)
        if hit:
            return hit
    for i, c in enumerate(core):
        for alt in t.leet_alternatives.get(c, ()):
            cand = primary[:i] + alt + primary[i + 1 :]
            if not any(ch.isdigit() or ch in "@!$|" for ch in cand):
                hit = _known(cand)
                if hit:
                    return hit
    return None


def _teencode(text: str, counts: dict[str, int]) -> tuple[str, OffsetMap | None]:
    t = tables()
    words: list[str] | None = None
    starts: list[int] | None = None

    def repl(m: re.Match[str]) -> str | None:
        nonlocal words, starts
        entry = t.teencode.get(m.group())
        if entry is None:
            return None
        out = entry.default
        if entry.rules:
            if words is None:
                found = list(_WORD.finditer(text))
                words = [fold(w.group()) for w in found]
                starts = [w.start() for w in found]
            from bisect import bisect_left

            i = bisect_left(starts, m.start())
            near = set(words[max(0, i - 3) : i] + words[i + 1 : i + 4])
            for keys, then in entry.rules:
                if near & keys:
                    out = then
                    break
        if out is None or out == m.group():
            return None
        counts["teencode"] += 1
        return out

    return rewrite(text, t.teencode_re, repl)


def undo_disguise(text: str) -> tuple[str, list[OffsetMap], dict[str, int]]:
    """Undo disguise in lower-cased, entity-masked ``text``; return text, maps and counts.

    Counts: ``spaced`` runs of spaced or dotted letters joined, ``leet`` tokens rewritten,
    ``teencode`` abbreviations expanded.
    """
    counts = {"spaced": 0, "leet": 0, "teencode": 0}
    maps: list[OffsetMap] = []
    if "." in text or "-" in text or "*" in text or "·" in text or "_" in text:
        text, om = rewrite(text, _DOTTED, lambda m: _join_run(m, ".", counts))
        if om:
            maps.append(om)
    if _INNER_HINT.search(text):
        text, om = rewrite(text, _INNER, lambda m: _join_inner(m, counts))
        if om:
            maps.append(om)
    text, om = rewrite(text, _SPACED, lambda m: _join_run(m, " ", counts))
    if om:
        maps.append(om)
    if _LEET_HINT.search(text):
        text, om = rewrite(text, _LEET_TOKEN, lambda m: _undo_leet(m, counts))
        if om:
            maps.append(om)
    if "j" in text:
        text, om = rewrite(text, _J_FOR_I, lambda m: _undo_j(m, counts))
        if om:
            maps.append(om)
    text, om = _teencode(text, counts)
    if om:
        maps.append(om)
    return text, maps, counts
