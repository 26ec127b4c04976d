"""Structured JSON-lines logs: fields, tracebacks, extra fields, rotation, reading back, the memory tail."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from core.monitor.logs import (
    LOG_DIR,
    LOG_FILE,
    JsonLinesFormatter,
    MemoryLogHandler,
    read_log_file,
    rotating_file_handler,
)


def _logger(name: str, handler: logging.Handler) -> logging.Logger:
    log = logging.getLogger(name)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(handler)
    return log


def test_file_lines_are_json_with_traceback_and_extra(tmp_path: Path) -> None:
    handler = rotating_file_handler(tmp_path)
    log = _logger("qdesk.test.file", handler)
    try:
        log.info("imported %d files", 3, extra={"job": "import", "rows": 1200})
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            log.exception("import failed: 数据")
        log.debug("below the file's level")
    finally:
        log.removeHandler(handler)
        handler.close()
    path = tmp_path / LOG_DIR / LOG_FILE
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["message"] for r in records] == ["imported 3 files", "import failed: 数据"]
    assert records[0]["job"] == "import" and records[0]["rows"] == 1200 and records[0]["level"] == "INFO"
    assert "ZeroDivisionError" in records[1]["exc"] and records[1]["logger"] == "qdesk.test.file"
    entries = list(read_log_file(path))
    assert entries[1].level == "ERROR" and "Traceback" in entries[1].details and entries[1].levelno == logging.ERROR


def test_rotation_keeps_bounded_files(tmp_path: Path) -> None:
    handler = rotating_file_handler(tmp_path)
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.maxBytes = 2000
    log = _logger("qdesk.test.rotate", handler)
    try:
        for i in range(200):
            log.warning("line %d %s", i, "x" * 50)
    finally:
        log.removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in (tmp_path / LOG_DIR).iterdir())
    assert files == ["qdesk.log", "qdesk.log.1", "qdesk.log.2", "qdesk.log.3", "qdesk.log.4", "qdesk.log.5"]
    assert all((tmp_path / LOG_DIR / f).stat().st_size <= 2200 for f in files)


def test_memory_handler_from_threads_and_listener() -> None:
    handler = MemoryLogHandler(capacity=50)
    seen = []
    remove = handler.add_listener(seen.append)
    log = _logger("qdesk.test.memory", handler)
    try:
        threads = [threading.Thread(target=lambda n=n: [log.info("t%d %d", n, i) for i in range(20)]) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        log.removeHandler(handler)
    assert len(handler.entries()) == 50 and len(seen) == 80
    remove()
    assert JsonLinesFormatter().format(logging.makeLogRecord({"msg": "x", "levelname": "INFO"})).startswith("{")
