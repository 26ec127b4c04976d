"""Crash handling: exceptions on worker threads and in Qt slots are logged with traceback and shown once."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer, qWarning
from PySide6.QtGui import QGuiApplication

from app.crash_handler import CrashHandler, install_crash_handling
from core.monitor.logs import LOG_DIR, LOG_FILE


@pytest.fixture()
def handling(qapp, tmp_path: Path):  # noqa: ANN001, ANN201
    before = (sys.excepthook, threading.excepthook)
    installed = install_crash_handling(tmp_path)
    yield installed
    installed.uninstall()
    if installed.handler.dialog is not None:
        installed.handler.dialog.close()
    assert (sys.excepthook, threading.excepthook) == before


def _fail_in_worker() -> None:
    raise RuntimeError("worker lost its data source")


def test_worker_thread_exception_is_logged_and_shown(handling, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    worker = threading.Thread(target=_fail_in_worker, name="job-import")
    worker.start()
    worker.join(5)
    handler: CrashHandler = handling.handler
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5000)
    report = handler.reports[0]
    assert report.source == "thread job-import"
    assert report.summary == "RuntimeError: worker lost its data source"
    assert "_fail_in_worker" in report.details and "Traceback" in report.details
    dialog = handler.dialog
    assert dialog.summary_label.text() == report.summary
    dialog.copy_button.click()
    assert "worker lost its data source" in QGuiApplication.clipboard().text()

    for handler_ in logging.getLogger().handlers:
        handler_.flush()
    lines = [json.loads(x) for x in (tmp_path / LOG_DIR / LOG_FILE).read_text(encoding="utf-8").splitlines()]
    crash = next(x for x in lines if x["logger"] == "qdesk.crash")
    assert crash["level"] == "CRITICAL" and "RuntimeError: worker lost its data source" in crash["exc"]
    assert crash["message"] == "unhandled exception in thread job-import"


def test_slot_exception_keeps_the_app_running(handling, qtbot) -> None:  # noqa: ANN001
    ran_after = []

    def bad_slot() -> None:
        raise ValueError("bad row in the quote table")

    QTimer.singleShot(0, bad_slot)
    QTimer.singleShot(20, lambda: ran_after.append(True))
    handler: CrashHandler = handling.handler
    qtbot.waitUntil(lambda: bool(ran_after) and len(handler.reports) == 1, timeout=5000)
    assert handler.reports[0].source == "main thread"
    # A second error joins the open dialog instead of opening another.
    QTimer.singleShot(0, bad_slot)
    qtbot.waitUntil(lambda: len(handler.reports) == 2, timeout=5000)
    assert handler.dialog.count == 2 and "2 errors" in handler.dialog.summary_label.text()
    assert handler.dialog.details_text().count("bad row in the quote table") >= 2


def test_asyncio_callback_errors_are_reported(handling, qtbot) -> None:  # noqa: ANN001
    handler: CrashHandler = handling.handler

    def broken_callback() -> None:
        raise KeyError("order c1 vanished")

    async def body() -> None:
        assert handler.watch_running_loop()
        ran = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.call_soon(broken_callback)
        loop.call_soon(ran.set)  # callbacks run in order: once this one ran, the broken one was handled
        await ran.wait()

    asyncio.run(body())
    qtbot.waitUntil(lambda: len(handler.reports) == 1, timeout=5000)
    report = handler.reports[0]
    assert report.source.startswith("event loop: Exception in callback")
    assert report.summary == "KeyError: 'order c1 vanished'" and "broken_callback" in report.details


def test_qt_warnings_are_logged(handling, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    with caplog.at_level(logging.WARNING, logger="qt"):
        qWarning("QPainter::begin: Paint device returned engine == 0")
    assert any("Paint device" in r.getMessage() and r.name == "qt" for r in caplog.records)
    assert handling.handler.reports == []  # warnings are logged, not shown
