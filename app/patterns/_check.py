"""Running every example and counter-example: at load time and for ``canhgiac patterns test``."""

from __future__ import annotations

from app.text import normalize

from ._errors import PatternError
from ._library import PatternLibrary

__all__ = ["check_library", "raise_on_failure"]


def check_library(lib: PatternLibrary) -> list[dict]:
    """Run each pattern's examples and counter-examples; one result per pattern, in file order.

    Returns
    -------
    list[dict]
        ``id``, ``file``, ``label``, ``examples_hit``, ``examples_total``, ``counter_hits``,
        ``counter_total``, ``missed`` (examples it did not hit) and ``false_hits``
        (counter-examples it hit). A pattern is healthy when ``examples_hit ==
        examples_total`` and ``counter_hits == 0``.
    """
    cache: dict[str, set[str]] = {}

    def fired(text: str) -> set[str]:
        if text not in cache:
            cache[text] = set(lib.fired(normalize(text)))
        return cache[text]

    results = []
    for p in lib.patterns:
        missed = [t for t in p.examples if p.id not in fired(t)]
        false_hits = [t for t in p.counter_examples if p.id in fired(t)]
        results.append(
            {
                "id": p.id,
                "file": p.file,
                "label": p.label,
                "examples_hit": len(p.examples) - len(missed),
                "examples_total": len(p.examples),
                "counter_hits": len(false_hits),
                "counter_total": len(p.counter_examples),
                "missed": missed,
                "false_hits": false_hits,
            }
        )
    return results


def raise_on_failure(lib: PatternLibrary) -> None:
    """Raise :class:`PatternError` for the first pattern whose examples do not behave."""
    for r in check_library(lib):
        if r["missed"]:
            raise PatternError(
                "P014", f"does not hit its example {r['missed'][0]!r}", pattern_id=r["id"], file=r["file"]
            )
        if r["false_hits"]:
            raise PatternError(
                "P015",
                f"hits its counter-example {r['false_hits'][0]!r}",
                pattern_id=r["id"],
                file=r["file"],
            )
