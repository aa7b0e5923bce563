"""Structured logs: one JSON object per line, carrying the id of the request being served.

Nothing here ever writes a header, so neither a token nor an `Authorization` value reaches a log.
"""

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

# The attributes every LogRecord has; anything else on a record was passed in `extra=`.
# uvicorn adds `color_message`, the same message with terminal colour codes.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def accept_request_id(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is a plain token of sensible length, else a new one."""
    if incoming and _ACCEPTABLE_REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            entry["request_id"] = current
        entry.update((key, value) for key, value in record.__dict__.items() if key not in _STANDARD)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _QuietLibraries(logging.Filter):
    """Only warnings and worse from libraries that chatter below them whatever they are set to:
    WeasyPrint sets fontTools' logger to DEBUG while it subsets each font of a PDF (it catches
    fontTools' warnings and logs them as its own), which would write a hundred lines a PDF."""

    NAMES = ("fontTools",)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return not any(record.name == n or record.name.startswith(f"{n}.") for n in self.NAMES)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time, not what it was when configured."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """Send every log line, uvicorn's too, to stderr as JSON; safe to call more than once."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level.upper())
    # The handler keeps the level too: a record is passed up to it from any logger whatever
    # the root's level, and a library may set its own logger lower.
    handler.setLevel(level.upper())
    if not any(isinstance(f, _QuietLibraries) for f in handler.filters):
        handler.addFilter(_QuietLibraries())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Our middleware writes one line per request, with its id; uvicorn's own would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every webhook POST with its full URL at INFO (failures are logged by the
    # worker), and Alembic two lines each time /readyz looks at the schema's revision.
    for name in ("httpx", "httpcore", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.WARNING)
