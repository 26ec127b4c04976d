"""Structured logs: JSON-lines records in rotating files in the data folder, and an in-memory tail for the log panel."""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.util.listeners import Listeners

LOG_DIR = "logs"
LOG_FILE = "qdesk.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
# Attributes every LogRecord has; anything else was passed as `extra=` and belongs in the record's fields.
_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log record as the panel shows it; `details` holds the traceback, if any."""

    time: float
    level: str
    logger: str
    message: str
    thread: str
    details: str = ""

    @property
    def levelno(self) -> int:
        return _LEVELS.get(self.level, logging.NOTSET)


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="milliseconds")


def entry_from_record(record: logging.LogRecord, formatter: logging.Formatter | None = None) -> LogEntry:
    fmt = formatter or logging.Formatter()
    details = fmt.formatException(record.exc_info) if record.exc_info else (record.exc_text or "")
    if record.stack_info:
        details = (details + "\n" if details else "") + fmt.formatStack(record.stack_info)
    return LogEntry(
        record.created, record.levelname, record.name, record.getMessage(), record.threadName or "", details
    )


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, thread, process, extra fields, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": _iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exc"] = record.exc_text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=repr)


def rotating_file_handler(data_dir: Path, level: int = logging.INFO) -> logging.Handler:
    """`<data>/logs/qdesk.log`, rotated at 5 MB with 5 backups, as JSON lines in UTF-8."""
    folder = data_dir / LOG_DIR
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        folder / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(JsonLinesFormatter())
    handler.setLevel(level)
    return handler


def read_log_file(path: Path) -> Iterator[LogEntry]:
    """Entries of a JSON-lines log file written by `rotating_file_handler`; foreign lines are skipped."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                data = json.loads(line)
                stamp = dt.datetime.fromisoformat(data["time"]).timestamp()
                yield LogEntry(
                    stamp, data["level"], data["logger"], data["message"], data.get("thread", ""), data.get("exc", "")
                )
            except (ValueError, KeyError, TypeError):
                continue


class MemoryLogHandler(logging.Handler):
    """Keeps the last `capacity` entries and tells a listener about each new one (from any thread)."""

    def __init__(self, capacity: int = 5000, level: int = logging.DEBUG) -> None:
        super().__init__(level)
        self._entries: deque[LogEntry] = deque(maxlen=capacity)
        self._guard = threading.Lock()
        self._listeners: Listeners[LogEntry] = Listeners("log")
        self._delivering = threading.local()

    def add_listener(self, listener: Callable[[LogEntry], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            entry = entry_from_record(record, self.formatter)
        except Exception:  # noqa: BLE001 (logging must never raise into the caller)
            self.handleError(record)
            return
        with self._guard:
            self._entries.append(entry)
        if getattr(self._delivering, "active", False):
            # A listener's failure, logged by the registry from inside this delivery: it is stored above
            # (and reaches the other handlers) but not sent round the listeners again, which would recurse.
            return
        self._delivering.active = True
        try:
            self._listeners.emit(entry)
        finally:
            self._delivering.active = False

    def entries(self) -> list[LogEntry]:
        with self._guard:
            return list(self._entries)
