"""Structured logs: one JSON object a line on stderr, for every process (the web server,
the workers, the clock). The API adds the request id of the request being answered."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime

#: LogRecord's own attributes: the rest of a record's attributes are its `extra` fields.
_PLAIN = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """ts, level, logger, message, what `context` adds (the API: request_id), the record's
    extra fields, and the exception when there is one."""

    def __init__(self, context: Callable[[], dict] | None = None):
        super().__init__()
        self.context = context

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.context is not None:
            line.update(self.context())
        line.update({k: v for k, v in vars(record).items() if k not in _PLAIN and not k.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(context: Callable[[], dict] | None = None, level: int = logging.INFO) -> None:
    """JSON lines on stderr for this whole process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(context))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
