"""``/v1/chatlogs/score``: upload an exported chat log, get NDJSON verdicts and a summary."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from ..deps import ClassifierDep, ReaderKey, SettingsDep
from ..errors import ApiProblem, problem_responses
from ..middleware import UploadTooLarge

router = APIRouter(prefix="/v1/chatlogs", tags=["chatlogs"])

_SUFFIXES = {".json", ".txt", ".zip", ".csv", ".jsonl", ".tsv"}
_FORMATS = ("telegram", "messenger", "whatsapp", "zalo", "zalo_text", "csv", "jsonl")


def _safe_suffix(filename: str | None) -> str:
    """Only the extension of the client's file name is used, from an allow-list: never a path."""
    suffix = Path((filename or "").replace("\\", "/").rsplit("/", 1)[-1]).suffix.lower()
    return suffix if suffix in _SUFFIXES else ".txt"


@router.post(
    "/score",
    responses={
        200: {
            "content": {"application/x-ndjson": {}},
            "description": "One JSON line per message, then a summary.",
        },
        **problem_responses(400, 401, 413, 415, 422, 429),
    },
)
async def score_chatlog(
    request: Request,
    _: ReaderKey,
    classifier: ClassifierDep,
    settings: SettingsDep,
    format: Annotated[str | None, Query(description="Force a format: " + ", ".join(_FORMATS))] = None,
    text_column: Annotated[str | None, Query(max_length=100, description="CSV: the message column.")] = None,
    explain: Annotated[bool, Query(description="Add explanations to flagged messages.")] = False,
) -> StreamingResponse:
    """Score an uploaded chat-log export (multipart field ``file``); stream results as NDJSON.

    The format is detected from the content (Telegram JSON, Messenger JSON, WhatsApp
    ``_chat.txt`` or ``.zip``, Zalo CSV or pasted text, CSV, JSONL). The last line is
    ``{"summary": ...}`` with per-conversation and per-sender figures and the evidence found.
    The upload is deleted when the response ends; it is never kept.
    """
    from app.chatlogs import ChatlogError, detect_format

    if format is not None and format not in _FORMATS:
        raise ApiProblem(
            422, "validation-error", f"format must be one of {', '.join(_FORMATS)}", field="format"
        )
    ctype = request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise ApiProblem(
            415, "unsupported-media-type", "upload the export as multipart/form-data, field 'file'"
        )
    fd, tmp_name = tempfile.mkstemp(prefix="canhgiac-upload-")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            async with request.form(max_files=1, max_fields=10) as form:
                upload = form.get("file")
                if upload is None or isinstance(upload, str):
                    raise ApiProblem(
                        422,
                        "validation-error",
                        "send the export in a multipart field named 'file'",
                        field="file",
                    )
                path = tmp.with_suffix(_safe_suffix(upload.filename))
                tmp.rename(path)
                tmp = path
                with open(tmp, "wb") as out:
                    while chunk := await upload.read(1 << 20):
                        out.write(chunk)
        except UploadTooLarge as exc:
            raise ApiProblem(
                413,
                "body-too-large",
                f"the upload is larger than {exc.limit} bytes; split the export",
                limit=exc.limit,
            ) from None
        if tmp.stat().st_size == 0:
            raise ApiProblem(422, "validation-error", "the uploaded file is empty", field="file")
        try:
            fmt = format or detect_format(tmp)
        except ChatlogError as exc:
            raise ApiProblem(422, "unsupported-chatlog-format", str(exc), field="file") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StreamingResponse(
        _results(tmp, fmt, text_column, classifier, settings.max_text_chars, explain),
        media_type="application/x-ndjson",
    )


def _results(path: Path, fmt: str, text_column, classifier, max_chars: int, explain: bool):
    """Yield NDJSON lines; runs in the threadpool (a sync generator) and always deletes the upload."""
    from app.bulk import ErrorLog, _Summarizer, iter_records
    from app.scoring import score_records

    errors = ErrorLog(None)
    reads: list = []
    summarizer = _Summarizer()
    n = 0
    try:
        records = iter_records(
            [path], fmt=fmt, text_column=text_column, errors=errors, max_chars=max_chars, reads=reads
        )
        for row in score_records(records, classifier=classifier, workers=1, batch_size=500, explain=explain):
            n += 1
            summarizer.add(row)
            yield json.dumps(row, ensure_ascii=False, default=str) + "\n"
        summary = summarizer.close()
        summary["scoring"] = {
            "scored": n,
            "errors": errors.count,
            "format": fmt,
            "read": [r.as_dict() for r in reads],
        }
        yield json.dumps({"summary": summary, "errors": errors.items}, ensure_ascii=False, default=str) + "\n"
    finally:
        path.unlink(missing_ok=True)
