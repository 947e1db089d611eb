"""The suspicious-entity list at work: look-ups in memory, the list's say in verdicts, imports.

``EntityIndex`` and ``apply_to_verdict`` need no database; ``LiveIndex`` keeps an index in
step with the store, and ``import_list``/``add_entities_from_case`` fill the store.
"""

from ._guess import Guess, GuessError, guess, listing_for, storable
from ._index import EntityIndex, Match
from ._ingest import ImportReport, add_entities_from_case, case_entities, import_list
from ._live import LiveIndex, index_from_database
from ._verdict import CONFIRMED_RISK, REPORTED_BOOST, apply_to_verdict, list_hits

__all__ = [
    "CONFIRMED_RISK",
    "REPORTED_BOOST",
    "EntityIndex",
    "Guess",
    "GuessError",
    "ImportReport",
    "LiveIndex",
    "Match",
    "add_entities_from_case",
    "apply_to_verdict",
    "case_entities",
    "check",
    "guess",
    "import_list",
    "index_from_database",
    "list_hits",
    "listing_for",
    "storable",
]


def check(index: EntityIndex, value: str, kind: str | None = None, bank: str | None = None) -> dict:
    """One result of the check endpoint for ``value`` (see ``/v1/entities/check``).

    Raises :class:`GuessError` or :class:`app.store.Invalid` when ``value`` is no entity.
    """
    g = guess(value, kind, bank)
    m = g.lookup(index)
    return {
        "value": value,
        "kind": g.kind,
        "normalized": g.normalized,
        "known": bool(m and m.known),
        "status": m.status if m else None,
        "evidence": {"messages": m.messages, "cases": m.cases} if m else {"messages": 0, "cases": 0},
        "source": m.source if m else None,
        "first_seen": m.first_seen.isoformat() if m else None,
        "last_seen": m.last_seen.isoformat() if m else None,
        "id": m.id if m else None,
        "listed": m.listed if m else None,
    }
