"""``EntityIndex``: the suspicious-entity list in memory, for look-ups in microseconds."""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from ._keys import phone_candidates, stored_key, url_candidates

__all__ = ["EntityIndex", "Match", "STATUSES", "KINDS"]

STATUSES = ("reported", "confirmed", "cleared")
KINDS = ("bank_account", "ewallet", "phone", "domain", "url", "handle")
_STRENGTH = {0: 2, 1: 3, 2: 1}  # confirmed beats reported beats cleared
_KIND_IX = {k: i for i, k in enumerate(KINDS)}
_STATUS_IX = {s: i for i, s in enumerate(STATUSES)}


@dataclass(frozen=True, slots=True)
class Match:
    """A listed entity a value matched: its row, the listed key, status and evidence."""

    id: int
    kind: str
    listed: str  # what is listed: "evil.icu", "VCB:0071000986547", "+84912345678" ...
    status: str
    messages: int
    cases: int
    source: str | None
    first_seen: datetime
    last_seen: datetime

    @property
    def known(self) -> bool:
        """Listed and not cleared as a false report."""
        return self.status != "cleared"


class EntityIndex:
    """Every listed entity under one key (see :mod:`app.entities._keys`), with its evidence.

    Rows live in parallel arrays (about 50 bytes each) and a dict maps each key to a row
    position, or to a tuple of them when several rows share a key (one account number at two
    banks, ``http://`` and ``https://`` links to one host). Writers take a lock and publish a
    key only after its row exists, so readers never lock and never see half a row.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> ix = EntityIndex()
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> ix.put(1, "domain", "evil.icu", "confirmed", "chongluadao", t, t, 0, 0)
    >>> ix.lookup_url("https://login.evil.icu/abc").listed
    'evil.icu'
    """

    def __init__(self) -> None:
        self._keys: dict[str, int | tuple[int, ...]] = {}
        self._id = array("q")
        self._kind = bytearray()
        self._status = bytearray()
        self._code = array("H")  # index into _codes; 0: no bank named
        self._messages = array("l")
        self._cases = array("l")
        self._first = array("d")
        self._last = array("d")
        self._source = array("L")  # index into _sources; 0: no source
        self._codes: list[str | None] = [None]
        self._code_ix: dict[str | None, int] = {None: 0}
        self._sources: list[str | None] = [None]
        self._source_ix: dict[str | None, int] = {None: 0}
        self._lock = threading.Lock()
        self.watermark: datetime | None = None  # newest updated_at applied (for polling)

    def __len__(self) -> int:
        return len(self._id)

    # -- writing -----------------------------------------------------------------------------
    def _intern(self, table: list, ix: dict, value: str | None) -> int:
        i = ix.get(value)
        if i is None:
            i = ix[value] = len(table)
            table.append(value)
        return i

    def put(
        self,
        id: int,
        kind: str,
        value: str,
        status: str,
        source: str | None,
        first_seen: datetime,
        last_seen: datetime,
        messages: int,
        cases: int,
    ) -> None:
        """Add the stored entity ``id`` or replace what the index knows of it."""
        with self._lock:
            self._put(id, kind, value, status, source, first_seen, last_seen, messages, cases)

    def _put(self, id, kind, value, status, source, first_seen, last_seen, messages, cases) -> None:
        key, code = stored_key(kind, value)
        code_i = self._code_ix.get(code)
        if code_i is None:
            code_i = self._intern(self._codes, self._code_ix, code)
        source_i = self._source_ix.get(source)
        if source_i is None:
            source_i = self._intern(self._sources, self._source_ix, source)
        held = self._keys.get(key)
        pos = None
        if held is not None:
            for p in (held,) if isinstance(held, int) else held:
                if self._id[p] == id:
                    pos = p
                    break
        if pos is None:
            # Rows first, key last: a reader that finds the key finds the whole row.
            self._id.append(id)
            self._kind.append(_KIND_IX[kind])
            self._status.append(_STATUS_IX[status])
            self._code.append(code_i)
            self._messages.append(messages)
            self._cases.append(cases)
            self._first.append(first_seen.timestamp())
            self._last.append(last_seen.timestamp())
            self._source.append(source_i)
            pos = len(self._id) - 1
            if held is None:
                self._keys[key] = pos
            else:
                self._keys[key] = (held, pos) if isinstance(held, int) else (*held, pos)
        else:
            self._status[pos] = _STATUS_IX[status]
            self._code[pos] = code_i
            self._messages[pos] = messages
            self._cases[pos] = cases
            self._first[pos] = first_seen.timestamp()
            self._last[pos] = last_seen.timestamp()
            self._source[pos] = source_i

    def put_rows(self, rows: Iterable) -> int:
        """Apply rows of :data:`app.store.repo.INDEX_COLUMNS` (in that order); returns how many."""
        n = 0
        watermark = self.watermark
        with self._lock:
            put = self._put
            for id, kind, value, status, source, first, last, messages, cases, updated in rows:
                put(id, kind, value, status, source, first, last, messages, cases)
                if watermark is None or updated > watermark:
                    watermark = updated
                n += 1
            self.watermark = watermark
        return n

    # -- reading -----------------------------------------------------------------------------
    def _match(self, key: str, pos: int) -> Match:
        code = self._codes[self._code[pos]]
        kind = KINDS[self._kind[pos]]
        listed = key[1:]
        if kind == "bank_account" and code:
            listed = f"{code}:{listed}"
        elif kind == "ewallet":
            listed = f"{code}:{listed}"
        elif kind == "handle":
            listed = key
        return Match(
            id=self._id[pos],
            kind=kind,
            listed=listed,
            status=STATUSES[self._status[pos]],
            messages=self._messages[pos],
            cases=self._cases[pos],
            source=self._sources[self._source[pos]],
            first_seen=datetime.fromtimestamp(self._first[pos], UTC),
            last_seen=datetime.fromtimestamp(self._last[pos], UTC),
        )

    def _best(self, key: str, code: str | None = None) -> Match | None:
        held = self._keys.get(key)
        if held is None:
            return None
        positions = (held,) if isinstance(held, int) else held
        best, rank = None, None
        for p in positions:
            listed_code = self._codes[self._code[p]]
            # Two different banks named: two different accounts that share digits.
            if code and listed_code and listed_code != code and key[0] in "bw":
                continue
            r = (listed_code == code, _STRENGTH[self._status[p]])
            if rank is None or r > rank:
                best, rank = p, r
        return None if best is None else self._match(key, best)

    def _first_of(self, keys: Iterator[str], code: str | None = None) -> Match | None:
        for key in keys:
            m = self._best(key, code)
            if m is not None:
                return m
        return None

    def lookup_url(self, url: str) -> Match | None:
        """The most specific listing of a link, a host or a domain above it."""
        from ._keys import host_path

        return self._first_of(url_candidates(*host_path(url)))

    def lookup_phone(self, e164: str) -> Match | None:
        """A phone number listed as a phone, an e-wallet or an account number."""
        return self._first_of(phone_candidates(e164))

    def lookup_account(self, digits: str, code: str | None = None) -> Match | None:
        """An account number at bank ``code`` (or at any bank when None)."""
        return self._best("b" + digits, code)

    def lookup_wallet(self, e164: str, code: str | None = None) -> Match | None:
        """An e-wallet number; a wallet is also a phone number, listed either way."""
        return self._best("w" + e164, code) or self._best("p" + e164)

    def lookup_handle(self, handle: str) -> Match | None:
        return self._best("@" + handle.rpartition(":")[2].lstrip("@").lower())

    def match_entity(self, entity: dict) -> Match | None:
        """The listing an entity found in a message matches (``entity`` as in a verdict)."""
        kind, value = entity.get("kind"), entity.get("value") or ""
        if kind == "url":
            return self.lookup_url(value)
        if kind == "phone":
            return self.lookup_phone(value)
        if kind == "bank_account":
            if not value.isdigit():
                return None  # masked (0071xxx547): not one account
            code = (entity.get("attrs") or {}).get("bank")
            found = self.lookup_account(value, code)
            if found is None and value.startswith("0") and len(value) == 10:
                found = self.lookup_phone("+84" + value[1:])
            return found
        if kind == "handle":
            return self.lookup_handle(value)
        return None

    def stats(self) -> dict[str, int]:
        """How many rows by status (for logs and the benchmark)."""
        out = dict.fromkeys(STATUSES, 0)
        for s in self._status:
            out[STATUSES[s]] += 1
        return out
