"""Unhandled errors on any thread, and Qt's own messages, logged with their traceback and shown in one dialog.

Python-level hooks (sys.excepthook, threading.excepthook, sys.unraisablehook), the asyncio loop's
exception handler and Qt's message handler feed one CrashHandler. Exceptions in Qt slots reach
sys.excepthook too (PySide prints them through it), so a failing button handler is reported and the app keeps running.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QMessageLogContext, QObject, QTimer, QtMsgType, Signal, qInstallMessageHandler
from PySide6.QtWidgets import QWidget

from app.logging_setup import InstalledLogging, install_logging
from app.relay import EventRelay
from widgets.crash_dialog import CrashDialog

log = logging.getLogger("qdesk.crash")
qt_log = logging.getLogger("qt")
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


@dataclass(frozen=True, slots=True)
class CrashReport:
    """An error worth showing: where it happened, a one-line summary, and the full details."""

    source: str  # "main thread", "thread job-import", "Qt", ...
    summary: str
    details: str
    time: dt.datetime


def _summary(exc_type: type[BaseException], exc: BaseException | None) -> str:
    text = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else ""
    return f"{exc_type.__name__}: {text}" if text else exc_type.__name__


class CrashHandler(QObject):
    """Install once per process run; `uninstall` restores the hooks it replaced."""

    sig_crashed = Signal(object)  # CrashReport, always on the GUI thread

    def __init__(
        self, parent: QObject | None = None, *, dialog_parent: QWidget | None = None, show_dialog: bool = True
    ) -> None:
        super().__init__(parent)
        self._relay = EventRelay("crashes", self)
        self._relay.subscribe(self._on_relay_event)
        self._emit = self._relay.core_handler()
        self._show_dialog = show_dialog
        self._dialog_parent = dialog_parent
        self.dialog: CrashDialog | None = None
        self.reports: list[CrashReport] = []
        self._previous: tuple[Any, ...] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_previous: Any = None

    # -- installing ------------------------------------------------------------------------
    def install(self) -> None:
        if self._previous is not None:
            return
        self._previous = (
            sys.excepthook,
            threading.excepthook,
            sys.unraisablehook,
            qInstallMessageHandler(self._on_qt_message),
        )
        sys.excepthook = self._on_sys_exception
        threading.excepthook = self._on_thread_exception
        sys.unraisablehook = self._on_unraisable
        # The app's asyncio loop (qasync's) runs from the first turn of Qt's loop: watch it from then on.
        QTimer.singleShot(0, self, self.watch_running_loop)

    def watch_running_loop(self) -> bool:
        """Report errors the running asyncio loop would only log (failed callbacks, unretrieved task errors)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if self._loop is not loop:
            self._loop, self._loop_previous = loop, loop.get_exception_handler()
            loop.set_exception_handler(self._on_loop_exception)
        return True

    def uninstall(self) -> None:
        if self._previous is None:
            return
        sys.excepthook, threading.excepthook, sys.unraisablehook, qt_previous = self._previous
        qInstallMessageHandler(qt_previous)
        self._previous = None
        if self._loop is not None and not self._loop.is_closed():
            self._loop.set_exception_handler(self._loop_previous)
        self._loop = None

    # -- hooks (any thread) ------------------------------------------------------------------
    def _on_sys_exception(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt) and self._previous is not None:
            self._previous[0](exc_type, exc, tb)  # Ctrl+C keeps its usual meaning
            return
        self._report("main thread", exc_type, exc, tb)

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if issubclass(args.exc_type, SystemExit):
            return  # a thread ending itself is not an error, as with the default hook
        name = args.thread.name if args.thread is not None else "?"
        self._report(f"thread {name}", args.exc_type, args.exc_value, args.exc_traceback)

    def _on_unraisable(self, unraisable: Any) -> None:
        # Errors in __del__ and finalizers: logged, not shown; they rarely mean the user lost anything.
        text = "".join(traceback.format_exception(unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback))
        log.error("unraisable exception in %r: %s\n%s", unraisable.object, unraisable.err_msg or "", text.rstrip())

    def _on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message") or "event loop error")
        if not isinstance(exc, Exception):
            log.error("asyncio: %s", message)  # no exception to show (a slow callback warning, say)
            return
        self._report(f"event loop: {message}", type(exc), exc, exc.__traceback__)

    def _on_qt_message(self, mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        level = _QT_LEVELS.get(mode, logging.WARNING)
        where = f" ({context.file}:{context.line})" if context.file else ""
        qt_log.log(level, "%s%s", message, where)
        if level >= logging.ERROR:
            self._emit(
                CrashReport(
                    "Qt", message.splitlines()[0] if message else "Qt error", f"{message}{where}", dt.datetime.now()
                )
            )

    def _report(
        self, source: str, exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.critical("unhandled exception in %s", source, exc_info=(exc_type, exc, tb) if exc else None)
        self._emit(CrashReport(source, _summary(exc_type, exc), f"[{source}]\n{details}", dt.datetime.now()))

    # -- GUI thread ----------------------------------------------------------------------------
    def _on_relay_event(self, event: object) -> None:
        if not isinstance(event, CrashReport):
            return
        self.reports.append(event)
        self.sig_crashed.emit(event)
        if not self._show_dialog:
            return
        if self.dialog is None:
            self.dialog = CrashDialog(self._dialog_parent)
        self.dialog.add_report(event.summary, event.details)
        # show(), not exec(): a nested event loop here could re-enter the code that just failed.
        self.dialog.show()
        self.dialog.raise_()


class CrashHandling:
    """Logging plus crash hooks for one desktop run, undone by `uninstall` when the window has closed."""

    def __init__(self, logging_: InstalledLogging, handler: CrashHandler) -> None:
        self.logging = logging_
        self.handler = handler

    @property
    def log_path(self) -> Path | None:
        return self.logging.log_path

    def uninstall(self) -> None:
        self.handler.uninstall()
        self.logging.uninstall()


def install_crash_handling(
    data_dir: Path | None, show_dialog: bool = True, on_crash: Callable[[CrashReport], None] | None = None
) -> CrashHandling:
    """Structured logs in `data_dir` (none when None) and the crash hooks; call after QApplication exists."""
    installed = install_logging(data_dir)
    handler = CrashHandler(show_dialog=show_dialog)
    if on_crash is not None:
        handler.sig_crashed.connect(on_crash)
    handler.install()
    logging.getLogger("qdesk").info("QDesk started; logs in %s", installed.log_path or "stderr only")
    return CrashHandling(installed, handler)
