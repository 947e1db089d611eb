"""Writing results row by row: JSONL, or CSV that Excel opens safely and in Vietnamese."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

__all__ = ["excel_safe", "write_results"]

# Excel (and LibreOffice, Google Sheets) run a cell starting with these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: object) -> object:
    """Neutralise a would-be formula with a leading ``'``; other values pass unchanged.

    Examples
    --------
    >>> excel_safe("=HYPERLINK(\\"http://lua.dao\\")")
    '\\'=HYPERLINK("http://lua.dao")'
    >>> excel_safe("Chào bạn")
    'Chào bạn'
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _plain(row: object) -> dict:
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        to_dict = getattr(row, "to_dict", None)
        return to_dict() if to_dict else dataclasses.asdict(row)
    if isinstance(row, Mapping):
        return dict(row)
    raise TypeError(f"[C010] write_results wants dicts or dataclasses, got {type(row).__name__}")


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        value = json.dumps(value, ensure_ascii=False, default=_json_default)
    return excel_safe(value)


def write_results(
    rows: Iterable[object], path: str | Path, fmt: str = "jsonl", *, fields: Sequence[str] | None = None
) -> int:
    """Write ``rows`` (dicts, or ``Message``-like dataclasses) one at a time; return how many.

    Parameters
    ----------
    rows
        Any iterable; it is consumed lazily, so a generator over a 1 GB log is fine.
    path
        The output file.
    fmt
        ``jsonl`` (UTF-8, one object per line) or ``csv`` (UTF-8 with a BOM so that Excel
        shows Vietnamese, cells that would run as formulas prefixed with ``'``, lists and
        dicts as JSON text).
    fields
        CSV columns; by default the keys of the first row (later extra keys are dropped).
    """
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"[C011] fmt must be 'jsonl' or 'csv', got {fmt!r}")
    n = 0
    if fmt == "jsonl":
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for row in rows:
                fh.write(json.dumps(_plain(row), ensure_ascii=False, default=_json_default) + "\n")
                n += 1
        return n
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer: csv.DictWriter | None = None
        if fields is not None:
            writer = csv.DictWriter(fh, fieldnames=list(fields), extrasaction="ignore")
            writer.writerow({f: excel_safe(f) for f in fields})
        for row in rows:
            d = _plain(row)
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(d), extrasaction="ignore")
                writer.writerow({f: excel_safe(f) for f in d})
            writer.writerow({k: _csv_cell(v) for k, v in d.items()})
            n += 1
    return n
