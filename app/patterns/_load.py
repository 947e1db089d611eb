"""``load_library``: read every pattern file, validate it, compile it, hash it."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from ._errors import PatternError
from ._labels import PATTERN_LABELS
from ._library import PatternLibrary, _Compiled
from ._meta import parse_meta
from ._pattern import Pattern
from ._regex import compile_cue

__all__ = ["DATA_DIR", "load_library", "strip_comment"]

DATA_DIR = Path(__file__).resolve().parent / "data"

_ID = re.compile(r"(?:__)?[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_REQUIRED = ("id", "label", "weight", "name", "description", "examples", "counter_examples")
_OPTIONAL = ("cues", "require", "unless", "meta")
_WEIGHT_RANGE = (0.1, 5.0)
_MIN_EXAMPLES = 2
_MIN_COUNTER = 1


def strip_comment(text: str) -> str:
    """Drop the ``  # why`` comment of a counter-example."""
    return text.split("  # ", 1)[0].rstrip()


def load_library(path: str | Path | None = None, *, check_examples: bool = True) -> PatternLibrary:
    """Load, validate and compile every ``*.yaml`` pattern file.

    Parameters
    ----------
    path : str or Path, optional
        A directory of pattern files, or one file; default: the library shipped in
        ``app/patterns/data``.
    check_examples : bool, default True
        Also run every example and counter-example (well under a second); switch off
        where the files were already checked (tests, CI).

    Returns
    -------
    PatternLibrary

    Raises
    ------
    PatternError
        The first problem found, naming its code, pattern id and file.

    Examples
    --------
    >>> from app.text import normalize
    >>> lib = load_library()
    >>> [h.id for h in lib.match(normalize("Chuyển hết tiền vào tài khoản tạm giữ"))]
    ['SAFE_ACCOUNT_TRANSFER']
    """
    files = _files(Path(path) if path is not None else DATA_DIR)
    raw_files = [(f.name, _read(f)) for f in files]
    content_hash = _hash(raw_files)

    patterns: list[Pattern] = []
    seen: dict[str, str] = {}
    for fname, data in raw_files:
        for entry in data["patterns"]:
            p = _pattern(entry, fname)
            if p.id in seen:
                raise PatternError(
                    "P005", f"duplicate id (first defined in {seen[p.id]})", pattern_id=p.id, file=fname
                )
            seen[p.id] = fname
            patterns.append(p)

    compiled = {p.id: _compile(p) for p in patterns}
    _check_metas(patterns, compiled)
    order = _meta_order(patterns, compiled)
    lib = PatternLibrary([compiled[i] for i in order], content_hash)
    if check_examples:
        from ._check import raise_on_failure

        raise_on_failure(lib)
    return lib


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(path.glob("*.yaml")) if path.is_dir() else []
    if not files:
        raise PatternError("P016", f"no *.yaml pattern files in {path}")
    return files


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PatternError("P001", f"cannot read the file: {exc}", file=path.name) from exc
    if not isinstance(data, dict) or not isinstance(data.get("patterns"), list):
        raise PatternError("P002", "the file must be a mapping with a 'patterns' list", file=path.name)
    extra = set(data) - {"patterns"}
    if extra:
        raise PatternError("P002", f"unknown top-level keys {sorted(extra)}", file=path.name)
    return data


def _hash(raw_files: list[tuple[str, dict]]) -> str:
    """sha256 of the parsed files as canonical JSON: key order and YAML layout do not count."""
    h = hashlib.sha256()
    for fname, data in sorted(raw_files):
        h.update(fname.encode())
        h.update(b"\0")
        h.update(json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


def _pattern(entry: Any, fname: str) -> Pattern:
    pid = entry.get("id") if isinstance(entry, dict) else None
    if not isinstance(entry, dict):
        raise PatternError("P003", "each pattern must be a mapping", file=fname)
    if not isinstance(pid, str) or not _ID.fullmatch(pid):
        raise PatternError(
            "P004", f"id {pid!r} must be UPPER_SNAKE (sub-patterns start with '__')", file=fname
        )

    def fail(code: str, msg: str) -> PatternError:
        return PatternError(code, msg, pattern_id=pid, file=fname)

    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise fail("P003", f"missing field(s) {missing}")
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise fail("P003", f"unknown field(s) {unknown}; fields are {list(_REQUIRED + _OPTIONAL)}")
    is_meta = "meta" in entry
    if is_meta == ("cues" in entry):
        raise fail("P003", "give exactly one of 'cues' (a list of regexes) or 'meta' (an expression)")
    if is_meta and "require" in entry:
        raise fail("P003", "a meta cannot have 'require' (write it into the expression)")
    label = entry["label"]
    if label not in PATTERN_LABELS:
        raise fail("P006", f"unknown label {label!r}; labels are {list(PATTERN_LABELS)}")
    weight = entry["weight"]
    lo, hi = _WEIGHT_RANGE
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not lo <= weight <= hi:
        raise fail("P007", f"weight {weight!r} must be a number from {lo} to {hi}")
    for key in ("name", "description"):
        value = entry[key]
        if (
            not isinstance(value, dict)
            or set(value) != {"vi", "en"}
            or not all(isinstance(v, str) and v.strip() for v in value.values())
        ):
            raise fail("P003", f"{key!r} must be {{vi: ..., en: ...}} with two non-empty strings")
    lists = {}
    for key in ("cues", "require", "unless", "examples", "counter_examples"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail("P003", f"{key!r} must be a list of non-empty strings")
        lists[key] = tuple(value)
    if not is_meta and not lists["cues"]:
        raise fail("P003", "'cues' is empty")
    if len(lists["examples"]) < _MIN_EXAMPLES:
        raise fail("P003", f"give at least {_MIN_EXAMPLES} examples")
    if len(lists["counter_examples"]) < _MIN_COUNTER:
        raise fail("P003", f"give at least {_MIN_COUNTER} counter-example")
    meta = entry.get("meta")
    if is_meta and not isinstance(meta, str):
        raise fail("P010", "'meta' must be a string expression")
    return Pattern(
        id=pid,
        label=label,
        weight=float(weight),
        name=dict(entry["name"]),
        description=dict(entry["description"]),
        file=fname,
        is_meta=is_meta,
        is_sub=pid.startswith("__"),
        cues=lists["cues"],
        require=lists["require"],
        unless=lists["unless"],
        meta=meta,
        examples=lists["examples"],
        counter_examples=tuple(strip_comment(c) for c in lists["counter_examples"]),
    )


def _compile(p: Pattern) -> _Compiled:
    def cues(key: str) -> tuple:
        out = []
        for i, src in enumerate(getattr(p, key)):
            try:
                out.append(compile_cue(src))
            except re.error as exc:
                raise PatternError(
                    "P008", f"{key}[{i}] {src!r} does not compile: {exc}", pattern_id=p.id, file=p.file
                ) from exc
            except ValueError as exc:
                raise PatternError("P009", f"{key}[{i}]: {exc}", pattern_id=p.id, file=p.file) from exc
        return tuple(out)

    meta = None
    if p.meta is not None:
        try:
            meta = parse_meta(p.meta)
        except ValueError as exc:
            raise PatternError(
                "P010", f"bad meta expression {p.meta!r}: {exc}", pattern_id=p.id, file=p.file
            ) from exc
    return _Compiled(p, cues("cues"), cues("require"), cues("unless"), meta)


def _check_metas(patterns: list[Pattern], compiled: dict[str, _Compiled]) -> None:
    used: set[str] = set()
    for p in patterns:
        meta = compiled[p.id].meta
        if meta is None:
            continue
        unknown = sorted(meta.ids - compiled.keys())
        if unknown:
            raise PatternError(
                "P011", f"meta refers to unknown id(s) {unknown}", pattern_id=p.id, file=p.file
            )
        if p.id in meta.ids:
            raise PatternError("P012", "meta refers to itself", pattern_id=p.id, file=p.file)
        used |= meta.ids
    for p in patterns:
        if p.is_sub and p.id not in used:
            raise PatternError(
                "P013", "sub-pattern is used by no meta (it would never count)", pattern_id=p.id, file=p.file
            )


def _meta_order(patterns: list[Pattern], compiled: dict[str, _Compiled]) -> list[str]:
    """File order for plain patterns, then metas after everything they refer to."""
    order = [p.id for p in patterns if not p.is_meta]
    done = set(order)
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(pid: str, file: str) -> None:
        if pid in done:
            return
        if state.get(pid) == 1:
            raise PatternError("P012", "metas refer to each other in a cycle", pattern_id=pid, file=file)
        state[pid] = 1
        meta = compiled[pid].meta
        assert meta is not None
        for dep in sorted(meta.ids):
            visit(dep, compiled[dep].pattern.file)
        state[pid] = 2
        done.add(pid)
        order.append(pid)

    for p in patterns:
        if p.is_meta:
            visit(p.id, p.file)
    return order
