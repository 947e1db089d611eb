"""Filling the list: a blocklist file (streamed, batched) and the entities of scam cases."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from ._guess import listing_for
from ._keys import EWALLETS, host_path, is_platform

__all__ = ["ImportReport", "import_list", "add_entities_from_case", "case_entities"]

_HOSTS_FILE = re.compile(r"^(?:0\.0\.0\.0|127\.0\.0\.1|::1?)\s+(\S+)")
MAX_BAD_SHOWN = 20


@dataclass
class ImportReport:
    """What an import did: lines read, entities upserted, new ones, and the lines refused."""

    lines: int = 0
    entities: int = 0
    new: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    bad: int = 0
    bad_lines: list[dict] = field(default_factory=list)  # the first few: line number and why

    def as_dict(self) -> dict:
        return {
            "lines": self.lines,
            "entities": self.entities,
            "new": self.new,
            "kinds": self.kinds,
            "bad": self.bad,
            "bad_lines": self.bad_lines,
        }


def _listings(path: Path, report: ImportReport) -> Iterator[tuple[str, str]]:
    from app.store import Invalid

    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            report.lines += 1
            s = line.strip()
            if not s or s.startswith(("#", "!", "//")):
                continue
            m = _HOSTS_FILE.match(s)
            if m:
                s = m.group(1)
            try:
                if "\ufffd" in s or any(c.isspace() for c in s):
                    raise Invalid("value", "is not one host or link (spaces or bytes that are not UTF-8)")
                kind, value = listing_for(s)
            except (Invalid, ValueError) as exc:
                report.bad += 1
                if len(report.bad_lines) < MAX_BAD_SHOWN:
                    report.bad_lines.append({"line": lineno, "text": s[:120], "error": str(exc)})
                continue
            report.kinds[kind] = report.kinds.get(kind, 0) + 1
            yield kind, value


def import_list(
    session_factory,
    path: str | Path,
    *,
    source: str,
    day: date | None = None,
    status: str = "reported",
    batch_size: int = 2000,
) -> ImportReport:
    """Import a host or link list (one a line; hosts-file lines and ``#`` comments allowed).

    The file is streamed and written in batches, one transaction each, so a list of millions
    of lines needs little memory and a failure loses at most one batch. Every entity records
    ``source`` and ``day`` (first and last seen; today when None). Lines that are no host or
    link are counted and the first few reported with their number; they never stop the import.
    """
    from sqlalchemy import func, select

    from app.store import repo
    from app.store.models import SuspiciousEntity

    report = ImportReport()
    seen = datetime.combine(day, datetime.min.time(), UTC) if day else None
    with session_factory() as s:
        before = s.scalar(select(func.count()).select_from(SuspiciousEntity)) or 0
    it = _listings(Path(path), report)
    while batch := list(itertools.islice(it, batch_size)):
        with session_factory.begin() as s:
            report.entities += repo.upsert_entities(
                s, batch, source=source, seen_at=seen, status=status, reason=f"imported from {source}"
            )
    with session_factory() as s:
        report.new = (s.scalar(select(func.count()).select_from(SuspiciousEntity)) or 0) - before
    return report


def case_entities(text: str) -> list[tuple[str, str, str | None]]:
    """``(kind, value, bank)`` of what a scam message names that the list can hold.

    Links list their registrable domain (``login.vcb-xacthuc.icu/x`` -> ``vcb-xacthuc.icu``)
    unless they are on a shared platform or a shortener, where only the exact link is kept.
    Hotlines (1800/1900) are left out: scams quote real banks' hotlines; so are masked
    account numbers and e-mail addresses.
    """
    from app.store import Invalid
    from app.store.values import normalize_entity
    from app.text import normalize

    out: dict[tuple[str, str], str | None] = {}
    for e in normalize(text).entities:
        try:
            if e.kind == "url":
                host, _ = host_path(e.value)
                if is_platform(host):
                    kind, value, bank = "url", e.value, None
                else:
                    kind, value, bank = "domain", host, None
            elif e.kind == "phone":
                if e.attrs.get("type") == "hotline":
                    continue
                kind, value, bank = "phone", e.value, None
            elif e.kind == "bank_account":
                if not e.value.isdigit():
                    continue
                bank = e.attrs.get("bank")
                kind, value = ("ewallet" if bank in EWALLETS else "bank_account"), e.value
            elif e.kind == "handle":
                kind, value, bank = "handle", e.value, None
            else:
                continue
            try:
                norm = normalize_entity(kind, value, bank=bank)
            except Invalid:
                if kind != "ewallet":
                    raise
                kind = "bank_account"  # a wallet number that is no phone number
                norm = normalize_entity(kind, value, bank=bank)
        except Invalid:
            continue
        out.setdefault((kind, norm), bank)
    return [(k, v, b) for (k, v), b in out.items()]


def add_entities_from_case(
    session, text: str, label: str, case_id: int, *, reporter: str | None = None
) -> list:
    """Add what an accepted scam case names to the list as ``reported`` (the caller commits).

    Each entity counts one message and one case, and keeps ``case <id>: <label>`` as its
    reason when it is new. A case that is not a scam (``spam``, ``legit``) adds nothing.

    Parameters
    ----------
    session : Session
    text : str
        The case's message.
    label : str
        Its label; only scam labels add entities.
    case_id : int
        The case, named in the reason.
    reporter : str, optional
        Who accepted it.

    Returns
    -------
    list of SuspiciousEntity
        The entities added or counted again.

    Examples
    --------
    >>> add_entities_from_case(s, "Chuyển 5 triệu vào STK 0071000986547 Vietcombank", "investment_fraud", 7)
    ... # doctest: +SKIP
    [<SuspiciousEntity bank_account VCB:0071000986547>]
    """
    from app.store import repo
    from app.taxonomy import scam_labels

    if label not in set(scam_labels()):
        return []
    return [
        repo.upsert_entity(
            session,
            kind,
            value,
            bank=bank,
            source="case",
            reporter=reporter,
            reason=f"case {case_id}: {label}",
            messages=1,
            cases=1,
        )
        for kind, value, bank in case_entities(text)
    ]
