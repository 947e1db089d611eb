"""The label taxonomy with names, descriptions and advice in Vietnamese and English."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

__all__ = ["Label", "labels", "label_ids", "scam_labels", "get_label", "report_channels"]


@dataclass(frozen=True)
class Label:
    id: str
    is_scam: bool
    name: dict[str, str]
    description: dict[str, str]
    advice: dict[str, list[str]]


@cache
def _load() -> tuple[tuple[Label, ...], dict[str, list[str]]]:
    with open(Path(__file__).parent / "labels.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    items = tuple(
        Label(d["id"], bool(d["is_scam"]), d["name"], d["description"], d["advice"]) for d in data["labels"]
    )
    return items, data["report"]


def labels() -> tuple[Label, ...]:
    """Every label, scam types first, then ``spam`` and ``legit``."""
    return _load()[0]


def label_ids() -> tuple[str, ...]:
    return tuple(label.id for label in labels())


def scam_labels() -> tuple[str, ...]:
    return tuple(label.id for label in labels() if label.is_scam)


def get_label(label_id: str) -> Label:
    for label in labels():
        if label.id == label_id:
            return label
    raise KeyError(f"unknown label {label_id!r}; valid: {', '.join(label_ids())}")


def report_channels() -> dict[str, list[str]]:
    """Where to report a scam, in Vietnamese and English."""
    return _load()[1]
