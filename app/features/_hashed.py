"""Fast n-gram features: hashed in NumPy over a whole batch, then a learned column selection.

scikit-learn's vectorizers build every n-gram as a Python string and look it up in a dict,
about 1 ms for a 200-character message with char 2-5-grams. Here the character n-grams of a
whole batch are hashed at once with a rolling polynomial hash in NumPy, words are hashed with
CRC-32, and ``fit`` keeps the buckets seen in at least ``min_df`` documents (at most
``max_features``), so the model has a compact vocabulary of columns. The same functions map a
single n-gram string to its column, which is how explanations name the terms behind a verdict.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from ._normalizer import field_folded, field_text

__all__ = ["HashedNgrams", "char_ngram_hashes", "word_ngram_hashes"]

_FIELDS = {"text": field_text, "folded": field_folded}
_MULT = np.uint64(0x100000001B3)  # FNV prime: the rolling-hash base
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing to spread the bits
_WORD = re.compile(r"\w+")


def _bucket(h: np.ndarray, n: int, bits: int) -> np.ndarray:
    h = (h + np.uint64(n) * np.uint64(0x632BE59BD9B4E019)) * _MIX
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def char_ngram_hashes(texts: list[str], lo: int, hi: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(document index, bucket) of every character n-gram of every text, lo <= n <= hi."""
    if not texts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    cp = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lens)
    docs, buckets = [], []
    h = cp.copy()
    with np.errstate(over="ignore"):
        for n in range(1, hi + 1):
            if n > 1:
                h = h[:-1] * _MULT + cp[n - 1 :]
            if n >= lo and len(h):
                same = doc[: len(h)] == doc[n - 1 :]
                docs.append(doc[: len(h)][same])
                buckets.append(_bucket(h[same], n, bits))
            if len(h) <= 1:
                break
    if not docs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(docs), np.concatenate(buckets)


def _word_hashes(tokens: list[str]) -> np.ndarray:
    # CRC-32 of each token's UTF-8 bytes. One encode of the joined tokens and a split (a \w token
    # never holds NUL) keep the loop in C: a generator with one encode() per token cost 3x more.
    parts = "\x00".join(tokens).encode("utf-8", "surrogatepass").split(b"\x00")
    return np.fromiter(map(zlib.crc32, parts), dtype=np.uint64, count=len(tokens))


def word_ngram_hashes(texts: list[str], lo: int, hi: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(document index, bucket) of every word n-gram (``\\w+`` tokens), lo <= n <= hi."""
    toks = [_WORD.findall(t) for t in texts]
    lens = np.fromiter((len(t) for t in toks), dtype=np.int64, count=len(toks))
    flat = [w for t in toks for w in t]
    if not flat:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    base = _word_hashes(flat)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lens)
    docs, buckets = [], []
    h = base.copy()
    with np.errstate(over="ignore"):
        for n in range(1, hi + 1):
            if n > 1:
                h = h[:-1] * _MULT + base[n - 1 :]
            if n >= lo and len(h):
                same = doc[: len(h)] == doc[n - 1 :]
                docs.append(doc[: len(h)][same])
                buckets.append(_bucket(h[same], n + 16, bits))
            if len(h) <= 1:
                break
    return np.concatenate(docs), np.concatenate(buckets)


class HashedNgrams(TransformerMixin, BaseEstimator):
    """Counts of hashed char or word n-grams of one field of :class:`NormalizedText`.

    Parameters
    ----------
    kind : {"char", "word"}
    field : {"text", "folded"}
        Which form of the normalized message to read.
    ngram_range : tuple of int
    bits : int
        Hash space is ``2**bits`` buckets before selection.
    min_df : int
        Keep buckets seen in at least this many training documents.
    max_features : int
        Keep at most this many buckets (the most frequent).
    """

    def __init__(
        self, kind="char", field="folded", ngram_range=(2, 5), bits=22, min_df=2, max_features=300_000
    ):
        self.kind = kind
        self.field = field
        self.ngram_range = ngram_range
        self.bits = bits
        self.min_df = min_df
        self.max_features = max_features

    def _hashes(self, X) -> tuple[np.ndarray, np.ndarray]:
        get = _FIELDS[self.field]
        texts = [get(x) if not isinstance(x, str) else " " + x + " " for x in X]
        lo, hi = self.ngram_range
        fn = char_ngram_hashes if self.kind == "char" else word_ngram_hashes
        return fn(texts, lo, hi, self.bits)

    def fit(self, X, y=None):
        doc, bucket = self._hashes(X)
        pairs = np.unique(doc * (1 << self.bits) + bucket)  # one count per document and bucket
        df = np.bincount(pairs % (1 << self.bits), minlength=1 << self.bits)
        keep = np.flatnonzero(df >= self.min_df)
        if len(keep) > self.max_features:
            keep = keep[np.argsort(-df[keep], kind="stable")[: self.max_features]]
            keep.sort()
        self.columns_ = np.full(1 << self.bits, -1, dtype=np.int32)
        self.columns_[keep] = np.arange(len(keep), dtype=np.int32)
        self.n_features_out_ = len(keep)
        return self

    def transform(self, X):
        doc, bucket = self._hashes(X)
        col = self.columns_[bucket]
        ok = col >= 0
        n, width = len(X), max(int(self.n_features_out_), 1)
        # Counts in CSR order from one sort of (row, column) keys for the whole batch: scipy's
        # coo -> csr -> sum_duplicates sorted every row again, at about twice the cost. Row
        # boundaries come from binary searches rather than dividing every key.
        keys = doc[ok] * width + col[ok]
        keys.sort()
        if len(keys):
            new = np.empty(len(keys), dtype=bool)
            new[0] = True
            np.not_equal(keys[1:], keys[:-1], out=new[1:])
            first = np.flatnonzero(new)
            counts = np.diff(first, append=len(keys))
            keys = keys[first]
        else:
            counts = keys
        indptr = np.searchsorted(keys, np.arange(n + 1, dtype=np.int64) * width)
        cols = keys - np.repeat(np.arange(n, dtype=np.int64) * width, np.diff(indptr))
        m = sp.csr_matrix(
            (counts.astype(np.float64), cols.astype(np.int32), indptr), shape=(n, self.n_features_out_)
        )
        m.has_sorted_indices = True
        m.has_canonical_format = True
        return m

    def column_of(self, ngram: str) -> int:
        """The column of one n-gram string (as it appears in the field), or -1."""
        if self.kind == "char":
            _, b = char_ngram_hashes([ngram], len(ngram), len(ngram), self.bits)
        else:
            n = len(_WORD.findall(ngram))
            _, b = word_ngram_hashes([ngram], n, n, self.bits)
        return int(self.columns_[b[0]]) if len(b) else -1

    def occurrences(self, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arrays ``(starts, ends, columns)`` of every kept n-gram of one message, in field
        coordinates (offsets into ``NormalizedText.text``/``.folded``; padding removed).

        One hashing call covers every n-gram, in the order the batch functions emit them
        (by n, then by position), so this costs about as much as transforming the message.
        """
        field = _FIELDS[self.field](x) if not isinstance(x, str) else " " + x + " "
        lo, hi = self.ngram_range
        if self.kind == "char":
            _, b = char_ngram_hashes([field], lo, hi, self.bits)
            L = len(field)
            starts = np.concatenate(
                [np.arange(max(L - n + 1, 0)) for n in range(lo, hi + 1)] or [np.zeros(0)]
            )
            lens = np.concatenate([np.full(max(L - n + 1, 0), n) for n in range(lo, hi + 1)] or [np.zeros(0)])
            starts, ends = starts - 1, starts - 1 + lens
        else:
            spans = np.array([m.span() for m in _WORD.finditer(field)], dtype=np.int64).reshape(-1, 2)
            _, b = word_ngram_hashes([field], lo, hi, self.bits)
            k = len(spans)
            starts = np.concatenate(
                [spans[: max(k - n + 1, 0), 0] for n in range(lo, hi + 1)] or [np.zeros(0)]
            )
            ends = np.concatenate([spans[n - 1 :, 1] for n in range(lo, hi + 1) if n <= k] or [np.zeros(0)])
            starts, ends = starts - 1, ends - 1
        cols = self.columns_[b] if len(b) else np.zeros(0, dtype=np.int32)
        keep = cols >= 0
        return starts[keep].astype(np.int64), ends[keep].astype(np.int64), cols[keep].astype(np.int64)

    def get_feature_names_out(self, input_features=None):
        return np.array([f"{self.kind}_{self.field}_{i}" for i in range(self.n_features_out_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags
