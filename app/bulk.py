"""``canhgiac score``: stream records from files, score them, write results and an error file."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from app.scoring import score_records

__all__ = ["run_score", "iter_jsonl_records"]


class _Errors:
    """Collects bad input lines into an error file; nothing is dropped silently."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._fh = None

    def add(self, source: str, line: int, error: str, raw: bytes | str | None = None) -> None:
        if self._fh is None:
            self._fh = open(self.path, "w", encoding="utf-8")
        rec = {"file": source, "line": line, "error": error}
        if raw is not None:
            rec["raw"] = raw[:1000].decode("utf-8", "replace") if isinstance(raw, bytes) else raw[:1000]
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.count += 1

    def close(self) -> None:
        if self._fh:
            self._fh.close()


def iter_jsonl_records(
    path: Path, errors: _Errors, max_chars: int, progress=None, task=None
) -> Iterator[dict]:
    """Yield ``{"id", "text", ...}`` records; report bad lines with their line number."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if progress is not None:
                progress.advance(task, len(raw))
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                errors.add(str(path), lineno, f"not valid UTF-8 at byte {exc.start}", raw)
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.add(str(path), lineno, f"not valid JSON: {exc.msg} (column {exc.colno})", raw)
                continue
            if not isinstance(rec, dict):
                errors.add(str(path), lineno, "a line must be a JSON object with a 'text' field", raw)
                continue
            text = rec.get("text")
            if not isinstance(text, str):
                errors.add(str(path), lineno, "field 'text' is missing or not a string", raw)
                continue
            if not text.strip():
                errors.add(str(path), lineno, "field 'text' is empty", raw)
                continue
            if len(text) > max_chars:
                errors.add(
                    str(path), lineno, f"field 'text' has {len(text)} characters; the limit is {max_chars}"
                )
                continue
            if "id" not in rec:
                rec["id"] = f"{path.name}:{lineno}"
            yield rec


def run_score(
    inputs: list[Path],
    output: Path,
    *,
    errors_path: Path | None = None,
    workers: int = 1,
    batch_size: int = 1000,
    explain: bool = False,
    max_chars: int = 10_000,
    model_dir: Path | None = None,
    version: str | None = None,
) -> dict:
    """Score every record of ``inputs`` into ``output`` (JSONL); return counts and speed."""
    for p in inputs:
        if not p.exists():
            raise ValueError(f"input file not found: {p}")
        if p.is_dir():
            raise ValueError(f"{p} is a folder; give JSONL files")
    errors = _Errors(errors_path or output.with_name(output.name + ".errors.jsonl"))
    total_bytes = sum(p.stat().st_size for p in inputs)
    console = Console(file=sys.stderr)
    columns = [
        TextColumn("[bold]scoring"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[done]} msgs, {task.fields[rate]} msg/s"),
        TimeRemainingColumn(),
    ]
    n = 0
    flagged = {"scam": 0, "suspicious": 0, "spam": 0, "safe": 0}
    t0 = time.perf_counter()
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("score", total=total_bytes, done=0, rate=0)

        def records():
            for p in inputs:
                yield from iter_jsonl_records(p, errors, max_chars, progress, task)

        tmp = output.with_name("." + output.name + ".partial")
        with open(tmp, "w", encoding="utf-8") as out:
            for row in score_records(
                records(),
                model_dir=model_dir,
                version=version,
                workers=workers,
                batch_size=batch_size,
                explain=explain,
            ):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
                flagged[row["verdict"]] += 1
                if n % 1000 == 0:
                    progress.update(task, done=n, rate=round(n / (time.perf_counter() - t0)))
        tmp.replace(output)
        progress.update(task, done=n, rate=round(n / max(time.perf_counter() - t0, 1e-9)))
    errors.close()
    seconds = time.perf_counter() - t0
    return {
        "scored": n,
        "errors": errors.count,
        "error_file": str(errors.path) if errors.count else None,
        "verdicts": flagged,
        "seconds": round(seconds, 2),
        "messages_per_second": round(n / seconds) if seconds else None,
        "output": str(output),
    }
