"""Unicode clean-up: invisible characters, fancy letters, look-alikes and tone placement."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from ._align import OffsetMap, rewrite
from ._disguise import is_syllable
from ._tables import TONE_MARKS, fold, is_vietnamese_letter, tables

__all__ = ["clean_unicode"]

# Characters with no visible form that are used to split words so filters miss them:
# C0/C1 controls (whitespace controls become spaces below), soft hyphen, zero-width and
# bidi controls, word joiners, BOM, variation selectors, and lone surrogates.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff"
    "\ufff0-\ufff8\ud800-\udfff]+"
)
_CONTROL_SPACE = re.compile("[\t\n\x0b\x0c\r\x85\u2028\u2029]")

# A base character with the combining marks that follow it; the unit NFKC works on.
_CLUSTER = re.compile(
    "[^\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f][\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+|[^\x00-\x7f]"
)

# The open rhymes oa, oe, uy written the "new" way (tone on the second vowel: hoà, thuý)
# are moved to the older, more common placement (hòa, thúy). In "quý" the u belongs to the
# onset "qu", so it keeps its mark.
_TONE_PLACEMENT = re.compile("(?<![qQ])([oO][àáảãạèéẻẽẹÀÁẢÃẠÈÉẺẼẸ]|[uU][ỳýỷỹỵỲÝỶỸỴ])(?!\\w)")


@cache
def _glued_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A word with a small letter followed by a capital inside it, and the split points."""
    letters = [chr(c) for c in [*range(0x41, 0x5B), *range(0x61, 0x7B), *range(0xC0, 0x1EFA)]]
    viet = [c for c in letters if c.isalpha() and (c.isascii() or is_vietnamese_letter(c))]
    lower = re.escape("".join(c for c in viet if c.islower()))
    upper = re.escape("".join(c for c in viet if c.isupper()))
    word = rf"[^\W\d_]*[{lower}][{upper}][^\W\d_]*"
    # not inside a link, an e-mail, a hashtag or a file name: "web.vn/NhanQua" stays whole
    around = rf"(?<![\w@#/])(?<!\w\.){word}(?![\w@/]|\.\w)"
    return re.compile(around), re.compile(rf"(?<=[{lower}])(?=[{upper}])")


def _split_glued(m: re.Match[str]) -> str | None:
    """ "NhậnThưởngNgay" -> "Nhận Thưởng Ngay" when every part is a Vietnamese syllable; brand
    names ("MoMo", "ZaloPay", "VietinBank") and anything else stay as written."""
    word = m.group()
    t = tables()
    key = word.lower()
    if key in t.words or key in t.lookalikes or fold(key) in t.banks:
        return None
    parts = _glued_res()[1].split(word)
    if any(len(p) < 2 or not is_syllable(p) for p in parts):
        return None
    return " ".join(parts)


# Salt: punctuation sprinkled inside words so that filters miss them, mostly in casino and fake
# benefit SMS ("N'ha'nL,jen:Qu", "La,yNg,ay_Ba'y~9Ng'hjn"). A token of letters, digits and salt
# characters; links, e-mail addresses and hashtags are left alone.
_SALT = re.escape(",'\":;~^*_`")
_SALT_RUN = re.compile(rf"[{_SALT}]+")
_SALTED = re.compile(rf"(?<![\w/@#.{_SALT}])(?=[\w.]*[{_SALT}])[\w.{_SALT}]++(?![/@])")
_SALT_BETWEEN = re.compile(rf"(?<=[^\W\d_])[{_SALT}]+(?=[^\W\d_])")
# dots count as salt inside such a token ("Qu.a"), but not to tell salt is there
_SALT_OR_DOT = re.compile(rf"[.{_SALT}]+")
_EDGES = re.compile(rf"^([.{_SALT}]*)(.*?)([.{_SALT}]*)$", re.S)


@cache
def _part_split_re() -> re.Pattern[str]:
    """Split points of a desalted token: a small letter before a capital, and letters next to digits."""
    lower_upper = _glued_res()[1].pattern
    return re.compile(rf"{lower_upper}|(?<=\d)(?=\D)|(?<=\D)(?=\d)")


def _syllable_like(part: str) -> bool:
    """A syllable as bulk SMS spell it: "j" may stand for "i" ("Nghjn", "Tjen")."""
    low = part.lower()
    return is_syllable(low) or ("j" in low and is_syllable(low.replace("j", "i")))


def _parts(word: str) -> list[str]:
    """``word`` cut at capitals and digits, with pieces that are no syllable on their own joined
    to the next when together they are one ("Nh" + "Ảp" -> "NhẢp")."""
    out: list[str] = []
    for p in _part_split_re().split(word):
        if out and out[-1].isalpha() and p.isalpha() and not _syllable_like(out[-1]):
            if _syllable_like(out[-1] + p):
                out[-1] += p
                continue
        out.append(p)
    return [p for p in out if p]


def _desalt(m: re.Match[str]) -> str | None:
    """ "N'ha'nL,jen:Qu.a" -> "Nhan Ljen Qua": take the salt out of a token when it cuts syllables
    and the token then reads as syllables written together. A list ("khoẻ,ngoan,có"), a grade
    sheet ("DTB:8.90,HL:G"), a link or an abbreviation keeps its punctuation."""
    lead, token, trail = _EDGES.match(m.group()).groups()
    if len(_SALT_BETWEEN.findall(token)) < 2:
        return None
    pieces = [p for piece in _SALT_OR_DOT.split(token) for p in _part_split_re().split(piece) if p]
    if "." in token and pieces[-1].lower() in tables().tlds:
        return None  # "N,ha7lX,uoacx.tech": the link finder takes it
    if all(not p.isalpha() or (len(p) > 1 and _syllable_like(p)) for p in pieces):
        return None  # the salt falls between words: punctuation, not disguise
    parts = _parts(_SALT_OR_DOT.sub("", token))
    words = [p for p in parts if p.isalpha()]
    if len(words) < 2 or sum(map(_syllable_like, words)) < 0.75 * len(words):
        return None
    return lead + " ".join(parts) + trail


@cache
def _homoglyph_re() -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(c)) for c in tables().homoglyphs) + "]")


def _move_tone(m: re.Match[str]) -> str | None:
    pair = m.group(1)
    if pair is None:
        return None
    first, second = pair[0], unicodedata.normalize("NFD", pair[1])
    base, marks = second[0], second[1:]
    tone = "".join(c for c in marks if c in TONE_MARKS)
    if not tone:
        return None
    return unicodedata.normalize("NFC", first + tone) + base


def _nfkc_cluster(m: re.Match[str]) -> str | None:
    s = m.group()
    out = unicodedata.normalize("NFKC", s)
    return None if out == s else out


def clean_unicode(raw: str) -> tuple[str, list[OffsetMap], dict[str, int]]:
    """Clean ``raw`` and return the text, the offset maps back to ``raw``, and counts.

    Counts: ``invisible`` characters removed, ``fancy`` letters folded (𝐁, Ｂ, Ⓑ),
    ``homoglyph`` letters from other scripts or with accents Vietnamese never writes replaced,
    ``salted`` words cut by sprinkled punctuation rejoined ("N'ha'nL,jen" -> "Nhan Ljen"),
    ``glued`` words written together with capitals ("TặngRiêngBạn") split.
    """
    maps: list[OffsetMap] = []
    counts = {"invisible": 0, "fancy": 0, "homoglyph": 0, "glued": 0, "salted": 0}
    text = raw

    text = _CONTROL_SPACE.sub(" ", text)  # same length: no map needed

    def drop(m: re.Match[str]) -> str:
        counts["invisible"] += len(m.group())
        return ""

    text, om = rewrite(text, _INVISIBLE, drop)
    if om:
        maps.append(om)

    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):

        def nfkc(m: re.Match[str]) -> str | None:
            out = _nfkc_cluster(m)
            if out is not None and out != unicodedata.normalize("NFC", m.group()):
                counts["fancy"] += 1
            return out

        text, om = rewrite(text, _CLUSTER, nfkc)
        if om:
            maps.append(om)

    if not text.isascii():
        homo = tables().homoglyphs
        found = _homoglyph_re().findall(text)
        if found:
            counts["homoglyph"] = len(found)
            text = text.translate(homo)  # one letter for one letter: offsets unchanged
        text, om = rewrite(text, _TONE_PLACEMENT, _move_tone)
        if om:
            maps.append(om)

    if _SALT_BETWEEN.search(text):

        def desalt(m: re.Match[str]) -> str | None:
            out = _desalt(m)
            if out is not None:
                counts["salted"] += 1
            return out

        text, om = rewrite(text, _SALTED, desalt)
        if om:
            maps.append(om)

    def split(m: re.Match[str]) -> str | None:
        out = _split_glued(m)
        if out is not None:
            counts["glued"] += 1
        return out

    text, om = rewrite(text, _glued_res()[0], split)
    if om:
        maps.append(om)
    return text, maps, counts
