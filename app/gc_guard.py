"""Cyclic garbage collection on the GUI thread only, so Qt objects are never destroyed from a worker.

Python's cycle collector runs on whichever thread happens to allocate when a threshold is crossed. With
training, imports and backtests on worker threads, that is usually a worker, and a collected cycle that
holds a QWidget or QObject then deletes it off the GUI thread, which crashes Qt later inside its event
loop. The guard turns automatic collection off and runs the same generational collection from a timer
on the GUI thread instead (the approach PyQt's maintainers recommend for threaded applications).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

from core.util.memory import collect_due

INTERVAL_MS = 500


class MainThreadGarbageCollector(QObject):
    """While alive and started, cycles are collected only from this object's (GUI) thread."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._was_enabled = gc.isenabled()
        self.collections = 0

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def collect_due(self) -> int:
        """Collect the oldest generation whose allocation count passed its threshold; objects freed."""
        generation, freed = collect_due()
        self.collections += generation is not None
        return freed

    def _on_timer_timeout(self) -> None:
        self.collect_due()
