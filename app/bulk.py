"""``canhgiac score``: stream records from files or chat-log exports, score them, write results,
an error file and an optional per-conversation summary."""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from app.scoring import score_records

__all__ = ["run_score", "iter_jsonl_records", "iter_records", "ErrorLog", "CSV_FIELDS"]

CSV_FIELDS = (
    "id",
    "conversation",
    "sender",
    "time",
    "source_ref",
    "verdict",
    "label",
    "scam_type",
    "is_scam",
    "risk_score",
    "model_version",
    "probabilities",
    "entities",
    "explanation",
)


class ErrorLog:
    """Collects bad input records into an error file; nothing is dropped silently."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.count = 0
        self.items: list[dict] = []  # kept (first 1000) when there is no file, e.g. over HTTP
        self._fh = None

    def add(self, source: str, line: int | None, error: str, raw: bytes | str | None = None) -> None:
        rec = {"file": source, "line": line, "error": error}
        if raw is not None:
            rec["raw"] = raw[:1000].decode("utf-8", "replace") if isinstance(raw, bytes) else raw[:1000]
        self.count += 1
        if self.path is None:
            if len(self.items) < 1000:
                self.items.append(rec)
            return
        if self._fh is None:
            self._fh = open(self.path, "w", encoding="utf-8")
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._fh:
            self._fh.close()


def iter_jsonl_records(path: Path, errors: ErrorLog, max_chars: int, advance=None) -> Iterator[dict]:
    """Yield ``{"id", "text", ...}`` records of a JSONL file; report bad lines with their number."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if advance is not None:
                advance(len(raw))
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


def _chatlog_records(
    path: Path, fmt: str | None, text_column: str | None, errors: ErrorLog, max_chars: int, reads: list
) -> Iterator[dict]:
    from app.chatlogs import ReadStats, read_chatlog

    stats = ReadStats()
    reads.append(stats)
    try:
        for m in read_chatlog(path, fmt, text_column=text_column, stats=stats):
            if len(m.text) > max_chars:
                errors.add(
                    m.source_ref, None, f"message has {len(m.text)} characters; the limit is {max_chars}"
                )
                continue
            yield {
                "id": m.id if m.id is not None else m.source_ref,
                "conversation": m.conversation,
                "sender": m.sender,
                "time": m.time.isoformat() if m.time else None,
                "source_ref": m.source_ref,
                "text": m.text,
            }
    finally:
        for issue in stats.issues:
            errors.add(issue.source_ref, None, f"{issue.reason}: {issue.detail}".rstrip(": "))


def iter_records(
    inputs: list[Path],
    *,
    fmt: str | None,
    text_column: str | None,
    errors: ErrorLog,
    max_chars: int,
    reads: list,
    advance=None,
) -> Iterator[dict]:
    """Records from every input: strict JSONL (``{"id","text"}``) or any chat-log export."""
    for p in inputs:
        if (fmt in (None, "jsonl")) and p.is_file() and p.suffix.lower() == ".jsonl":
            yield from iter_jsonl_records(p, errors, max_chars, advance)
        else:
            yield from _chatlog_records(p, fmt, text_column, errors, max_chars, reads)


class _Summarizer:
    """Feeds results to ``app.chatlogs.summarize`` on a thread, so one pass both writes and sums up."""

    def __init__(self) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=10_000)
        self.result: dict | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from app.chatlogs import summarize

        def items():
            while (item := self._q.get()) is not None:
                yield item

        try:
            self.result = summarize(items())
        except BaseException as exc:  # surfaced in close()
            self._error = exc

    def add(self, row: dict) -> None:
        self._q.put(row)

    def close(self) -> dict:
        self._q.put(None)
        self._thread.join()
        if self._error:
            raise self._error
        return self.result or {}


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
    fmt: str | None = None,
    text_column: str | None = None,
    output_format: str = "jsonl",
    summary_path: Path | None = None,
    show_progress: bool = True,
    classifier=None,
) -> dict:
    """Score every record of ``inputs`` into ``output``; return counts, speed and reader stats."""
    from app.chatlogs import render_summary_md, write_results

    for p in inputs:
        if not p.exists():
            raise ValueError(f"input not found: {p}")
    if output_format not in ("jsonl", "csv"):
        raise ValueError(f"--output-format must be jsonl or csv, not {output_format!r}")
    errors = ErrorLog(errors_path or output.with_name(output.name + ".errors.jsonl"))
    console = Console(file=sys.stderr)
    total = sum(p.stat().st_size for p in inputs if p.is_file() and p.suffix.lower() == ".jsonl")
    columns = [
        TextColumn("[bold]scoring"),
        BarColumn(),
        TextColumn("{task.fields[done]} msgs"),
        TextColumn("{task.fields[rate]} msg/s"),
        TimeElapsedColumn(),
    ]
    verdicts = {"scam": 0, "suspicious": 0, "spam": 0, "safe": 0}
    reads: list = []
    summarizer = _Summarizer() if summary_path else None
    t0 = time.perf_counter()
    n = 0
    with Progress(*columns, console=console, disable=not show_progress) as progress:
        task = progress.add_task("score", total=total or None, done=0, rate=0)
        records = iter_records(
            inputs,
            fmt=fmt,
            text_column=text_column,
            errors=errors,
            max_chars=max_chars,
            reads=reads,
            advance=lambda b: progress.advance(task, b),
        )

        def rows():
            nonlocal n
            for row in score_records(
                records,
                model_dir=model_dir,
                version=version,
                classifier=classifier,
                workers=workers,
                batch_size=batch_size,
                explain=explain,
            ):
                n += 1
                verdicts[row["verdict"]] += 1
                if summarizer:
                    summarizer.add(row)
                if n % 1000 == 0:
                    progress.update(task, done=n, rate=round(n / (time.perf_counter() - t0)))
                yield row

        tmp = output.with_name("." + output.name + ".partial")
        try:
            write_results(rows(), tmp, output_format, fields=CSV_FIELDS if output_format == "csv" else None)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(output)
        progress.update(task, done=n, rate=round(n / max(time.perf_counter() - t0, 1e-9)))
    errors.close()
    seconds = time.perf_counter() - t0
    stats = {
        "scored": n,
        "errors": errors.count,
        "error_file": str(errors.path) if errors.count else None,
        "verdicts": verdicts,
        "seconds": round(seconds, 2),
        "messages_per_second": round(n / seconds) if seconds else None,
        "output": str(output),
    }
    if reads:
        stats["read"] = [r.as_dict() for r in reads]
    if summarizer and summary_path:
        summary = summarizer.close()
        summary["scoring"] = {k: v for k, v in stats.items() if k != "read"}
        if summary_path.suffix.lower() == ".md":
            summary_path.write_text(render_summary_md(summary), encoding="utf-8")
        else:
            summary_path.write_text(
                json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
        stats["summary"] = str(summary_path)
    return stats
