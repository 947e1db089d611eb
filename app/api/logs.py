"""Structured JSON logs, one object a line. Message text and senders are never logged.

Only fields named in :data:`FIELDS` leave the process, so a careless ``extra=`` cannot leak a
message: the formatter drops everything else.
"""

from __future__ import annotations

import json
import logging
import sys
import time

__all__ = ["FIELDS", "JsonFormatter", "configure_logging", "access_log"]

FIELDS = (
    "request_id",
    "method",
    "route",
    "path",
    "status",
    "duration_ms",
    "client",
    "role",
    "text_chars",
    "messages",
    "channel",
    "verdict",
    "label",
    "risk_score",
    "model_version",
    "error",
)
access_log = logging.getLogger("canhgiac.access")
_HANDLER_TAG = "_canhgiac_json"


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...allowed fields}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Send the ``canhgiac`` loggers to stderr as JSON lines (idempotent)."""
    logger = logging.getLogger("canhgiac")
    logger.setLevel(level)
    if not any(getattr(h, _HANDLER_TAG, False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        setattr(handler, _HANDLER_TAG, True)
        logger.addHandler(handler)
