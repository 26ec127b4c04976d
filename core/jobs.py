"""Cooperative cancellation and progress reports for long work written as generators.

Core never knows which thread runs it: a job is a generator that yields `Progress` and checks
a `CancelToken` between steps; the CLI drives it with a progress bar, the app in a worker thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.events import EventSink, JobEnded, JobProgressed, JobStarted

log = logging.getLogger(__name__)
# Jobs quicker than this (a chart load, a quote refresh) are logged at DEBUG only: the log a user reads
# (the Log tab, the log file at INFO) lists the imports, trainings and backtests, not every click.
_NOTABLE_S = 1.0


class Cancelled(Exception):
    """Raised inside a job when its token was cancelled; work done so far stays consistent."""


class CancelToken:
    """Thread-safe flag the caller sets and the job polls between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


@dataclass(frozen=True, slots=True)
class Progress:
    """One step of a long job: `done` of `total` units, with a short human-readable note."""

    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class JobStatus:
    """A running job as the registry knows it: the latest progress it reported, if any."""

    job_id: int
    name: str
    fraction: float | None = None
    message: str = ""


class JobRegistry:
    """Every background job of the session under a stable id, announced as facts on `events`.

    Thread-safe; whoever runs a job (the app's JobRunner) reports its start, progress and end here,
    so a monitor lists jobs without knowing who owns them.
    """

    def __init__(self, events: EventSink | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._events = events
        self._clock = clock
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._running: dict[int, JobStatus] = {}
        self._started_at: dict[int, float] = {}

    def started(self, name: str) -> int:
        with self._lock:
            job_id = next(self._ids)
            self._running[job_id] = JobStatus(job_id, name)
            self._started_at[job_id] = self._clock()
        log.debug("job %d started: %s", job_id, name)
        self._publish(JobStarted(job_id, name))
        return job_id

    def progressed(self, job_id: int, report: object) -> None:
        """Record a job's report; anything with `fraction` (and `message`) counts as progress."""
        fraction = getattr(report, "fraction", None)
        if not isinstance(fraction, (int, float)):
            return
        message = str(getattr(report, "message", "") or "")
        with self._lock:
            status = self._running.get(job_id)
            if status is None:
                return
            self._running[job_id] = JobStatus(job_id, status.name, float(fraction), message)
        self._publish(JobProgressed(job_id, status.name, float(fraction), message))

    def ended(self, job_id: int, cancelled: bool = False, error: str | None = None) -> None:
        with self._lock:
            status = self._running.pop(job_id, None)
            began = self._started_at.pop(job_id, None)
        if status is not None:
            seconds = self._clock() - began if began is not None else 0.0
            if error:
                log.warning("%s failed after %.1f s: %s", status.name, seconds, error)
            else:
                outcome = "cancelled" if cancelled else "finished"
                level = logging.INFO if cancelled or seconds >= _NOTABLE_S else logging.DEBUG
                log.log(level, "%s %s in %.1f s", status.name, outcome, seconds)
            self._publish(JobEnded(job_id, status.name, cancelled, error))

    def running(self) -> list[JobStatus]:
        """The jobs running now, oldest first."""
        with self._lock:
            return sorted(self._running.values(), key=lambda s: s.job_id)

    def _publish(self, event: object) -> None:
        if self._events is not None:
            self._events.publish(event)
