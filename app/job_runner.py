"""JobRunner: runs a core generator job in a worker thread and relays its reports to the GUI thread.

Core jobs are plain generators that yield progress and check a CancelToken; this is the one place
that gives them a thread. Reports, the result and any error reach the GUI through an EventRelay,
and the session's JobRegistry hears of each job's start, progress and end under a stable id.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.relay import EventRelay
from core.jobs import Cancelled, CancelToken, JobRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobReported:
    job: str
    report: Any


@dataclass(frozen=True, slots=True)
class JobFinished:
    job: str
    cancelled: bool
    error: str | None


class JobRunner(QObject):
    """One job at a time per runner; `start` refuses while one is running."""

    sig_reported = Signal(object)  # the job's yielded item, on the GUI thread
    sig_finished = Signal(object)  # JobFinished, on the GUI thread

    def __init__(self, parent: QObject | None = None, jobs: JobRegistry | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self.job_id: int | None = None  # the registry's id of the job running now
        self._relay = EventRelay("jobs", self)
        self._relay.subscribe(self._on_relay_event)
        self._token: CancelToken | None = None
        self._thread: threading.Thread | None = None
        self.name = ""

    @property
    def busy(self) -> bool:
        # Busy until the GUI thread has handled the job's end, not merely until the worker exits: the
        # worker's last act queues JobFinished, and callers that see "not busy" expect its outcome shown.
        return self._thread is not None

    def start(self, name: str, job: Callable[[CancelToken], Iterator[Any]]) -> bool:
        """Run `job(token)` on a worker thread; False if another job is still running."""
        if self.busy:
            return False
        self.name = name
        self.job_id = self._jobs.started(name) if self._jobs is not None else None
        self._token = CancelToken()
        emit = self._relay.core_handler()
        token = self._token

        def work() -> None:
            error: str | None = None
            cancelled = False
            try:
                for report in job(token):
                    emit(JobReported(name, report))
                    if token.cancelled:
                        raise Cancelled()
            except Cancelled:
                cancelled = True
            except Exception as exc:  # the GUI shows it; the log keeps the traceback
                log.exception("job %s failed", name)
                error = f"{type(exc).__name__}: {exc}"
            emit(JobFinished(name, cancelled, error))

        self._thread = threading.Thread(target=work, name=f"job-{name}", daemon=True)
        self._thread.start()
        return True

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _on_relay_event(self, event: object) -> None:
        if isinstance(event, JobReported):
            if self._jobs is not None and self.job_id is not None:
                self._jobs.progressed(self.job_id, event.report)
            self.sig_reported.emit(event.report)
        elif isinstance(event, JobFinished):
            # The worker sends this as its last act and may not have exited yet, but it is done: free the
            # runner first, so a listener that starts the next job (a queue) is not refused as busy.
            self._thread = None
            if self._jobs is not None and self.job_id is not None:
                self._jobs.ended(self.job_id, event.cancelled, event.error)
            self.sig_finished.emit(event)
